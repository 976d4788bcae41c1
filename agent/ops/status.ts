import type { StatusResult } from '../../protocol/local.ts';
import { offlineStatus } from '../offline-policy.ts';
import type { OpsContext } from './context.ts';

export function status(ctx: OpsContext): StatusResult {
  const stats = ctx.outbox.stats();
  const oldest = stats.oldest_pending_at ? Math.max(0, Math.round((ctx.now().getTime() - Date.parse(stats.oldest_pending_at)) / 1000)) : null;
  return {
    version: ctx.version,
    terminal: ctx.identity.terminal,
    uplink: { connected: ctx.uplink.connected, since: ctx.uplink.since, state: ctx.uplink.state, last_error: ctx.uplink.lastError, broker: ctx.uplink.broker },
    outbox: { pending: stats.pending, oldest_age_s: oldest, dead: stats.dead, unreadable: stats.unreadable },
    storage: ctx.storage.status(),
    devices: ctx.devices.list(),
    clock: { state: ctx.clock.state, trusted: ctx.clock.date().toISOString(), wall: new Date(ctx.clock.wallNow()).toISOString(), jump: ctx.clock.jump },
    offline: offlineStatus(ctx),
  };
}
