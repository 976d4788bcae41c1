// Device ops: list, printer status, drawer, and scans injected into a virtual reader (demo).
import { isDriverError } from '../../drivers/errors.ts';
import type { Printer } from '../../drivers/types.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import type { OpsContext } from './context.ts';

export function printerOf(ctx: OpsContext, name: string | undefined): Printer {
  const printer = ctx.devices.printer(name);
  if (printer) return printer;
  if (name) throw new AgentError('NOT_FOUND', `no printer named ${name} is configured`);
  throw new AgentError('DEVICE_UNAVAILABLE', 'no printer is configured on this till');
}

/** Driver errors carry the same stable codes as the protocol; keep their reason visible. */
export function asAgentError(error: unknown): unknown {
  if (isDriverError(error)) return new AgentError(error.code, `${error.message} (${error.reason})`, error.retryable);
  return error;
}

export function devicesList(ctx: OpsContext) {
  return { devices: ctx.devices.list() };
}

export async function printerStatus(ctx: OpsContext, p: Params<'printer.status'>) {
  const printer = printerOf(ctx, p.printer);
  try {
    return { printer: printer.name, ...(await printer.status()) };
  } catch (error) {
    throw asAgentError(error);
  }
}

export async function drawerOpen(ctx: OpsContext, p: Params<'drawer.open'>) {
  const printer = printerOf(ctx, p.printer);
  try {
    const result = await printer.openDrawer(p.pin);
    return { printer: printer.name, opened: true, warnings: result.warnings };
  } catch (error) {
    throw asAgentError(error);
  }
}

export function devicesScan(ctx: OpsContext, p: Params<'devices.scan'>) {
  const reader = ctx.devices.list().find((d) => d.kind !== 'printer' && d.transport === 'virtual' && (!p.device || d.name === p.device));
  if (!reader) throw new AgentError('NOT_FOUND', p.device ? `no virtual reader named ${p.device}` : 'no virtual scanner is configured');
  if (!ctx.devices.inject(reader.name, p.data)) throw new AgentError('DEVICE_UNAVAILABLE', `${reader.name} is not ready`);
  return { device: reader.name, injected: true };
}
