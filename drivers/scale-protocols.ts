// Pure decoding of the two scale protocols a till meets most (see drivers/README.md, "Scales"):
//
// toledo-8217 (Mettler Toledo 8217 ECR mode; CAS PD-II and others call it "ECR type 2"; 7E1):
//   host → "W"; scale → STX <weight> CR when the weight is stable and in range — "WW.WW" (lb) or
//   "WW.WWW" (kg), "N" appended for a net weight — else STX "?" <status byte> CR, the status bits:
//   0 in motion, 1 over capacity, 2 under zero, 3 outside zero capture range, 4 centre of zero,
//   5 net, 6 always 1, 7 parity.
// cas (CAS continuous output, also A&D's): lines ending CR LF, sent all the time —
//   22 bytes: ST|US|OL "," GS|NT "," <id><lamp or id> "," <weight 8> <lamp or blank> <unit 2>
//   18 bytes: ST|US|OL "," GS|NT "," <weight 8> <unit 2>
//   the weight field carries its decimal point and a leading "-" (or "+") when needed.
// Weights become integer grams: the decimal string is scaled exactly (BigInt), never via floats;
// pounds are converted at 453.59237 g/lb and rounded half up to the gram.

export type ScaleUnit = 'kg' | 'g' | 'lb';

/** One thing a scale said. `stable` weights only are sold; everything else is a reason not to. */
export type ScaleReading =
  | { kind: 'weight'; stable: boolean; negative: boolean; value: string; unit: ScaleUnit; net: boolean }
  | { kind: 'status'; motion: boolean; overload: boolean; underZero: boolean; zeroError: boolean; atZero: boolean; net: boolean }
  | { kind: 'overload' };

const GRAMS_PER: Readonly<Record<ScaleUnit, [bigint, bigint]>> = {
  g: [1n, 1n],
  kg: [1000n, 1n],
  lb: [45359237n, 100000n], // 453.59237 g exactly (international pound)
};

/** "01.234" kg → 1234. Null for anything that is not a plain unsigned decimal. */
export function toGrams(value: string, unit: ScaleUnit): number | null {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null;
  const decimals = (m[2] ?? '').length;
  const scaled = BigInt((m[1] || '0') + (m[2] ?? ''));
  const [num, den] = GRAMS_PER[unit];
  const divisor = den * 10n ** BigInt(decimals);
  const grams = (scaled * num * 2n + divisor) / (divisor * 2n); // round half up
  return grams > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(grams);
}

const STX = 0x02;

/**
 * One 8217 answer: the bytes between STX and CR (both excluded). `unit` auto: three decimals are
 * kilograms, two are pounds (the protocol sends no unit).
 */
export function parse8217(body: Buffer, unit: ScaleUnit | 'auto'): ScaleReading | null {
  if (body.length >= 2 && body[0] === 0x3f /* ? */) {
    const s = body[1]! & 0x7f;
    if ((s & 0x40) === 0) return null; // bit 6 is always 1 in a status byte
    return {
      kind: 'status', motion: (s & 0x01) !== 0, overload: (s & 0x02) !== 0, underZero: (s & 0x04) !== 0,
      zeroError: (s & 0x08) !== 0, atZero: (s & 0x10) !== 0, net: (s & 0x20) !== 0,
    };
  }
  const m = /^(\d+(?:\.(\d+))?)(N?)$/.exec(body.toString('latin1'));
  if (!m) return null;
  const decimals = m[2]?.length ?? 0;
  const resolved: ScaleUnit = unit !== 'auto' ? unit : decimals === 2 ? 'lb' : 'kg';
  return { kind: 'weight', stable: true, negative: false, value: m[1]!, unit: resolved, net: m[3] === 'N' };
}

const CAS_UNITS: Readonly<Record<string, ScaleUnit>> = { kg: 'kg', g: 'g', lb: 'lb' };

/** One CAS continuous line (CR LF removed). */
export function parseCas(line: Buffer): ScaleReading | null {
  const text = line.toString('latin1');
  const head = /^(ST|US|OL),(GS|NT),/.exec(text);
  if (!head) return null;
  if (head[1] === 'OL') return { kind: 'overload' };
  const tail = text.slice(text.lastIndexOf(',') + 1);
  // weight (8, sign and decimal point included), then a lamp byte or a blank, then the unit.
  const m = /^\s*([+-]?)\s*(\d*\.?\d+)[^\x21-\x7e]?\s*(kg|g|lb)\s*$/i.exec(tail); // lamp byte: bit 7 set, never a letter
  if (!m) return null;
  const unit = CAS_UNITS[m[3]!.toLowerCase()];
  if (!unit) return null;
  return { kind: 'weight', stable: head[1] === 'ST', negative: m[1] === '-', value: m[2]!, unit, net: head[2] === 'NT' };
}

/** Splits a byte stream into 8217 answers (STX … CR); bytes outside a frame are counted as noise. */
export class FrameSplitter {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly mode: 'stx-cr' | 'lines', private readonly maxFrame = 64) {}

  push(chunk: Buffer): { frames: Buffer[]; noise: number } {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    let noise = 0;
    for (;;) {
      if (this.mode === 'stx-cr') {
        const start = this.buffer.indexOf(STX);
        if (start < 0) { noise += this.buffer.length; this.buffer = Buffer.alloc(0); break; }
        noise += start;
        const end = this.buffer.indexOf(0x0d, start + 1);
        if (end < 0) { this.buffer = this.buffer.subarray(start); break; }
        frames.push(Buffer.from(this.buffer.subarray(start + 1, end)));
        this.buffer = this.buffer.subarray(end + 1);
      } else {
        const end = this.buffer.findIndex((b) => b === 0x0a || b === 0x0d);
        if (end < 0) break;
        const line = this.buffer.subarray(0, end);
        if (line.length > 0) frames.push(Buffer.from(line));
        this.buffer = this.buffer.subarray(end + 1);
      }
    }
    if (this.buffer.length > this.maxFrame) { noise += this.buffer.length; this.buffer = Buffer.alloc(0); }
    return { frames, noise };
  }
}
