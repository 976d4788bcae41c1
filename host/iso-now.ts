// The time a ledger row is written, as ISO 8601 text (created_at, updated_at, applied_at). A drain
// writes ~5 rows per award, ~6 awards per millisecond, and Date#toISOString cost ~2.5 µs each
// time (issue 10): the text is kept for the millisecond it names, which is all it can say.
let lastMs = Number.NaN;
let lastText = '';

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
