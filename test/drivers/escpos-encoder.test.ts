import { createRequire } from 'node:module';
import t from 'tap';
import { EscPos, code128Data, drawerKick, statusRequest } from '../../drivers/escpos-encoder.ts';

// The `escpos` package's command constants, as a reference for the commands we share with it.
const escpos = createRequire(import.meta.url)('escpos/commands.js') as {
  HARDWARE: { HW_INIT: string };
  TEXT_FORMAT: Record<string, string> & { TXT_CUSTOM_SIZE(w: number, h: number): string };
  PAPER: Record<string, string>;
  CASH_DRAWER: Record<string, string>;
  BARCODE_FORMAT: Record<string, string>;
};
const bin = (s: string) => [...Buffer.from(s, 'latin1')];
const bytes = (job: EscPos) => [...job.build()];

t.test('commands shared with the escpos package encode the same', async (t) => {
  t.same(bytes(new EscPos().raw(Buffer.from([0x1b, 0x40]))), bin(escpos.HARDWARE.HW_INIT));
  t.same(bytes(new EscPos().bold()), bin(escpos.TEXT_FORMAT.TXT_BOLD_ON ?? ''));
  t.same(bytes(new EscPos().bold(false)), bin(escpos.TEXT_FORMAT.TXT_BOLD_OFF ?? ''));
  t.same(bytes(new EscPos().underline()), bin(escpos.TEXT_FORMAT.TXT_UNDERL_ON ?? ''));
  t.same(bytes(new EscPos().align('left')), bin(escpos.TEXT_FORMAT.TXT_ALIGN_LT ?? ''));
  t.same(bytes(new EscPos().align('center')), bin(escpos.TEXT_FORMAT.TXT_ALIGN_CT ?? ''));
  t.same(bytes(new EscPos().align('right')), bin(escpos.TEXT_FORMAT.TXT_ALIGN_RT ?? ''));
  t.same(bytes(new EscPos().size(2, 3)), bin(escpos.TEXT_FORMAT.TXT_CUSTOM_SIZE(2, 3)));
  t.same(bytes(new EscPos().barcode128('x')).slice(6, 9), bin(escpos.BARCODE_FORMAT.BARCODE_TXT_BLW ?? ''));
  // ESC p m: escpos stops after m; the command takes t1 t2 as well.
  t.same([...drawerKick(0)].slice(0, 3), bin(escpos.CASH_DRAWER.CD_KICK_2 ?? ''));
  t.same([...drawerKick(1)].slice(0, 3), bin(escpos.CASH_DRAWER.CD_KICK_5 ?? ''));
});

t.test('init selects the code page', async (t) => {
  t.same(bytes(new EscPos({ codePage: 'cp858' }).init()), [0x1b, 0x40, 0x1b, 0x74, 19]);
  t.same(bytes(new EscPos({ codePage: 'cp437' }).init()), [0x1b, 0x40, 0x1b, 0x74, 0]);
  t.same(bytes(new EscPos({ codePage: 'cp852', codePageNumber: 46 }).init()), [0x1b, 0x40, 0x1b, 0x74, 46], 'override for clones');
  t.same(bytes(new EscPos().selectCodePage('cp1252').text('€')), [0x1b, 0x74, 16, 0x80]);
});

t.test('text, sizes, feed, cut, drawer, status', async (t) => {
  t.same(bytes(new EscPos({ codePage: 'cp858' }).line('1 €')), [0x31, 0x20, 0xd5, 0x0a]);
  t.same(bytes(new EscPos().doubleSize()), [0x1d, 0x21, 0x11]);
  t.same(bytes(new EscPos().doubleSize(false)), [0x1d, 0x21, 0x00]);
  t.same(bytes(new EscPos().size(9, 0)), [0x1d, 0x21, 0x70], 'clamped to 8×1');
  t.same(bytes(new EscPos().feed(3)), [0x1b, 0x64, 3]);
  t.same(bytes(new EscPos().cut()), [0x1d, 0x56, 65, 3]);
  t.same(bytes(new EscPos().cut({ partial: true, feed: 0 })), [0x1d, 0x56, 66, 0]);
  t.same([...drawerKick(0, 100, 500)], [0x1b, 0x70, 0, 50, 250]);
  t.same([...statusRequest(4)], [0x10, 0x04, 4]);
});

t.test('CODE128: set C for even digit strings, set B otherwise, { escaped', async (t) => {
  t.same([...code128Data('123456')], [0x7b, 0x43, 12, 34, 56]);
  t.same(code128Data('T1-42').toString('latin1'), '{BT1-42');
  t.same(code128Data('12345').toString('latin1'), '{B12345', 'odd digit count stays in B');
  t.same(code128Data('a{b').toString('latin1'), '{Ba{{b');
  t.same(code128Data('ü').toString('latin1'), '{B?');
  const job = bytes(new EscPos().barcode128('T1-42', { height: 50, moduleWidth: 3, hri: 'none' }));
  t.same(job, [0x1d, 0x68, 50, 0x1d, 0x77, 3, 0x1d, 0x48, 0, 0x1d, 0x6b, 73, 7, ...Buffer.from('{BT1-42')]);
});

t.test('QR code with GS ( k', async (t) => {
  const job = bytes(new EscPos().qr('T1', { size: 4, level: 'Q' }));
  t.same(job, [
    0x1d, 0x28, 0x6b, 4, 0, 49, 65, 50, 0,
    0x1d, 0x28, 0x6b, 3, 0, 49, 67, 4,
    0x1d, 0x28, 0x6b, 3, 0, 49, 69, 50,
    0x1d, 0x28, 0x6b, 5, 0, 49, 80, 48, 0x54, 0x31,
    0x1d, 0x28, 0x6b, 3, 0, 49, 81, 48,
  ]);
  const long = new EscPos().qr('x'.repeat(300)).build();
  t.same([...long.subarray(25, 30)], [0x1d, 0x28, 0x6b, 303 & 0xff, 303 >> 8], 'two-byte length');
});
