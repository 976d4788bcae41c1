import t from 'tap';
import { parseBarcode, symbologyOf, type BarcodeOptions, type BarcodeResult } from '../../drivers/barcode.ts';

const cases: Array<[name: string, line: string, options: BarcodeOptions, expected: BarcodeResult]> = [
  ['plain EAN-13', '4006381333931', {}, { ok: true, data: '4006381333931' }],
  ['AIM EAN-13', ']E04006381333931', {}, { ok: true, data: '4006381333931', symbology: 'ean13', aim: ']E0' }],
  ['AIM EAN-8', ']E496385074', {}, { ok: true, data: '96385074', symbology: 'ean8', aim: ']E4' }],
  ['AIM Code 128', ']C0T1-2026-000123', {}, { ok: true, data: 'T1-2026-000123', symbology: 'code128', aim: ']C0' }],
  ['AIM GS1-128', ']C10100012345678905', {}, { ok: true, data: '0100012345678905', symbology: 'gs1-128', aim: ']C1' }],
  ['AIM QR model 2', ']Q1https://example.com/c/42', {}, { ok: true, data: 'https://example.com/c/42', symbology: 'qr', aim: ']Q1' }],
  ['AIM GS1 QR', ']Q3010001', {}, { ok: true, data: '010001', symbology: 'gs1-qr', aim: ']Q3' }],
  ['AIM Code 39', ']A0ABC-123', {}, { ok: true, data: 'ABC-123', symbology: 'code39', aim: ']A0' }],
  ['AIM Data Matrix', ']d1LOYALTY42', {}, { ok: true, data: 'LOYALTY42', symbology: 'datamatrix', aim: ']d1' }],
  ['AIM ITF', ']I012345678', {}, { ok: true, data: '12345678', symbology: 'itf', aim: ']I0' }],
  ['unknown AIM code keeps the identifier', ']Y9abc', {}, { ok: true, data: 'abc', symbology: ']Y9', aim: ']Y9' }],
  ['aim off keeps a leading ]', ']E0123', { aim: 'off' }, { ok: true, data: ']E0123' }],
  ['aim on requires it', '123', { aim: 'on' }, { ok: false, reason: 'missing_aim_identifier' }],
  ['prefix and suffix stripped', '\x02]E04006381333931\x03', { prefix: '\x02', suffix: '\x03' },
    { ok: true, data: '4006381333931', symbology: 'ean13', aim: ']E0' }],
  ['prefix absent is fine', '12345', { prefix: 'SCAN:' }, { ok: true, data: '12345' }],
  ['text prefix', 'SCAN:12345', { prefix: 'SCAN:' }, { ok: true, data: '12345' }],
  ['stray CR from a CRLF scanner on an LF config', '12345\r', {}, { ok: true, data: '12345' }],
  ['stray LF from a CRLF scanner on a CR config', '\n12345', {}, { ok: true, data: '12345' }],
  ['empty line', '', {}, { ok: false, reason: 'empty' }],
  ['only an AIM identifier', ']E0', {}, { ok: false, reason: 'empty' }],
  ['too long', 'x'.repeat(11), { maxLength: 10 }, { ok: false, reason: 'too_long' }],
  ['UTF-8 QR content', ']Q1Grüße €', {}, { ok: true, data: 'Grüße €', symbology: 'qr', aim: ']Q1' }],
];

for (const [name, line, options, expected] of cases) {
  t.test(name, async (t) => {
    t.same(parseBarcode(line, options), expected);
  });
}

t.test('symbology names', async (t) => {
  t.equal(symbologyOf(']E3'), 'ean13-addon');
  t.equal(symbologyOf(']z0'), 'aztec');
  t.equal(symbologyOf(']L2'), 'pdf417');
});
