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

/**
 * Kicks the drawer. With wait_closed (printers with a drawer sensor) the answer comes once the
 * drawer is closed again, as POSSUM's openCashDrawer does, or after timeout_ms with `closed: false`.
 */
export async function drawerOpen(ctx: OpsContext, p: Params<'drawer.open'>) {
  const printer = printerOf(ctx, p.printer);
  if (p.wait_closed && !printer.drawerSensor) {
    throw new AgentError('BAD_REQUEST', `params.wait_closed: printer ${printer.name} does not report its drawer (set drawer_sensor in its config)`);
  }
  let result;
  try {
    result = await printer.openDrawer(p.pin);
  } catch (error) {
    throw asAgentError(error);
  }
  const kicked = { printer: printer.name, opened: result.outcome !== 'uncertain', outcome: result.outcome, warnings: result.warnings,
    ...(result.reason ? { reason: result.reason } : {}) };
  if (!p.wait_closed || !kicked.opened) return { ...kicked, ...(printer.drawerSensor ? { drawer: printer.drawer() ?? null } : {}) };
  const started = Date.now();
  const waited = await printer.waitDrawerClosed(p.timeout_ms);
  return { ...kicked, drawer: waited.state ?? null, closed: waited.state === 'closed', seen_open: waited.seen_open, waited_ms: Date.now() - started };
}

export function devicesScan(ctx: OpsContext, p: Params<'devices.scan'>) {
  // Without a name, the first virtual scanner or card reader; a virtual scale only by name.
  const reader = ctx.devices.list().find((d) => d.transport === 'virtual' &&
    (p.device ? d.name === p.device && d.kind !== 'printer' && d.kind !== 'display' : d.kind === 'barcode-scanner' || d.kind === 'card-reader'));
  if (!reader) throw new AgentError('NOT_FOUND', p.device ? `no virtual reader named ${p.device}` : 'no virtual scanner is configured');
  if (!ctx.devices.inject(reader.name, p.data)) throw new AgentError('DEVICE_UNAVAILABLE', `${reader.name} is not ready`);
  return { device: reader.name, injected: true };
}
