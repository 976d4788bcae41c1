// The current time as ISO 8601 text (Date#toISOString's format): the ledger's created_at and
// updated_at columns, a request's `at`, every log line's `time`. A drain writes ~5 rows per award,
// ~6 awards per millisecond, and Date#toISOString costs ~7,500 instructions each time (V8 formats
// it with printf; issue 10): the text is kept for the millisecond it names, which is all it can
// say, and a new millisecond of the same second only replaces its last digits.
let lastMs = Number.NaN;
let lastText = '';
let secondStart = Number.NaN;
/** The text of secondStart up to and including the '.' before the milliseconds. */
let secondPrefix = '';

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastText = isoText(ms);
    lastMs = ms;
  }
  return lastText;
}

/** new Date(ms).toISOString() for a valid time value, Date's own formatting once per second. */
export function isoText(ms: number): string {
  const frac = ((ms % 1000) + 1000) % 1000;
  const start = ms - frac;
  if (start !== secondStart) {
    const text = new Date(ms).toISOString();
    // Always `….sssZ`, whatever the year's form (YYYY or ±YYYYYY).
    secondPrefix = text.slice(0, -4);
    secondStart = start;
    return text;
  }
  return `${secondPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}
