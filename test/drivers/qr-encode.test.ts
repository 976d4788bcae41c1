// The QR encoder checked three ways: known vectors from ISO/IEC 18004 (generator polynomials, the
// Annex I error correction example, format and version information, capacities, alignment
// positions), an independent slow GF(256) for Reed–Solomon, and real decoding with zbarimg of
// symbols drawn as PNGs — bare, with codewords corrupted (so the decoder needs our ECC), and
// through the whole ESC/POS → interpreter → receipt PNG path.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import t from 'tap';
import { EscPos, type QrErrorLevel } from '../../drivers/escpos-encoder.ts';
import { renderPreview } from '../../drivers/receipt-preview.ts';
import { buildSymbol, byteCapacity, dataCodewords, encodeQr, interleave, QR_LEVELS, totalCodewords, type QrSymbol } from '../../drivers/qr-encode.ts';
import { alignmentPositions, dataModuleCount, formatBits, functionGrid, penalty, QrGrid, versionBits } from '../../drivers/qr-matrix.ts';
import { gfLog, rsGenerator, rsRemainder } from '../../drivers/qr-reed-solomon.ts';
import { run, which } from '../helpers/systemd-tools.ts';
import { tempDir } from '../helpers/tmp.ts';

const ZBAR = which('zbarimg');
if (!ZBAR) t.fail('zbarimg is not installed: apt-get install -y zbar-tools (the QR decoding tests need it)');
const decodes = { skip: ZBAR ? false : 'zbarimg missing, see the failure above' };

