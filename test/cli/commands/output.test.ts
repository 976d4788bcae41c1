// Control characters from stored or received fields never reach the terminal raw.
import t from 'tap';
import { field, safeJson, terminalSafe } from '../../../cli/commands/output.ts';

const HOSTILE = 'a\u001b[2Jb\u001b]0;pwned\u0007c\r\t\u009b31m\u007f\u202eevil';

t.test('field escapes every control character, newlines too', async (t) => {
  const out = field(HOSTILE + '\nline2');
  t.equal(out, 'a\\u001b[2Jb\\u001b]0;pwned\\u0007c\\u000d\\u0009\\u009b31m\\u007f\\u202eevil\\u000aline2');
  t.notMatch(out, /[\u0000-\u001f\u007f-\u009f\u202e]/);
  t.equal(field('Grüße € 日本 ✔'), 'Grüße € 日本 ✔', 'printable text, accents and symbols are untouched');
  t.equal(field(null), '');
});

t.test('terminalSafe keeps line breaks only', async (t) => {
  t.equal(terminalSafe('one\ntwo\u001b[2J\n'), 'one\ntwo\\u001b[2J\n');
});

t.test('safeJson stays valid JSON and round-trips the value', async (t) => {
  const value = { txn_id: HOSTILE, nested: ['\u0085', '\u2028'] };
  const text = safeJson(value, 2);
  t.notMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u202e]/, 'nothing raw but the indentation newlines');
  t.same(JSON.parse(text), value);
});
