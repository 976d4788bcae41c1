// Receipt previews draw what the printer prints: the code page's characters from a real bitmap
// font (not ASCII look-alikes), and barcodes and QR codes from bwip-js that zbarimg (apt package
// zbar-tools) decodes from the PNG itself.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { PNG } from 'pngjs';
import t from 'tap';
import { linearSymbologies, qrMatrix } from '../../drivers/barcode-symbols.ts';
import { previewFont } from '../../drivers/bdf-font.ts';
import { CODE_PAGE_NAMES, codePage } from '../../drivers/code-pages.ts';
import { EscPos, QR_LEVELS, type QrErrorLevel } from '../../drivers/escpos-encoder.ts';
import { renderPreview } from '../../drivers/receipt-preview.ts';
import { run, which } from '../helpers/systemd-tools.ts';
import { tempDir } from '../helpers/tmp.ts';

const ZBAR = which('zbarimg');
if (!ZBAR) t.fail('zbarimg is not installed: apt-get install -y zbar-tools (the preview decoding tests need it)');
const decodes = { skip: ZBAR ? false : 'zbarimg missing, see the failure above' };

let files = 0;
/** What zbarimg reads from a PNG (one line per symbol), or null when it finds nothing. */
async function zbar(dir: string, png: Buffer, only: string[] = ['-Sdisable', '-Sqrcode.enable']): Promise<string | null> {
  const file = join(dir, `${files++}.png`);
  await writeFile(file, png);
  const result = await run('zbarimg', ['--raw', '-q', ...only, file]);
  return result.code === 0 ? result.stdout.replace(/\n$/, '') : null;
}

/** Dark pixels of the PNG as rows of '#'/'.' in a box (for comparing glyphs). */
function ink(png: Buffer, x0: number, y0: number, w: number, h: number): string {
  const img = PNG.sync.read(png);
  const rows: string[] = [];
  for (let y = y0; y < y0 + h; y++) {
    let row = '';
    for (let x = x0; x < x0 + w; x++) row += (img.data[(y * img.width + x) * 4] ?? 255) < 128 ? '#' : '.';
    rows.push(row);
  }
  return rows.join('\n');
}

t.test('the font has a glyph for every character of every code page', async (t) => {
  const font = previewFont();
  t.same([font.width, font.height], [10, 20]);
  for (const name of CODE_PAGE_NAMES) {
    const page = codePage(name);
    const missing: string[] = [];
    for (let b = 0x20; b < 0x100; b++) {
      const ch = iconv.decode(Buffer.from([b]), page.iconv);
      if (b !== 0x7f && ch !== '\ufffd' && !font.has(ch)) missing.push(ch);
    }
    t.same(missing, [], name);
  }
});

t.test('€, ä, ß, ñ are drawn as themselves, not as E, a, s, n', async (t) => {
  const cell = (text: string) => ink(renderPreview(new EscPos({ codePage: 'cp858' }).init().line(text).build(), { columns: 8 }).png, 16, 16, 12, 30);
  for (const [accented, plain] of [['€', 'E'], ['ä', 'a'], ['ß', 's'], ['ñ', 'n'], ['é', 'e']]) {
    t.not(cell(accented!), cell(plain!), `${accented} differs from ${plain}`);
    t.ok(cell(accented!).includes('#'), `${accented} has ink`);
  }
  t.equal(cell('€'), cell('€'), 'deterministic');
  // CP866 Cyrillic and CP437 box drawing, as those printers print them.
  t.not(ink(renderPreview(new EscPos({ codePage: 'cp866' }).init().line('Ж').build(), { columns: 8 }).png, 16, 16, 12, 30), cell('?'));
});