/** A bare symbol as a PNG: `scale` pixels a module, four modules of quiet zone. */
function symbolPng(s: QrSymbol, scale = 3): Buffer {
  const width = (s.size + 8) * scale;
  const png = new PNG({ width, height: width });
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      const v = s.modules[Math.floor(y / scale) - 4]?.[Math.floor(x / scale) - 4] ? 0 : 255;
      png.data.fill(v, (y * width + x) * 4, (y * width + x) * 4 + 3);
      png.data[(y * width + x) * 4 + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

let files = 0;
/** What zbarimg reads from a PNG (one line per symbol), or null when it finds nothing. */
async function zbar(dir: string, png: Buffer, qrOnly = true): Promise<string | null> {
  const file = join(dir, `${files++}.png`);
  await writeFile(file, png);
  const only = qrOnly ? ['-Sdisable', '-Sqrcode.enable'] : [];
  const result = await run('zbarimg', ['--raw', '-q', ...only, file]);
  return result.code === 0 ? result.stdout.replace(/\n$/, '') : null;
}

// Slow, table-free GF(256) as a second opinion: shift-and-add multiplication modulo 0x11D.
function slowMultiply(a: number, b: number): number {
  let product = 0;
  for (; b > 0; b >>= 1, a = (a << 1) ^ (a & 0x80 ? 0x11d : 0)) if (b & 1) product ^= a;
  return product;
}
function slowGenerator(degree: number): number[] {
  let poly = [1];
  for (let i = 0, root = 1; i < degree; i++, root = slowMultiply(root, 2)) {
    poly = [...poly, 0].map((c, j) => c ^ (j > 0 ? slowMultiply(poly[j - 1] ?? 0, root) : 0));
  }
  return poly;
}
function slowRemainder(data: number[], degree: number): number[] {
  const g = slowGenerator(degree);
  const work = [...data, ...new Array<number>(degree).fill(0)];
  for (let i = 0; i < data.length; i++) {
    const f = work[i] ?? 0;
    g.forEach((c, j) => { work[i + j] = (work[i + j] ?? 0) ^ slowMultiply(c, f); });
  }
  return work.slice(data.length);
}

t.test('Reed–Solomon generators and codewords', async (t) => {
  // Annex A, as exponents of α.
  t.same([...rsGenerator(7)].map(gfLog), [0, 87, 229, 146, 149, 238, 102, 21]);
  t.same([...rsGenerator(10)].map(gfLog), [0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45]);
  for (const degree of [7, 10, 13, 15, 16, 17, 18, 20, 22, 24, 26, 28, 30]) t.same([...rsGenerator(degree)], slowGenerator(degree), `degree ${degree}`);
  // Annex I: "01234567" as 1-M (numeric mode, but the Reed–Solomon step does not care).
  const annex = [0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11];
  t.same([...rsRemainder(Uint8Array.from(annex), 10)], [0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55]);
  let seed = 7;
  for (const [length, degree] of [[19, 7], [15, 22], [118, 30], [1, 13]] as const) {
    const data = Array.from({ length }, () => (seed = (seed * 75 + 74) % 65537) & 0xff);
    t.same([...rsRemainder(Uint8Array.from(data), degree)], slowRemainder(data, degree), `${length} data, ${degree} EC`);
  }
});

t.test('byte mode codewords: a vector derived by hand, decoded below', async (t) => {
  // 0100 | 00000110 | "demo-1" = 64 65 6D 6F 2D 31 | 0000 terminator, then EC 11 pad to 16 codewords (1-M).
  const data = dataCodewords(new TextEncoder().encode('demo-1'), 1, 'M');
  t.same([...data], [0x40, 0x66, 0x46, 0x56, 0xd6, 0xf2, 0xd3, 0x10, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11]);
  t.same([...interleave(data, 1, 'M').subarray(16)], [0xb0, 0x12, 0x2b, 0x0d, 0x40, 0xae, 0xdf, 0xb9, 0xc8, 0x15]);
  t.equal(encodeQr('demo-1').version, 1);
});

t.test('format and version information (Annexes C and D)', async (t) => {
  const table: Record<QrErrorLevel, number[]> = {
    L: [0x77c4, 0x72f3, 0x7daa, 0x789d, 0x662f, 0x6318, 0x6c41, 0x6976],
    M: [0x5412, 0x5125, 0x5e7c, 0x5b4b, 0x45f9, 0x40ce, 0x4f97, 0x4aa0],
    Q: [0x355f, 0x3068, 0x3f31, 0x3a06, 0x24b4, 0x2183, 0x2eda, 0x2bed],
    H: [0x1689, 0x13be, 0x1ce7, 0x19d0, 0x0762, 0x0255, 0x0d0c, 0x083b],
  };
  for (const level of QR_LEVELS) t.same([0, 1, 2, 3, 4, 5, 6, 7].map((m) => formatBits(level, m)), table[level], level);
  t.same([7, 8, 9, 10, 40].map(versionBits), [0x07c94, 0x085bc, 0x09a99, 0x0a4d3, 0x28c69]);
  const distance = (a: number, b: number) => [...(a ^ b).toString(2)].filter((c) => c === '1').length;
  const formats = Object.values(table).flat();
  t.ok(formats.every((a, i) => formats.every((b, j) => i === j || distance(a, b) >= 7)), 'BCH(15,5): distance ≥ 7');
  const versions = Array.from({ length: 34 }, (_, i) => versionBits(i + 7));
  t.ok(versions.every((a, i) => versions.every((b, j) => i === j || distance(a, b) >= 8)), 'BCH(18,6): distance ≥ 8');
});

t.test('capacities, alignment positions and function patterns', async (t) => {
  const bytes: [number, QrErrorLevel, number][] = [
    [1, 'L', 17], [1, 'M', 14], [1, 'Q', 11], [1, 'H', 7], [7, 'L', 154], [7, 'M', 122], [7, 'Q', 86], [7, 'H', 64],
    [10, 'L', 271], [10, 'M', 213], [10, 'Q', 151], [10, 'H', 119], [40, 'L', 2953], [40, 'M', 2331], [40, 'Q', 1663], [40, 'H', 1273],
  ];
  for (const [v, level, n] of bytes) t.equal(byteCapacity(v, level), n, `${v}-${level} holds ${n} bytes`);
  t.same([1, 2, 7, 14, 40].map(totalCodewords), [26, 44, 196, 581, 3706]);
  for (let v = 1; v <= 40; v++) {
    const g = functionGrid(v);
    if (g.fixed.reduce((s, f) => s + (f ? 0 : 1), 0) !== dataModuleCount(v)) t.fail(`version ${v}: data modules`);
  }
  t.same(alignmentPositions(2), [6, 18]);
  t.same(alignmentPositions(7), [6, 22, 38]);
  t.same(alignmentPositions(15), [6, 26, 48, 70]);
  t.same(alignmentPositions(32), [6, 34, 60, 86, 112, 138]);
  t.same(alignmentPositions(36), [6, 24, 50, 76, 102, 128, 154]);
  t.same(alignmentPositions(40), [6, 30, 58, 86, 114, 142, 170]);
  const g = functionGrid(2);
  t.ok(g.isDark(3, 3) && !g.isDark(1, 3) && g.isDark(0, 3) && !g.isDark(7, 3), 'finder core, ring, edge, separator');
  t.same([8, 9, 10, 11].map((i) => g.isDark(i, 6)), [true, false, true, false], 'timing');
  t.ok(g.isDark(18, 18) && !g.isDark(17, 18) && g.isDark(16, 18), 'alignment pattern at (18, 18)');
  t.ok(g.isDark(8, g.size - 8), 'dark module');
});

t.test('mask choice is the lowest penalty; limits', async (t) => {
  const codewords = interleave(dataCodewords(new TextEncoder().encode('https://loyalty.example/t/T1'), 3, 'Q'), 3, 'Q');
  const scores = [0, 1, 2, 3, 4, 5, 6, 7].map((m) => {
    const s = buildSymbol(codewords, 3, 'Q', m);
    const g = new QrGrid(s.size);
    s.modules.forEach((row, y) => row.forEach((dark, x) => { g.dark[y * s.size + x] = dark ? 1 : 0; }));
    return penalty(g);
  });
  t.equal(buildSymbol(codewords, 3, 'Q').mask, scores.indexOf(Math.min(...scores)), `penalties ${scores.join(' ')}`);
  t.throws(() => encodeQr('x'.repeat(2954), { level: 'L' }), { name: 'RangeError', message: /2954 bytes exceeds the 2953-byte capacity of version 40-L/ });
  t.throws(() => encodeQr('x'.repeat(1274), { level: 'H' }), RangeError);
  t.equal(encodeQr('x'.repeat(1273), { level: 'H' }).version, 40);
  t.throws(() => encodeQr('x', { mask: 8 }), RangeError);
});

t.test('zbarimg decodes what we encode', decodes, async (t) => {
  const dir = await tempDir(t, 'qr-');
  const cases: [string, QrErrorLevel][] = [
    ['hello', 'L'], ['hello', 'M'], ['hello', 'Q'], ['hello', 'H'],
    ['demo-1', 'M'], ['Zürich €', 'M'], ['Zürich €', 'H'], ['A'.repeat(50) + '0123456789'.repeat(15), 'Q'],
    ['https://loyalty.example/t/T1-2026-000123?points=15&store=Zürich', 'H'],
  ];
  for (const [text, level] of cases) {
    const s = encodeQr(text, { level });
    t.equal(await zbar(dir, symbolPng(s)), text, `${JSON.stringify(text.slice(0, 20))} ${s.version}-${level} mask ${s.mask}`);
  }
  t.ok(encodeQr(cases[7]![0], { level: 'Q' }).version >= 7, 'the 200-byte string needs a version with version information');
  for (let mask = 0; mask < 8; mask++) t.equal(await zbar(dir, symbolPng(encodeQr('demo-1', { mask }))), 'demo-1', `mask ${mask}`);
});

t.test('every version and level, filled to capacity, decodes', decodes, async (t) => {
  const dir = await tempDir(t, 'qr-');
  let seed = 1;
  const jobs: Promise<string>[] = [];
  for (let v = 1; v <= 40; v++) {
    for (const level of QR_LEVELS) {
      const text = Array.from({ length: byteCapacity(v, level) }, () => String.fromCharCode(33 + ((seed = (seed * 69069 + 1) >>> 0) >>> 24) % 94)).join('');
      const s = encodeQr(text, { level });
      jobs.push(zbar(dir, symbolPng(s, 2)).then((read) => (s.version === v && read === text ? '' : `${v}-${level}`)));
    }
  }
  t.same((await Promise.all(jobs)).filter(Boolean), [], 'no version-level failed');
});

t.test('error correction: corrupted codewords are repaired by the decoder', decodes, async (t) => {
  const dir = await tempDir(t, 'qr-');
  for (const [text, version, level] of [['demo-1', 1, 'M'], ['Reed-Solomon over GF(256), interleaved', 5, 'Q'], ['x'.repeat(100), 10, 'H']] as const) {
    const blocks = { 1: 1, 5: 4, 10: 8 }[version];
    const ecPerBlock = (totalCodewords(version) - dataCodewords(new Uint8Array(), version, level).length) / blocks;
    const codewords = interleave(dataCodewords(new TextEncoder().encode(text), version, level), version, level);
    // Interleaved, the first `blocks` codewords are one per block: spoil ⌊EC/2⌋ − 1 codewords of every block.
    const bad = (Math.floor(ecPerBlock / 2) - 1) * blocks;
    for (let i = 0; i < bad; i++) codewords[i] = (codewords[i] ?? 0) ^ 0x5a;
    t.equal(await zbar(dir, symbolPng(buildSymbol(codewords, version, level))), text, `${version}-${level}, ${bad} codewords spoilt`);
  }
});

t.test('receipt PNG: real QR modules, quiet zone, module size and alignment', decodes, async (t) => {
  const dir = await tempDir(t, 'qr-');
  const job = (align: 'left' | 'center' | 'right', size: number, data = 'demo-1', level: QrErrorLevel = 'Q') =>
    new EscPos({ codePage: 'cp858' }).init().align('center').line('Café').align(align).qr(data, { size, level }).feed(1).cut().build();
  const receipt = renderPreview(new EscPos().init().line('Total 15,50 €').barcode128('T1-2026-000123')
    .align('center').qr('https://loyalty.example/t/T1-2026-000123').build(), { columns: 42 }).png;
  t.same((await zbar(dir, receipt, false))?.split('\n').sort(), ['T1-2026-000123', 'https://loyalty.example/t/T1-2026-000123'], 'QR and Code 128 both scan');
  t.equal(await zbar(dir, renderPreview(job('center', 3, 'Zürich €', 'H')).png), 'Zürich €');
  for (const [align, size] of [['left', 4], ['center', 6], ['right', 8]] as const) {
    const png = PNG.sync.read(renderPreview(job(align, size), { columns: 42 }).png);
    t.equal(await zbar(dir, PNG.sync.write(png)), 'demo-1', `${align}, ${size} dots a module`);
    // Dark pixels below the text line belong to the symbol (version 1: 21 modules, 4-module quiet zone).
    let minX = Infinity; let maxX = -1; let minY = Infinity; let maxY = -1;
    for (let y = 40; y < png.height - 40; y++) {
      for (let x = 0; x < png.width; x++) {
        if ((png.data[(y * png.width + x) * 4] ?? 255) >= 128) continue;
        minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
    t.equal(maxX - minX + 1, 21 * size, 'symbol width');
    t.equal(maxY - minY + 1, 21 * size, 'symbol height');
    const room = 42 * 12;
    const expected = { left: 16 + 4 * size, center: 16 + Math.floor((room - 29 * size) / 2) + 4 * size, right: 16 + room - 25 * size }[align];
    t.equal(minX, expected, `${align} aligned, quiet zone inside the block`);
  }
  t.doesNotThrow(() => renderPreview(new EscPos().init().qr('x'.repeat(3000), { level: 'L' }).build()), 'too long for any version: a note, not a crash');
});
