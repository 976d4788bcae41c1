// Key events → text for the keyboard-wedge layouts (us, uk, de, fr): fixed expectations per
// layout, modifiers, dead keys, Alt codes, and a round trip over every character each layout types.
import fc from 'fast-check';
import t from 'tap';
import { EV_SYN, SYN_DROPPED, InputEventDecoder, encodeInputEvent, INPUT_EVENT_SIZE } from '../../drivers/evdev-events.ts';
import { KeyboardDecoder, LAYOUTS, type Layout } from '../../drivers/evdev-keymap.ts';
import { KEY, records, strokesFor, tap, typeText } from '../helpers/evdev-keyboard.ts';

const typed = (layout: Layout, ...keys: Array<[number, number[]?]>) =>
  new KeyboardDecoder(layout).feed(keys.flatMap(([code, mods]) => tap(code, mods ?? []))).text;

// KEY_Q 16, KEY_W 17, KEY_Y 21, KEY_A 30, KEY_Z 44, KEY_M 50, KEY_2 3, KEY_3 4, KEY_4 5, KEY_9 10,
// KEY_MINUS 12, KEY_EQUAL 13, KEY_LEFTBRACE 26, KEY_SEMICOLON 39, KEY_APOSTROPHE 40, KEY_GRAVE 41, KEY_BACKSLASH 43, KEY_E 18
const S = [KEY.LEFTSHIFT];
const G = [KEY.RIGHTALT];
const cases: Array<[string, Layout, Array<[number, number[]?]>, string]> = [
  ['us letters and digits', 'us', [[30], [30, S], [3], [3, S], [16], [44]], 'aA2@qz'],
  ['us punctuation', 'us', [[26], [26, S], [39, S], [40, S], [41], [43, S], [12, S]], '[{:"`|_'],
  ['uk: shift+2 is ", shift+3 is £, # next to Enter, AltGr+4 is €', 'uk', [[3, S], [4, S], [43], [43, S], [40, S], [5, G]], '"£#~@€'],
  ['de: QWERTZ, umlauts, ß', 'de', [[21], [44], [39], [40, S], [12], [26]], 'zyöÄßü'],
  ['de: AltGr for @ € [ ] and the AIM "]"', 'de', [[16, G], [18, G], [9, G], [10, G]], '@€[]'],
  ['de: shift+7 is /, shift+0 is =', 'de', [[8, S], [11, S]], '/='],
  ['fr: AZERTY, digits need shift', 'fr', [[16], [30], [44], [50], [3], [3, S], [11, S]], 'aqw,é20'],
  ['fr: AltGr for @ ] and the €', 'fr', [[11, G], [12, G], [18, G]], '@]€'],
  ['dead circumflex + e (fr) is ê, + space is ^', 'fr', [[26], [18], [26], [KEY.SPACE]], 'ê^'],
  ['dead acute + e (de) is é; before a consonant both are typed', 'de', [[13], [18], [13], [35]], 'é´h'],
  ['Enter and Tab', 'us', [[30], [KEY.ENTER], [30], [KEY.TAB]], 'a\ra\t'],
  ['keypad digits and keypad Enter', 'de', [[79], [80], [96]], '12\r'],
  ['unknown keys (F1, arrows) type nothing', 'us', [[59], [103], [30]], 'a'],
];

for (const [name, layout, keys, expected] of cases) t.equal(typed(layout, ...keys), expected, name);

t.test('caps lock: letters only, and shift inverts it', async (t) => {
  t.equal(typed('us', [KEY.CAPSLOCK], [30], [30, S], [3]), 'Aa2');
  t.equal(typed('de', [KEY.CAPSLOCK], [39], [12]), 'Öß', 'ö is a letter, ß has no simple upper case on this key');
  t.equal(typed('fr', [KEY.CAPSLOCK], [3]), 'é', 'the digit row is not alphabetic');
});

t.test('Ctrl + ] is GS (the GS1 separator); Alt + keypad 0029 too; Alt+0128 is € (cp1252), Alt+130 is é (cp437)', async (t) => {
  t.equal(typed('us', [27, [KEY.LEFTCTRL]], [30, [KEY.LEFTCTRL]]), '\x1d\x01');
  const alt = (digits: string) => [
    ...tap(KEY.LEFTALT).slice(0, 3), // press only
    ...[...digits].flatMap((d) => tap({ '0': 82, '1': 79, '2': 80, '3': 81, '8': 72, '9': 73 }[d] ?? 0)),
    { type: 1, code: KEY.LEFTALT, value: 0 },
  ];
  const d = new KeyboardDecoder('us');
  t.equal(d.feed([...alt('0029'), ...alt('0128'), ...alt('130')]).text, '\x1d€é');
});

t.test('autorepeat is ignored; SYN_DROPPED is reported and clears the modifiers', async (t) => {
  const d = new KeyboardDecoder('us');
  t.same(d.feed([{ type: 1, code: 30, value: 1 }, { type: 1, code: 30, value: 2 }, { type: 1, code: 30, value: 0 }]), { text: 'a', dropped: false });
  const r = d.feed([{ type: 1, code: KEY.LEFTSHIFT, value: 1 }, { type: EV_SYN, code: SYN_DROPPED, value: 0 }, ...tap(30)]);
  t.same(r, { text: 'a', dropped: true }, 'shift forgotten after the drop');
});

t.test('round trip: every character a layout types comes back from its key events', async (t) => {
  for (const layout of LAYOUTS) {
    const chars = [...strokesFor(layout).keys()].join('');
    t.equal(new KeyboardDecoder(layout).feed(typeText(layout, chars)).text, chars, `${layout}: ${chars.length} characters`);
    t.ok(chars.length >= 95, `${layout} types at least the printable ASCII range's worth`);
    if (layout !== 'fr') for (const c of ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~') {
      if (!strokesFor(layout).has(c)) t.fail(`${layout} cannot type ${c}`);
    }
  }
});

t.test('input_event records: 24 bytes, decoded across any chunking', async (t) => {
  t.equal(encodeInputEvent({ type: 1, code: 30, value: 1 }).length, INPUT_EVENT_SIZE);
  const events = typeText('de', ']E04006381333931\r');
  const bytes = records(events);
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }), (cuts) => {
    const decoder = new InputEventDecoder();
    const out = [];
    let at = 0;
    for (const n of cuts) { out.push(...decoder.push(bytes.subarray(at, at + n))); at = Math.min(bytes.length, at + n); }
    out.push(...decoder.push(bytes.subarray(at)));
    return decoder.pending() === 0 && JSON.stringify(out) === JSON.stringify(events);
  }));
  t.equal(new KeyboardDecoder('de').feed(new InputEventDecoder().push(bytes)).text, ']E04006381333931\r');
});

t.test('garbage records never throw and type nothing but text', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 24 * 40 }), fc.constantFrom(...LAYOUTS), (bytes, layout) => {
    const out = new KeyboardDecoder(layout).feed(new InputEventDecoder().push(Buffer.from(bytes)));
    return typeof out.text === 'string';
  }), { numRuns: 500 });
  t.pass();
});
