import t from 'tap';
import { LineSplitter, NOT_UTF8 } from '../../protocol/line-splitter.ts';

const b = (s: string) => Buffer.from(s, 'utf8');
const euro = b('€'); // e2 82 ac
const pile = b('💩'); // f0 9f 92 a9

interface Case {
  name: string;
  max?: number;
  chunks: Buffer[];
  lines: Array<string | typeof NOT_UTF8>;
  tooLarge?: boolean;
  buffered?: number;
}

const cases: Case[] = [
  { name: 'one line in one chunk', chunks: [b('{"a":1}\n')], lines: ['{"a":1}'] },
  { name: 'several lines in one chunk', chunks: [b('a\nb\nc\n')], lines: ['a', 'b', 'c'] },
  { name: 'a line split over chunks', chunks: [b('{"a"'), b(':1'), b('}\n')], lines: ['{"a":1}'] },
  { name: 'partial line is held back', chunks: [b('a\nbc')], lines: ['a'], buffered: 2 },
  { name: 'CRLF is stripped', chunks: [b('a\r\nb\r\n')], lines: ['a', 'b'] },
  { name: 'CR and LF in different chunks', chunks: [b('a\r'), b('\n')], lines: ['a'] },
  { name: 'a lone CR inside a line is kept', chunks: [b('a\rb\n')], lines: ['a\rb'] },
  { name: 'empty lines are ignored', chunks: [b('\n\r\n\na\n\n')], lines: ['a'] },
  { name: 'one byte per chunk', chunks: [...b('ab\ncd\n')].map((x) => Buffer.of(x)), lines: ['ab', 'cd'] },
  {
    name: '3-byte character split after its first byte',
    chunks: [Buffer.concat([b('x'), euro.subarray(0, 1)]), Buffer.concat([euro.subarray(1), b('y\n')])],
    lines: ['x€y'],
  },
  {
    name: '4-byte character split into every byte',
    chunks: [...[...pile].map((x) => Buffer.of(x)), b('\n')],
    lines: ['💩'],
  },
  { name: 'a line that is not UTF-8 is NOT_UTF8, never U+FFFD', chunks: [Buffer.of(0xff, 0x0a)], lines: [NOT_UTF8] },
  { name: 'a CP1252 "Café" between good lines', chunks: [b('a\n'), Buffer.concat([b('Caf'), Buffer.of(0xe9), b('\nb\n')])], lines: ['a', NOT_UTF8, 'b'] },
  { name: 'a character cut short inside a line', chunks: [Buffer.concat([b('x'), euro.subarray(0, 2), b('y\n')])], lines: [NOT_UTF8] },
  { name: 'a bad byte in a line split over chunks', chunks: [b('ab'), Buffer.of(0xc0, 0x80), b('c\nd\n')], lines: [NOT_UTF8, 'd'] },
  { name: 'a chunk ending inside a character does not spoil its whole lines', chunks: [Buffer.concat([b('a\nb\n'), euro.subarray(0, 1)]), Buffer.concat([euro.subarray(1), b('\n')])], lines: ['a', 'b', '€'] },
  { name: 'a byte order mark that starts the stream is dropped', chunks: [Buffer.concat([b('\ufeff{"a":1}\n'), b('\ufeffx\n')])], lines: ['{"a":1}', '\ufeffx'] },
  { name: 'a byte order mark split over chunks', chunks: [Buffer.of(0xef), Buffer.of(0xbb), Buffer.of(0xbf, 0x61, 0x0a)], lines: ['a'] },
  { name: 'a byte order mark alone on the first line', chunks: [b('\ufeff\r\na\n')], lines: ['a'] },
  { name: 'a byte order mark after an empty first line is kept', chunks: [b('\n\ufeffa\n')], lines: ['\ufeffa'] },
  { name: 'only the first byte order mark is dropped', chunks: [b('\ufeff\ufeffa\n')], lines: ['\ufeffa'] },
  { name: 'NUL bytes pass through', chunks: [Buffer.of(0x00, 0x61, 0x00, 0x0a)], lines: ['\0a\0'] },
  { name: 'exactly at the limit', max: 4, chunks: [b('abcd\n')], lines: ['abcd'] },
  { name: 'exactly at the limit with CRLF', max: 4, chunks: [b('abcd\r\n')], lines: ['abcd'] },
  { name: 'exactly at the limit, CR pending', max: 4, chunks: [b('abcd\r'), b('\n')], lines: ['abcd'] },
  { name: 'limit counts bytes, not characters', max: 6, chunks: [b('€€\n')], lines: ['€€'] },
  { name: 'a multi-byte line one byte over the limit', max: 5, chunks: [b('€€\n')], lines: [], tooLarge: true },
  { name: 'complete line over the limit', max: 4, chunks: [b('ok\nabcde\nlater\n')], lines: ['ok'], tooLarge: true },
  { name: 'pending line over the limit', max: 4, chunks: [b('ok\nabc'), b('de')], lines: ['ok'], tooLarge: true },
  { name: 'pending line over the limit by a CR then more', max: 4, chunks: [b('abcd\r'), b('x')], lines: [], tooLarge: true },
  { name: 'pending at limit is fine', max: 4, chunks: [b('ab'), b('cd')], lines: [], buffered: 4 },
  { name: 'after too large, input is ignored', max: 2, chunks: [b('abc'), b('\nok\n')], lines: [], tooLarge: true },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const splitter = new LineSplitter(c.max ?? 1024);
    const lines: Array<string | typeof NOT_UTF8> = [];
    let tooLarge = false;
    for (const chunk of c.chunks) {
      const result = splitter.push(chunk);
      lines.push(...result.lines);
      tooLarge ||= result.tooLarge;
    }
    t.same(lines, c.lines);
    t.equal(tooLarge, c.tooLarge ?? false);
    if (c.buffered !== undefined) t.equal(splitter.bufferedBytes, c.buffered);
    if (tooLarge) t.equal(splitter.bufferedBytes, 0, 'nothing kept after failing');
  });
}

