import { PNG } from 'pngjs';
import t from 'tap';
import { EscPos } from '../../drivers/escpos-encoder.ts';
import { interpret, toText, type Block } from '../../drivers/escpos-interpreter.ts';
import { renderPng } from '../../drivers/receipt-render.ts';
import { renderPreview } from '../../drivers/receipt-preview.ts';

const receipt = () => new EscPos({ codePage: 'cp858' }).init()
  .align('center').doubleSize().bold().line('Café Ünder').bold(false).doubleSize(false)
  .line('Rue de la Paix 1')
  .align('left').line('Croissant x2          3,00 €')
  .line('Jalapeño piñata      12,50 €')
  .underline().line('Total                15,50 €').underline(false)
  .align('right').line('Points +15')
  .align('center').barcode128('T1-2026-000123').qr('https://loyalty.example/t/T1-2026-000123')
  .feed(2).cut().drawer()
  .build();

t.test('encoder → interpreter round trip, line by line', async (t) => {
  const doc = interpret(receipt(), { columns: 42 });
  t.same(doc.lines, [
    'Café Ünder',
    'Rue de la Paix 1',
    'Croissant x2          3,00 €',
    'Jalapeño piñata      12,50 €',
    'Total                15,50 €',
    'Points +15',
    '[CODE128 T1-2026-000123]',
    '[QR https://loyalty.example/t/T1-2026-000123]',
    '',
    '',
  ]);
  t.same(doc.unknown, []);
  const text = doc.blocks.filter((b): b is Extract<Block, { type: 'text' }> => b.type === 'text');
  t.same(text[0]?.runs, [{ text: 'Café Ünder', bold: true, underline: false, width: 2, height: 2 }]);
  t.equal(text[0]?.align, 'center');
  t.equal(text[2]?.align, 'left');
  t.equal(text[4]?.runs[0]?.underline, true);
  t.equal(text[5]?.align, 'right');
  t.same(doc.blocks.slice(-2), [{ type: 'cut', partial: false }, { type: 'drawer', pin: 2 }]);
});

t.test('code page switches mid-job decode with the table in force', async (t) => {
  const job = new EscPos({ codePage: 'cp437' }).init().line('ñ €')
    .selectCodePage('cp858').line('ñ €')
    .selectCodePage('cp852').line('ł ő')
    .selectCodePage('cp1252').line('“€”').build();
  t.same(interpret(job).lines, ['ñ EUR', 'ñ €', 'ł ő', '“€”']);
});

t.test('ESC @ resets styles and the table', async (t) => {
  const job = new EscPos({ codePage: 'cp858' }).init().bold().doubleSize().align('center').line('A')
    .raw(Buffer.from([0x1b, 0x40])).raw(Buffer.from([0xd5, 0x0a])).build();
  const doc = interpret(job);
  const last = doc.blocks.at(-1);
  t.same(last, { type: 'text', align: 'left', text: '╒', runs: [{ text: '╒', bold: false, underline: false, width: 1, height: 1 }] },
    '0xD5 is ╒ in CP437 again');
});

t.test('wraps at the printer width, counting double width', async (t) => {
  const job = new EscPos().init().line('x'.repeat(45)).doubleSize().line('y'.repeat(17)).build();
  t.same(interpret(job, { columns: 32 }).lines, ['x'.repeat(32), 'x'.repeat(13), 'y'.repeat(16), 'y']);
});

t.test('alignment is only taken at a line start (as printers do)', async (t) => {
  const job = new EscPos().init().text('ab').align('right').line('c').line('d').build();
  const doc = interpret(job);
  t.same(doc.blocks.map((b) => b.type === 'text' && b.align), ['left', 'left']);
});

t.test('status requests, unknown and skipped commands', async (t) => {
  const job = Buffer.concat([
    Buffer.from([0x10, 0x04, 0x01, 0x10, 0x04, 0x04]),
    Buffer.from([0x1d, 0x76, 0x30, 0x00, 0x01, 0x00, 0x02, 0x00, 0x41, 0x42]), // raster 1×2 bytes: not text
    Buffer.from([0x1b, 0x2a, 0x00, 0x02, 0x00, 0x43, 0x44]),                   // bit image: not text
    Buffer.from('ok\n'),
    Buffer.from([0x1b, 0x7e]),
    Buffer.from('x\n'),
  ]);
  const doc = interpret(job);
  t.same(doc.statusRequests, [1, 4]);
  t.same(doc.lines, ['ok', 'x']);
  t.same(doc.unknown, ['ESC 0x7e']);
});

t.test('text preview and PNG', async (t) => {
  const doc = interpret(receipt(), { columns: 42 });
  const text = toText(doc, 42);
  t.match(text, /^ {11}C a f é {3}Ü n d e r\n/, 'double width spread, centred');
  t.match(text, /\n {32}Points \+15\n/, 'right aligned');
  t.match(text, /\[drawer pin 2\]\n$/);
  const png = PNG.sync.read(renderPng(doc, 42));
  t.equal(png.width, 42 * 12 + 32);
  t.ok(png.height > 300);
  const dark = (x0: number, y0: number, w: number, h: number) => {
    let n = 0;
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if ((png.data[(y * png.width + x) * 4] ?? 255) < 128) n++;
    return n;
  };
  t.ok(dark(0, 0, png.width, png.height) > 1000, 'ink on the paper');
  t.equal(dark(0, 0, 16, png.height), 0, 'left margin stays blank');
  const preview = renderPreview(receipt(), { columns: 42 });
  t.ok(preview.printable);
  t.notOk(renderPreview(new EscPos().drawer().build()).printable, 'a drawer kick prints nothing');
});

