// Plays a USB keyboard-wedge scanner: text → the key events a scanner set to `layout` sends
// (shift/AltGr presses around each key, SYN_REPORT after each), as real 64-bit
// `struct input_event` records (24 bytes). The key for each character is found by asking the
// driver's own decoder for every key and modifier, so the helper needs no layout table of its own;
// the layout tables themselves are checked against fixed expectations in evdev-keymap.test.ts.
import { EV_KEY, EV_SYN, encodeInputEvent, type InputEvent } from '../../drivers/evdev-events.ts';
import { KeyboardDecoder, type Layout } from '../../drivers/evdev-keymap.ts';

export const KEY = { LEFTSHIFT: 42, RIGHTALT: 100, LEFTALT: 56, LEFTCTRL: 29, CAPSLOCK: 58, ENTER: 28, TAB: 15, SPACE: 57, KP0: 82 } as const;
const EV_MSC = 4;
const MSC_SCAN = 4;

type Stroke = { code: number; modifiers: number[] };

const press = (code: number): InputEvent[] => [{ type: EV_MSC, code: MSC_SCAN, value: 0x70000 + code }, { type: EV_KEY, code, value: 1 }, { type: EV_SYN, code: 0, value: 0 }];
const release = (code: number): InputEvent[] => [{ type: EV_KEY, code, value: 0 }, { type: EV_SYN, code: 0, value: 0 }];

export function tap(code: number, modifiers: number[] = []): InputEvent[] {
  return [...modifiers.flatMap(press), ...press(code), ...release(code), ...[...modifiers].reverse().flatMap(release)];
}

const cache = new Map<Layout, Map<string, Stroke[]>>();

/** char → strokes, for every character one key (with shift or AltGr) or a dead key + space types. */
export function strokesFor(layout: Layout): Map<string, Stroke[]> {
  const known = cache.get(layout);
  if (known) return known;
  const map = new Map<string, Stroke[]>();
  for (const modifiers of [[], [KEY.LEFTSHIFT], [KEY.RIGHTALT]]) {
    for (let code = 1; code < 128; code++) {
      if (Object.values(KEY).includes(code as never) && code !== KEY.SPACE) continue;
      const decoder = new KeyboardDecoder(layout);
      let text = decoder.feed(tap(code, modifiers)).text;
      let strokes: Stroke[] = [{ code, modifiers }];
      if (text === '') { // a dead key: followed by space it types itself
        text = decoder.feed(tap(KEY.SPACE)).text;
        strokes = [...strokes, { code: KEY.SPACE, modifiers: [] }];
      }
      if (text.length === 1 && !map.has(text)) map.set(text, strokes);
    }
  }
  map.set('\r', [{ code: KEY.ENTER, modifiers: [] }]);
  map.set('\t', [{ code: KEY.TAB, modifiers: [] }]);
  cache.set(layout, map);
  return map;
}

/** The events a scanner sends to type `text`; throws for a character the layout cannot type. */
export function typeText(layout: Layout, text: string): InputEvent[] {
  const map = strokesFor(layout);
  return [...text].flatMap((ch) => {
    const strokes = map.get(ch);
    if (!strokes) throw new Error(`layout ${layout} cannot type ${JSON.stringify(ch)}`);
    return strokes.flatMap((s) => tap(s.code, s.modifiers));
  });
}

export function records(events: InputEvent[]): Buffer {
  return Buffer.concat(events.map((e, i) => encodeInputEvent(e, 1_760_000_000 + Math.floor(i / 1000), (i % 1000) * 1000)));
}
