// scale.read: a stable weight in grams from the configured scale, or a stable error code
// (SCALE_UNSTABLE, SCALE_OVERLOAD, SCALE_NEGATIVE, SCALE_ZERO, SCALE_NO_ANSWER, DEVICE_UNAVAILABLE).
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import type { OpsContext } from './context.ts';
import { asAgentError } from './devices.ts';

export async function scaleRead(ctx: OpsContext, p: Params<'scale.read'>) {
  const scale = ctx.devices.scale(p.scale);
  if (!scale) {
    if (p.scale) throw new AgentError('NOT_FOUND', `no scale named ${p.scale} is configured`);
    throw new AgentError('DEVICE_UNAVAILABLE', 'no scale is configured on this till');
  }
  try {
    return { scale: scale.name, ...(await scale.read(p.timeout_ms)) };
  } catch (error) {
    throw asAgentError(error);
  }
}
