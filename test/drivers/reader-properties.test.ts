// Property-based tests (fast-check) of the reader parsers: the MSR track parser, the barcode/AIM
// parser, and the whole line interpretation every reader does (kind parser + payment-card check).
// Properties: nothing throws, no PAN ever comes out unmasked, and round trips where they exist.
import fc from 'fast-check';
import t from 'tap';
import { parseBarcode, symbologyOf } from '../../drivers/barcode.ts';
import { parseCardLine } from '../../drivers/card-reader.ts';
import { interpretLine, type LineParse } from '../../drivers/line-reader.ts';
import { parseSwipe } from '../../drivers/msr-tracks.ts';
import { findPaymentCard, gtinValid, luhnValid, maskPan } from '../../drivers/payment-card.ts';
import { parseScannerLine } from '../../drivers/scanner.ts';

const RUNS = { numRuns: 2000 };

/** Appends the Luhn check digit to a digit string. */
function withLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** A Luhn-valid PAN of 13–19 digits starting like a real card (issuer digit 2–6). */
const pan = fc.tuple(fc.constantFrom('2', '3', '4', '5', '6'), fc.integer({ min: 13, max: 19 }))
  .chain(([first, length]) => digits(length - 2, length - 2).map((mid) => withLuhn(first + mid)));

/** PANs the bare-number rule must mask: not a 13/14-digit GTIN look-alike (see payment-card.ts). */
const barePan = pan.filter((p) => !((p.length === 13 || p.length === 14) && gtinValid(p)));

const name = fc.array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ /.'), { minLength: 2, maxLength: 26 }).map((a) => a.join(''));
const track1 = (p: string, n: string, rest: string) => `%B${p}^${n}^${rest}?`;
const track2 = (p: string, rest: string) => `;${p}=${rest}?`;

/** Any text: printable ASCII, control characters, sentinels, and arbitrary Unicode. */
const junk = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.constantFrom(...'%;+?=^B0123456789 E\r\n\t]'), { maxLength: 60 }).map((a) => a.join('')),
);

const leaks = (result: LineParse | object, secret: string) => JSON.stringify(result).includes(secret);

const lineParsers: Array<[string, (line: string) => LineParse]> = [
  ['scanner (aim auto)', (l) => parseScannerLine(l)],
  ['scanner (aim off, prefix)', (l) => parseScannerLine(l, { aim: 'off', prefix: '\x02' })],
  ['card reader', parseCardLine],
];

t.test('nothing throws, whatever the input', async (t) => {
  fc.assert(fc.property(junk, (line) => {
    parseSwipe(line);
    parseBarcode(line);
    parseBarcode(line, { aim: 'on', prefix: '%', suffix: '?', maxLength: 10 });
    findPaymentCard(line);
    for (const [, parse] of lineParsers) interpretLine(parse, line);
  }), RUNS);
  t.pass('no exception in any run');
});

t.test('MSR: track data with a payment PAN gives its mask and nothing else', async (t) => {
  fc.assert(fc.property(pan, name, digits(4, 20), fc.boolean(), fc.boolean(), (p, n, rest, one, two) => {
    const line = (one || !two ? track1(p, n, rest) : '') + (two ? track2(p, rest) : '');
    const result = parseSwipe(line);
    return result.ok && result.kind === 'payment_card' && result.masked === maskPan(p) && !leaks(result, p) && !leaks(result, n);
  }), RUNS);
  t.pass();
});

t.test('MSR: a partial swipe never yields the PAN or a loyalty number from it', async (t) => {
  fc.assert(fc.property(pan, name, digits(4, 20), fc.nat(), (p, n, rest, cut) => {
    const full = track1(p, n, rest) + track2(p, rest);
    const partial = full.slice(0, cut % full.length);
    const result = interpretLine(parseCardLine, partial);
    return !leaks(result, p) && !(result.ok && result.scan.kind === 'card');
  }), RUNS);
  t.pass();
});

