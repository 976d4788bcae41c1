// Scale protocol decoding (drivers/scale-protocols.ts): toledo-8217 answers and status bytes,
// CAS continuous lines (22- and 18-byte layouts), exact gram conversion, frame splitting.
import fc from 'fast-check';
import t from 'tap';
import { FrameSplitter, parse8217, parseCas, toGrams } from '../../drivers/scale-protocols.ts';
import { answerFor, parseLoad } from '../../drivers/transports/virtual-scale.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

t.test('grams, exactly', async (t) => {
  t.equal(toGrams('01.234', 'kg'), 1234);
  t.equal(toGrams('0.0005', 'kg'), 1, 'half a gram rounds up');
  t.equal(toGrams('0.0004', 'kg'), 0);
  t.equal(toGrams('1.00', 'lb'), 454, '453.59237 g');
  t.equal(toGrams('02.50', 'lb'), 1134, '1133.98 g');
  t.equal(toGrams('350', 'g'), 350);
  t.equal(toGrams('.5', 'kg'), 500);
  t.equal(toGrams('0.1', 'kg'), 100, 'no float error (0.1 * 1000)');
  for (const bad of ['', '.', '1.2.3', '-1', '1e3', 'abc', ' ']) t.equal(toGrams(bad, 'kg'), null, JSON.stringify(bad));
  fc.assert(fc.property(fc.integer({ min: 0, max: 99_999_999 }), (g) => {
    const kg = `${Math.floor(g / 1000)}.${String(g % 1000).padStart(3, '0')}`;
    return toGrams(kg, 'kg') === g;
  }));
});

t.test('toledo-8217 answers', async (t) => {
  t.same(parse8217(b('01.234'), 'auto'), { kind: 'weight', stable: true, negative: false, value: '01.234', unit: 'kg', net: false });
  t.same(parse8217(b('01.25'), 'auto'), { kind: 'weight', stable: true, negative: false, value: '01.25', unit: 'lb', net: false });
  t.match(parse8217(b('00.500N'), 'auto'), { value: '00.500', net: true });
  t.match(parse8217(b('01.25'), 'kg'), { unit: 'kg' }, 'a configured unit wins');
  t.match(parse8217(b('?A'), 'auto'), { kind: 'status', motion: true, overload: false }); // 0x41
  t.match(parse8217(b('?B'), 'auto'), { kind: 'status', motion: false, overload: true });
  t.match(parse8217(b('?D'), 'auto'), { kind: 'status', underZero: true });
  t.match(parse8217(b('?P'), 'auto'), { kind: 'status', atZero: true });  // 0x50
  t.match(parse8217(b('?H'), 'auto'), { kind: 'status', zeroError: true }); // 0x48
  t.match(parse8217(b('?\xc1'), 'auto'), { kind: 'status', motion: true }, 'the parity bit is ignored');
  t.equal(parse8217(b('?1'), 'auto'), null, 'bit 6 clear: not a status byte');
  for (const bad of ['', '12a.3', '1.2.3', 'W', '?']) t.equal(parse8217(b(bad), 'auto'), null, JSON.stringify(bad));
});

t.test('CAS continuous lines', async (t) => {
  t.same(parseCas(b('ST,GS,01\xc3,000013.5 kg')), { kind: 'weight', stable: true, negative: false, value: '000013.5', unit: 'kg', net: false }, '22 bytes, manual layout');
  t.match(parseCas(b('US,NT,01,00001.234\xc0kg')), { stable: false, value: '00001.234', net: true }, '22 bytes, id then lamp after the weight');
  t.match(parseCas(b('ST,GS,+001.234kg')), { stable: true, value: '001.234', unit: 'kg' }, '18 bytes (A&D)');
  t.match(parseCas(b('ST,NT,-  0.120kg')), { negative: true, value: '0.120' });
  t.match(parseCas(b('ST,GS,   350.0 g')), { value: '350.0', unit: 'g' });
  t.match(parseCas(b('ST,GS,  2.500lb')), { unit: 'lb' });
  t.same(parseCas(b('OL,GS,--------kg')), { kind: 'overload' });
  for (const bad of ['', 'hello', 'ST,XX,1.0kg', 'ST,GS,abc kg', 'ST,GS,1.0 oz', 'ZZ,GS,1.0kg']) t.equal(parseCas(b(bad)), null, JSON.stringify(bad));
});

t.test('frames: STX…CR and lines, across chunks, with noise and overlong garbage', async (t) => {
  const ecr = new FrameSplitter('stx-cr');
  t.same(ecr.push(b('junk\x0201.2')), { frames: [], noise: 4 });
  t.same(ecr.push(b('34\r\x02?A\r')), { frames: [b('01.234'), b('?A')], noise: 0 });
  t.same(ecr.push(b('\x02' + 'x'.repeat(100))).noise, 101, 'a frame that never ends is dropped');
  const lines = new FrameSplitter('lines');
  t.same(lines.push(b('ST,GS,+001.234kg\r\nUS,GS')).frames, [b('ST,GS,+001.234kg')]);
  t.same(lines.push(b(',+001.000kg\r\n')).frames, [b('US,GS,+001.000kg')]);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('stx-cr' as const, 'lines' as const), (bytes, mode) => {
    const { frames } = new FrameSplitter(mode).push(Buffer.from(bytes));
    for (const f of frames) { parse8217(f, 'auto'); parseCas(f); }
    return true;
  }));
});

t.test('the virtual scale answers like a toledo-8217 scale', async (t) => {
  const answer = (text: string) => answerFor(parseLoad(text)!);
  t.equal(answer('0.350'), '\x0200.350\r');
  t.equal(answer('350g'), '\x0200.350\r');
  t.equal(answer('1lb'), '\x0200.454\r');
  t.equal(answer('0'), '\x02?P\r');
  t.equal(answer('unstable'), '\x02?A\r');
  t.equal(answer('overload'), '\x02?B\r');
  t.equal(answer('negative'), '\x02?D\r');
  t.equal(answer('150'), '\x02?B\r', 'beyond 99.999 kg the 6-character field cannot show it');
  t.equal(parseLoad('a lot'), undefined);
});
