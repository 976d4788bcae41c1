// Issue 7 item 9 (protocol parts): request ids beyond 2^53 and frames with duplicate keys.
import t from 'tap';
import { startServer } from '../helpers/socket-harness.ts';

t.test('a numeric id that is not a safe integer is refused, not rounded', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  // 2^53 + 1 parses as 2^53: echoing it would answer a request the POS never sent.
  for (const id of ['9007199254740993', '9007199254740992', '-9007199254740993', '1e300', '1.5']) {
    pos.send(`{"id":${id},"op":"status"}\n`);
    t.match(await pos.nextFrame(), { id: null, ok: false, error: { code: 'BAD_REQUEST', message: /^id: must be a string .* or an integer between -9007199254740991 and 9007199254740991/ } }, id);
  }
  pos.send('{"id":9007199254740991,"op":"status"}\n{"id":-9007199254740991,"op":"status"}\n');
  t.same(await pos.nextFrame(), { id: 9007199254740991, ok: true, result: { op: 'status' } }, 'MAX_SAFE_INTEGER is fine');
  t.same(await pos.nextFrame(), { id: -9007199254740991, ok: true, result: { op: 'status' } });
  t.equal(h.calls.length, 2, 'only the two valid requests reached the handler');
});

t.test('a frame that repeats a key is refused whole: "op":"award","op":"status" never runs status', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  pos.send('{"id":1,"op":"award","op":"status"}\n');
  t.same(await pos.nextFrame(), { id: 1, ok: false, error: { code: 'BAD_REQUEST', message: 'op: duplicate key (a key may appear only once per object)', retryable: false } });
  pos.send('{"id":2,"op":"identify","params":{"by":"card","value":"a","value":"b"}}\n');
  t.match(await pos.nextFrame(), { id: 2, error: { code: 'BAD_REQUEST', message: /^params\.value: duplicate key/ } });
  pos.send('{"id":3,"op":"status","params":{"x":[{"a":1},{"a":1,"b":{"c":1,"c":1}}]}}\n');
  t.match(await pos.nextFrame(), { id: 3, error: { message: /^params\.x\[1\]\.b\.c: duplicate key/ } }, 'at any depth');
  pos.send('{"id":4,"id":5,"op":"status"}\n');
  t.match(await pos.nextFrame(), { id: null, error: { code: 'BAD_REQUEST', message: /^id: duplicate key/ } }, 'a repeated id is not echoed');
  pos.send('{"id":6,"op":"status","params":{"k\\u0065y":1,"key":2}}\n');
  t.match(await pos.nextFrame(), { id: 6, error: { message: /^params\.key: duplicate key/ } }, 'escapes are decoded before comparing');
  pos.send('{"id":7,"op":"status","params":{"4111111111111111":1,"4111111111111111":2}}\n');
  const masked = await pos.nextFrame();
  t.match(masked, { id: 7, error: { message: /^params\.411111\*{6}1111: duplicate key/ } }, 'a key that is a card number is masked');
  t.equal(h.calls.length, 0, 'nothing reached the handler');

  // Look-alikes that are not duplicates pass: the same key in sibling objects, keys inside strings.
  pos.send('{"id":8,"op":"status","params":{"a":{"k":1},"b":{"k":1},"s":"\\"k\\":1,\\"k\\":2","t":"x\\\\","u":{":":1}}}\n');
  t.same(await pos.nextFrame(), { id: 8, ok: true, result: { op: 'status' } });
});

t.test('a byte order mark starting the connection is dropped; elsewhere the line is BAD_FRAME', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  // A .NET POS writing with Encoding.UTF8 begins its stream with EF BB BF, here in a chunk of its own.
  pos.send(Buffer.of(0xef, 0xbb));
  pos.send(Buffer.concat([Buffer.of(0xbf), Buffer.from('{"id":1,"op":"status"}\n')]));
  t.same(await pos.nextFrame(), { id: 1, ok: true, result: { op: 'status' } });
  pos.send('\ufeff{"id":2,"op":"status"}\n');
  t.match(await pos.nextFrame(), { id: null, ok: false, error: { code: 'BAD_FRAME' } }, 'only at the start of the stream');
  t.equal(h.calls.length, 1);
});

t.test('a line that is not UTF-8 is BAD_FRAME, never run with U+FFFD in place of its bytes', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  // "Café" in CP1252: é is the single byte E9.
  const cafe = Buffer.concat([Buffer.from('{"id":1,"op":"status","params":{"note":"Caf'), Buffer.of(0xe9), Buffer.from('"}}\n')]);
  pos.send(Buffer.concat([cafe, Buffer.from('{"id":2,"op":"status","params":{"note":"Café"}}\n')]));
  t.same(await pos.nextFrame(), { id: null, ok: false, error: { code: 'BAD_FRAME', message: 'the line is not UTF-8: a frame must be UTF-8 text, one JSON object per line', retryable: false } });
  t.same(await pos.nextFrame(), { id: 2, ok: true, result: { op: 'status' } }, 'the connection stays usable');
  t.equal(h.calls.length, 1, 'only the UTF-8 line reached the handler');
});