t.test('MSR round trip: a loyalty number on track 2 comes back as it was', async (t) => {
  const loyalty = digits(1, 40).filter((n) => !(n.length >= 13 && n.length <= 19 && luhnValid(n)));
  fc.assert(fc.property(loyalty, fc.boolean(), (n, blankTrack1) => {
    const result = parseSwipe(`${blankTrack1 ? '%E?' : ''};${n}?`);
    return result.ok && result.kind === 'card' && result.data === n;
  }), RUNS);
  t.pass();
});

t.test('mask: first 6 and last 4 kept, the rest starred, same length', async (t) => {
  fc.assert(fc.property(pan, (p) => {
    const m = maskPan(p);
    return m.length === p.length && m.slice(0, 6) === p.slice(0, 6) && m.slice(-4) === p.slice(-4) && /^\*+$/.test(m.slice(6, -4));
  }), RUNS);
  t.pass();
});

t.test('barcode round trip: prefix + AIM identifier + data + suffix parses back to data and symbology', async (t) => {
  const aim = fc.tuple(fc.constantFrom(...'ACEFGHILMQRSXdez'), fc.constantFrom(...'0123456789')).map(([c, m]) => `]${c}${m}`);
  const data = fc.string({ minLength: 1, maxLength: 80 }).filter((d) => !/^[\r\n]|[\r\n]$/.test(d) && !d.includes('\x02') && !d.includes('\x03'));
  fc.assert(fc.property(aim, data, fc.boolean(), (id, d, framed) => {
    const options = framed ? { prefix: '\x02', suffix: '\x03' } : {};
    const result = parseBarcode(`${framed ? '\x02' : ''}${id}${d}${framed ? '\x03' : ''}`, options);
    return result.ok && result.data === d && result.aim === id && result.symbology === symbologyOf(id);
  }), RUNS);
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }).filter((d) => !/^[\r\n]|[\r\n]$/.test(d)), (d) => {
    const result = parseBarcode(d, { aim: 'off' });
    return result.ok && result.data === d && result.symbology === undefined;
  }), RUNS);
  t.pass();
});

t.test('barcode: never longer than maxLength, never empty', async (t) => {
  fc.assert(fc.property(junk, fc.integer({ min: 1, max: 50 }), (line, maxLength) => {
    const result = parseBarcode(line, { maxLength });
    return !result.ok || (result.data.length > 0 && result.data.length <= maxLength);
  }), RUNS);
  t.pass();
});

t.test('every reader: track data anywhere in a read never comes out unmasked', async (t) => {
  fc.assert(fc.property(junk, pan, name, digits(4, 16), junk, fc.boolean(), (before, p, n, rest, after, useTrack1) => {
    const card = useTrack1 ? track1(p, n, rest) : track2(p, rest);
    return lineParsers.every(([, parse]) => !leaks(interpretLine(parse, before + card + after), p));
  }), RUNS);
  t.pass();
});

t.test('scanner: a bare PAN (grouped or not, any AIM identifier but EAN/UPC/GS1) is a masked payment card', async (t) => {
  const aim = fc.constantFrom('', ']C0', ']Q1', ']A0', ']d1', ']I0', ']X0');
  fc.assert(fc.property(barePan, aim, fc.constantFrom('', ' ', '-'), (p, id, sep) => {
    const grouped = sep ? p.match(/.{1,4}/g)!.join(sep) : p;
    const result = interpretLine((l) => parseScannerLine(l), id + grouped);
    return result.ok && result.scan.kind === 'payment_card' && result.scan.masked === maskPan(p) && !leaks(result, p);
  }), RUNS);
  t.pass();
});

t.test('scanner: GTINs stay barcodes, whatever their Luhn digit', async (t) => {
  const gtin13 = digits(12, 12).map((body) => {
    for (let d = 0; d <= 9; d++) if (gtinValid(body + d)) return body + d;
    throw new Error('unreachable');
  });
  fc.assert(fc.property(gtin13, fc.constantFrom('', ']E0'), (g, id) => {
    const result = interpretLine((l) => parseScannerLine(l), id + g);
    return result.ok && result.scan.kind === 'barcode' && result.scan.data === g;
  }), RUNS);
  t.pass();
});
