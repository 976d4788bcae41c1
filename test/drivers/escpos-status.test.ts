import t from 'tap';
import { decodeStatus, isStatusByte, processedWarnings, ReplyParser, statusBytesFor, statusProblem, statusWarnings, type StatusBytes } from '../../drivers/escpos-status.ts';
import type { PrinterStatus } from '../../drivers/types.ts';

const ok: PrinterStatus = { online: true, cover_open: false, paper_out: false, paper_near_end: false, drawer_open: false, error: false };

const cases: Array<[name: string, bytes: StatusBytes, expected: PrinterStatus, problem: ReturnType<typeof statusProblem>]> = [
  ['all fine', { 1: 0x12, 2: 0x12, 4: 0x12 }, ok, null],
  ['drawer pin 3 high', { 1: 0x16, 2: 0x12, 4: 0x12 }, { ...ok, drawer_open: true }, null],
  ['paper near end is only a warning', { 1: 0x12, 2: 0x12, 4: 0x1e }, { ...ok, paper_near_end: true }, null],
  ['paper out (offline, stopped by paper end, roll end)', { 1: 0x1a, 2: 0x32, 4: 0x7e },
    { ...ok, online: false, paper_out: true, paper_near_end: true }, 'paper_out'],
  ['paper out from the roll sensor alone', { 4: 0x72 }, { online: true, cover_open: false, paper_out: true, paper_near_end: false }, 'paper_out'],
  ['cover open', { 1: 0x1a, 2: 0x16, 4: 0x12 }, { ...ok, online: false, cover_open: true }, 'cover_open'],
  ['offline for another reason', { 1: 0x1a, 2: 0x12, 4: 0x12 }, { ...ok, online: false }, 'offline'],
  ['error bit with cutter error', { 1: 0x1a, 2: 0x52, 3: 0x1a, 4: 0x12 }, { ...ok, online: false, error: true }, 'mechanical_error'],
  ['feed button held is not a problem', { 1: 0x12, 2: 0x1a, 4: 0x12 }, ok, null],
  ['no answers at all: assume nothing', {}, { online: true, cover_open: false, paper_out: false, paper_near_end: false }, null],
];

for (const [name, bytes, expected, problem] of cases) {
  t.test(name, async (t) => {
    const status = decodeStatus(bytes);
    t.same(status, expected);
    t.equal(statusProblem(status), problem);
  });
}

t.test('status byte pattern 0xx1xx10', async (t) => {
  for (const b of [0x12, 0x16, 0x1a, 0x1e, 0x32, 0x52, 0x72, 0x7e]) t.ok(isStatusByte(b), b.toString(16));
  for (const b of [0x00, 0x13, 0x02, 0x10, 0x92, 0xff, 0x0a]) t.notOk(isStatusByte(b), b.toString(16));
});

t.test('warnings and canned bytes agree with the decoder', async (t) => {
  t.same(statusWarnings(decodeStatus(statusBytesFor('paper_near_end'))), ['paper_near_end']);
  t.equal(statusProblem(decodeStatus(statusBytesFor('ok'))), null);
  t.equal(statusProblem(decodeStatus(statusBytesFor('paper_out'))), 'paper_out');
  t.equal(statusProblem(decodeStatus(statusBytesFor('cover_open'))), 'cover_open');
  t.equal(statusProblem(decodeStatus(statusBytesFor('offline'))), 'offline');
});

t.test('ReplyParser: DLE EOT answers, GS r answers, split ASB blocks and noise', async (t) => {
  const p = new ReplyParser();
  t.same(p.feed(Uint8Array.of(0x12, 0x00, 0x03)), [{ type: 'status', byte: 0x12 }, { type: 'processed', byte: 0x00 }, { type: 'processed', byte: 0x03 }]);
  t.same(p.feed(Uint8Array.of(0x14, 0x00)), [], 'an ASB block split over chunks is held');
  t.same(p.feed(Uint8Array.of(0x0c, 0x00, 0x16)), [{ type: 'asb', bytes: [0x14, 0x00, 0x0c, 0x00] }, { type: 'status', byte: 0x16 }]);
  t.same(p.feed(Uint8Array.of(0xff, 0x14, 0x80)), [{ type: 'noise', byte: 0xff }, { type: 'noise', byte: 0x14 }, { type: 'noise', byte: 0x80 }],
    'garbage and a broken ASB start are noise, never a confirmation');
  t.same(processedWarnings(0x03), ['paper_near_end']);
  t.same(processedWarnings(0x00), []);
});