t.test('memory stays bounded while a line grows past the limit', async (t) => {
  const splitter = new LineSplitter(100);
  const chunk = Buffer.alloc(30, 0x61);
  let result = splitter.push(chunk);
  for (let i = 0; i < 3 && !result.tooLarge; i++) result = splitter.push(chunk);
  t.ok(result.tooLarge, 'reported once the pending line passed 100 bytes');
  t.equal(splitter.bufferedBytes, 0);
  t.ok(splitter.isFailed);
});

t.test('end() yields an unterminated last line', async (t) => {
  const cases: Array<[string, Buffer[], number, Array<string | typeof NOT_UTF8>, boolean]> = [
    ['nothing pending', [b('a\n')], 8, [], false],
    ['a last line', [b('a\nb'), b('c')], 8, ['bc'], false],
    ['a last line ending in CR', [b('abcd\r')], 4, ['abcd'], false],
    ['a lone CR', [b('\r')], 4, [], false],
    ['a last line that is not UTF-8', [b('a\nb'), Buffer.of(0xff)], 4, [NOT_UTF8], false],
    ['a byte order mark and a last line', [b('\ufeffab')], 8, ['ab'], false],
    ['after failing', [b('abcdef')], 4, [], true],
  ];
  for (const [name, chunks, max, lines, tooLarge] of cases) {
    const splitter = new LineSplitter(max);
    for (const chunk of chunks) splitter.push(chunk);
    t.same(splitter.end(), { lines, tooLarge }, name);
    t.equal(splitter.bufferedBytes, 0, `${name}: nothing kept`);
  }
});

t.test('rejects a nonsensical limit', async (t) => {
  t.throws(() => new LineSplitter(0), TypeError);
  t.throws(() => new LineSplitter(1.5), TypeError);
});
