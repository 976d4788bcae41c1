// GF(256) arithmetic and Reed–Solomon error correction codewords as QR Code uses them
// (ISO/IEC 18004 §7.5.2, Annex A): the field is built on the primitive polynomial
// x⁸ + x⁴ + x³ + x² + 1 (0x11D), α = 2, and the generator for n codewords is ∏ (x − αⁱ), i = 0…n−1.

const PRIMITIVE = 0x11d;

interface Field { exp: Uint8Array; log: Uint8Array }
let field: Field | undefined;

// Built on first use (no work at import time); 2×255 antilog entries so exp[log a + log b] needs no modulo.
function tables(): Field {
  if (field) return field;
  const exp = new Uint8Array(510);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    exp[i + 255] = x;
    log[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= PRIMITIVE;
  }
  field = { exp, log };
  return field;
}

/** αⁱ for i ≥ 0. */
export function gfExp(i: number): number {
  return tables().exp[i % 255] ?? 0;
}

/** The exponent i with αⁱ = a, for a in 1…255. */
export function gfLog(a: number): number {
  if (a < 1 || a > 255) throw new RangeError(`GF(256) log of ${a}`);
  return tables().log[a] ?? 0;
}

export function gfMultiply(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const { exp, log } = tables();
  return exp[(log[a] ?? 0) + (log[b] ?? 0)] ?? 0;
}

/** Generator polynomial of the given degree, highest power first, leading coefficient 1 included. */
export function rsGenerator(degree: number): Uint8Array {
  if (!Number.isInteger(degree) || degree < 1 || degree > 254) throw new RangeError(`Reed–Solomon degree ${degree}`);
  let poly = Uint8Array.of(1);
  for (let i = 0; i < degree; i++) {
    // poly × (x − αⁱ); subtraction is XOR in GF(2⁸).
    const next = new Uint8Array(poly.length + 1);
    const root = gfExp(i);
    for (let j = 0; j < poly.length; j++) {
      const c = poly[j] ?? 0;
      next[j] = (next[j] ?? 0) ^ c;
      next[j + 1] = (next[j + 1] ?? 0) ^ gfMultiply(c, root);
    }
    poly = next;
  }
  return poly;
}

/** The `degree` error correction codewords of one block: data(x)·x^degree mod g(x). */
export function rsRemainder(data: Uint8Array, degree: number): Uint8Array {
  const generator = rsGenerator(degree);
  const rest = new Uint8Array(degree);
  for (const byte of data) {
    // Shift in the next data codeword; its sum with the leading remainder term is the quotient term.
    const factor = byte ^ (rest[0] ?? 0);
    rest.copyWithin(0, 1);
    rest[degree - 1] = 0;
    for (let j = 0; j < degree; j++) rest[j] = (rest[j] ?? 0) ^ gfMultiply(generator[j + 1] ?? 0, factor);
  }
  return rest;
}