t.test('QR in the preview decodes, ASCII and UTF-8 (ECI), every level; too long is a note', decodes, async (t) => {
  const dir = await tempDir(t, 'preview-');
  for (const level of QR_LEVELS) {
    for (const data of ['demo-1', 'Zürich € ^caret', 'https://loyalty.example/t/T1-2026-000123?points=15&store=Zürich']) {
      const png = renderPreview(new EscPos().init().align('center').qr(data, { size: 4, level }).build(), { columns: 42 }).png;
      t.equal(await zbar(dir, png), data, `${level} ${data}`);
    }
  }
  t.throws(() => qrMatrix('x'.repeat(3000), 'L'));
  t.doesNotThrow(() => renderPreview(new EscPos().init().qr('x'.repeat(3000), { level: 'L' }).build()), 'too long for any version: a note, not a crash');
});

t.test('receipt PNG: QR modules, quiet zone, module size and alignment', decodes, async (t) => {
  const dir = await tempDir(t, 'preview-');
  const job = (align: 'left' | 'center' | 'right', size: number, level: QrErrorLevel = 'Q') =>
    new EscPos({ codePage: 'cp858' }).init().align(align).qr('demo-1', { size, level }).feed(1).cut().build();
  for (const [align, size] of [['left', 4], ['center', 6], ['right', 8]] as const) {
    const png = PNG.sync.read(renderPreview(job(align, size), { columns: 42 }).png);
    t.equal(await zbar(dir, PNG.sync.write(png)), 'demo-1', `${align}, ${size} dots a module`);
    let minX = Infinity; let maxX = -1; let minY = Infinity; let maxY = -1;
    for (let y = 0; y < png.height - 40; y++) {
      for (let x = 0; x < png.width; x++) {
        if ((png.data[(y * png.width + x) * 4] ?? 255) >= 128) continue;
        minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
    t.equal(maxX - minX + 1, 21 * size, 'version 1: 21 modules wide');
    t.equal(maxY - minY + 1, 21 * size, 'and high');
    const room = 42 * 12;
    const expected = { left: 16 + 4 * size, center: 16 + Math.floor((room - 29 * size) / 2) + 4 * size, right: 16 + room - 25 * size }[align];
    t.equal(minX, expected, `${align} aligned, quiet zone inside the block`);
  }
});

t.test('CODE128 and the other 1D symbologies are drawn and scan', decodes, async (t) => {
  const dir = await tempDir(t, 'preview-');
  const receipt = renderPreview(new EscPos().init().line('Total 15,50 €').barcode128('T1-2026-000123')
    .align('center').qr('https://loyalty.example/t/T1-2026-000123').build(), { columns: 42 }).png;
  t.same((await zbar(dir, receipt, []))?.split('\n').sort(), ['T1-2026-000123', 'https://loyalty.example/t/T1-2026-000123'], 'QR and Code 128 both scan');
  t.equal(await zbar(dir, renderPreview(new EscPos().init().barcode128('123456').build()).png, []), '123456', 'code set C digits');
  // GS k m with NUL-terminated data (m = 2 EAN13, 3 EAN8, 4 CODE39): previews used to skip these.
  const gsk = (m: number, data: string) => Buffer.concat([Buffer.from([0x1b, 0x40, 0x1d, 0x68, 80, 0x1d, 0x77, 2, 0x1d, 0x6b, m]), Buffer.from(data, 'latin1'), Buffer.from([0])]);
  t.equal(await zbar(dir, renderPreview(gsk(2, '4006381333931')).png, ['-Sdisable', '-Sean13.enable']), '4006381333931', 'EAN-13');
  t.equal(await zbar(dir, renderPreview(gsk(3, '96385074')).png, ['-Sdisable', '-Sean8.enable']), '96385074', 'EAN-8');
  t.equal(await zbar(dir, renderPreview(gsk(4, 'TILL-42')).png, ['-Sdisable', '-Scode39.enable']), 'TILL-42', 'CODE39');
  t.ok(linearSymbologies().includes('CODABAR'));
  const bad = renderPreview(gsk(2, 'not digits'));
  t.ok(bad.printable, 'invalid data for the symbology is a note in the preview, not a crash');
});
