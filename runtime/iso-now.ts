// The current time as ISO 8601 text (Date#toISOString's format): the ledger's created_at and
// updated_at columns, a request's `at`, every log line's `time`. A drain writes ~5 rows per award,
// ~6 awards per millisecond: the text is kept for the millisecond it names, which is all it can say,
// and a new millisecond is formatted by protocol/iso-time.ts (toISOString costs ~7,500 instructions).
import { isoString } from '../protocol/iso-time.ts';

let lastMs = Number.NaN;
let lastText = '';

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastText = isoString(new Date(ms));
    lastMs = ms;
  }
  return lastText;
}
