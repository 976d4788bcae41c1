// A scanned loyalty card (or barcode) matching the configured pattern is identified at once;
// the POS gets an `identified` event. Payment cards are never looked up (they carry no data).
import type { ScanEvent } from '../drivers/types.ts';
import { errorBody } from '../protocol/errors.ts';
import type { Config } from './config.ts';
import { identify } from './ops/identify.ts';
import type { OpsContext } from './ops/context.ts';

export function identifyOnScan(ctx: OpsContext, options: NonNullable<Config['identify_on_scan']>): (scan: ScanEvent) => void {
  const pattern = new RegExp(options.pattern);
  return (scan) => {
    if (scan.kind === 'payment_card' || !scan.data || !pattern.test(scan.data)) return;
    identify(ctx, { by: options.by, value: scan.data }).then(
      (result) => ctx.events.emit('identified', { device: scan.device, ...result }),
      (error: unknown) => ctx.events.emit('identified', { device: scan.device, error: errorBody(error) }),
    );
  };
}
