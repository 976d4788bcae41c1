// Key codes of a keyboard-wedge scanner → text, as the configured keyboard layout would type it:
// shift, caps lock (letters only), AltGr, dead keys (^ ´ ` ¨ ~ then a letter or space), Ctrl+letter
// → control characters, Alt + keypad digits (the "Alt codes" scanners use for GS1's GS, 029) and
// Enter/Tab as CR/TAB for the line reader. Pure: events in, text out.
//
// The layouts are the Linux console/X11 ones (xkeyboard-config `us`, `gb`, `de`, `fr`): a scanner
// must be set to the same layout as configured here, as it would be for the POS window.
import { createRequire } from 'node:module';
import { EV_KEY, EV_SYN, SYN_DROPPED, type InputEvent } from './evdev-events.ts';

// iconv-lite only for an Alt code above 127 (config.ts imports LAYOUTS at every start).
const requirePackage = createRequire(import.meta.url);

export const LAYOUTS = ['us', 'uk', 'de', 'fr'] as const;
export type Layout = (typeof LAYOUTS)[number];

// Key codes from linux/input-event-codes.h, by physical row.
const ROW_NUMBERS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];      // KEY_1 … KEY_0, KEY_MINUS, KEY_EQUAL
const ROW_TOP = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];  // KEY_Q … KEY_P, KEY_LEFTBRACE, KEY_RIGHTBRACE
const ROW_HOME = [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41]; // KEY_A … KEY_L, KEY_SEMICOLON, KEY_APOSTROPHE, KEY_GRAVE
const ROW_BOTTOM = [44, 45, 46, 47, 48, 49, 50, 51, 52, 53];       // KEY_Z … KEY_M, KEY_COMMA, KEY_DOT, KEY_SLASH
const KEY_BACKSLASH = 43;
const KEY_102ND = 86;
const KEY_SPACE = 57;
const KEY_TAB = 15;
const KEY_ENTER = 28;
const KEY_KPENTER = 96;
const KEY_LEFTSHIFT = 42;
const KEY_RIGHTSHIFT = 54;
const KEY_LEFTCTRL = 29;
const KEY_RIGHTCTRL = 97;
const KEY_LEFTALT = 56;
const KEY_RIGHTALT = 100; // AltGr
const KEY_CAPSLOCK = 58;
const KEYPAD: Readonly<Record<number, string>> = {
  71: '7', 72: '8', 73: '9', 74: '-', 75: '4', 76: '5', 77: '6', 78: '+', 79: '1', 80: '2', 81: '3', 82: '0', 83: '.', 55: '*', 98: '/',
};

// Dead keys are written as the combining mark they add (U+0300 grave, U+0301 acute, U+0302
// circumflex, U+0303 tilde, U+0308 diaeresis); followed by a space they type the mark itself.
const SPACING: Readonly<Record<string, string>> = { '\u0300': '`', '\u0301': '´', '\u0302': '^', '\u0303': '~', '\u0308': '¨' };

interface LayoutRows {
  numbers: [string, string];
  top: [string, string];
  home: [string, string];
  bottom: [string, string];
  backslash: [string, string];
  iso: [string, string]; // KEY_102ND, the extra key left of Z on ISO keyboards
  altgr: Readonly<Record<number, string>>;
}

const QWERTY_TOP: [string, string] = ['qwertyuiop[]', 'QWERTYUIOP{}'];
const QWERTY_BOTTOM: [string, string] = ['zxcvbnm,./', 'ZXCVBNM<>?'];

const ROWS: Readonly<Record<Layout, LayoutRows>> = {
  us: { numbers: ['1234567890-=', '!@#$%^&*()_+'], top: QWERTY_TOP, home: ["asdfghjkl;'`", 'ASDFGHJKL:"~'], bottom: QWERTY_BOTTOM,
    backslash: ['\\', '|'], iso: ['<', '>'], altgr: {} },
  uk: { numbers: ['1234567890-=', '!"£$%^&*()_+'], top: QWERTY_TOP, home: ["asdfghjkl;'`", 'ASDFGHJKL:@¬'], bottom: QWERTY_BOTTOM,
    backslash: ['#', '~'], iso: ['\\', '|'], altgr: { 5: '€', 41: '¦' } },
  de: { numbers: ['1234567890ß\u0301', '!"§$%&/()=?\u0300'], top: ['qwertzuiopü+', 'QWERTZUIOPÜ*'],
    home: ['asdfghjklöä\u0302', 'ASDFGHJKLÖÄ°'], bottom: ['yxcvbnm,.-', 'YXCVBNM;:_'], backslash: ['#', "'"], iso: ['<', '>'],
    altgr: { 3: '²', 4: '³', 8: '{', 9: '[', 10: ']', 11: '}', 12: '\\', 16: '@', 18: '€', 27: '~', 50: 'µ', 86: '|' } },
  fr: { numbers: ['&é"\'(-è_çà)=', '1234567890°+'], top: ['azertyuiop\u0302$', 'AZERTYUIOP\u0308£'],
    home: ['qsdfghjklmù²', 'QSDFGHJKLM%²'], bottom: ['wxcvbn,;:!', 'WXCVBN?./§'], backslash: ['*', 'µ'], iso: ['<', '>'],
    altgr: { 3: '\u0303', 4: '#', 5: '{', 6: '[', 7: '|', 8: '\u0300', 9: '\\', 10: '^', 11: '@', 12: ']', 13: '}', 18: '€', 27: '¤' } },
};

type KeyTable = Map<number, [string, string]>;

function table(layout: Layout): KeyTable {
  const rows = ROWS[layout];
  const map: KeyTable = new Map();
  const add = (codes: number[], [normal, shifted]: [string, string]) => {
    codes.forEach((code, i) => map.set(code, [normal.charAt(i), shifted.charAt(i)]));
  };
  add(ROW_NUMBERS, rows.numbers);
  add(ROW_TOP, rows.top);
  add(ROW_HOME, rows.home);
  add(ROW_BOTTOM, rows.bottom);
  map.set(KEY_BACKSLASH, rows.backslash);
  map.set(KEY_102ND, rows.iso);
  map.set(KEY_SPACE, [' ', ' ']);
  return map;
}

const TABLES = new Map<Layout, KeyTable>(LAYOUTS.map((l) => [l, table(l)]));

/** Ctrl + a letter or [ \ ] → C0 control character (Ctrl+] = GS, the GS1 separator). */
function control(ch: string): string | undefined {
  const lower = ch.toLowerCase();
  if (lower >= 'a' && lower <= 'z' && lower.length === 1) return String.fromCharCode(lower.charCodeAt(0) - 96);
  const c = { '[': 0x1b, '\\': 0x1c, ']': 0x1d }[ch];
  return c === undefined ? undefined : String.fromCharCode(c);
}

/** Windows Alt codes: with a leading 0 the ANSI code page (1252), without it the OEM one (437). */
function altCode(digits: string): string | undefined {
  const n = Number.parseInt(digits, 10);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (n < 128) return String.fromCharCode(n);
  if (n > 255) return undefined;
  return (requirePackage('iconv-lite') as typeof import('iconv-lite')).decode(Buffer.from([n]), digits.startsWith('0') ? 'win1252' : 'cp437');
}

export interface KeyboardOutput {
  text: string;
  /** The kernel dropped events (SYN_DROPPED): what was typed since the last line is unreliable. */
  dropped: boolean;
}

/** Per-device keyboard state. Feed it events; it returns the text they type. */
export class KeyboardDecoder {
  private readonly keys: KeyTable;
  private readonly altgrKeys: Readonly<Record<number, string>>;
  private shift = new Set<number>();
  private ctrl = new Set<number>();
  private alt = false;
  private altgr = false;
  private caps = false;
  private dead: string | undefined;
  private altDigits = '';

  constructor(layout: Layout) {
    this.keys = TABLES.get(layout) ?? table(layout);
    this.altgrKeys = ROWS[layout].altgr;
  }

  feed(events: readonly InputEvent[]): KeyboardOutput {
    let text = '';
    let dropped = false;
    for (const e of events) {
      if (e.type === EV_SYN && e.code === SYN_DROPPED) {
        dropped = true;
        this.reset();
        continue;
      }
      if (e.type !== EV_KEY) continue;
      text += this.key(e.code, e.value);
    }
    return { text, dropped };
  }

  private reset(): void {
    this.shift.clear();
    this.ctrl.clear();
    this.alt = false;
    this.altgr = false;
    this.dead = undefined;
    this.altDigits = '';
  }

  private key(code: number, value: number): string {
    const down = value === 1;
    // Autorepeat (2) is ignored: a scanner never holds a key, and a stuck one must not type on.
    if (value !== 0 && value !== 1) return '';
    switch (code) {
      case KEY_LEFTSHIFT: case KEY_RIGHTSHIFT:
        if (down) this.shift.add(code); else this.shift.delete(code);
        return '';
      case KEY_LEFTCTRL: case KEY_RIGHTCTRL:
        if (down) this.ctrl.add(code); else this.ctrl.delete(code);
        return '';
      case KEY_RIGHTALT:
        this.altgr = down;
        return '';
      case KEY_LEFTALT: {
        this.alt = down;
        if (down) return '';
        const digits = this.altDigits;
        this.altDigits = '';
        return digits ? this.type(altCode(digits) ?? '') : '';
      }
      case KEY_CAPSLOCK:
        if (down) this.caps = !this.caps;
        return '';
    }
    if (!down) return '';
    if (code === KEY_ENTER || code === KEY_KPENTER) return this.type('\r');
    if (code === KEY_TAB) return this.type('\t');
    const keypad = KEYPAD[code];
    if (keypad !== undefined) {
      if (this.alt && /\d/.test(keypad)) {
        this.altDigits += keypad;
        return '';
      }
      return this.type(keypad);
    }
    const entry = this.keys.get(code);
    if (!entry) return ''; // function keys, arrows, …: not text
    const [normal, shifted] = entry;
    let ch: string;
    if (this.altgr) {
      ch = this.altgrKeys[code] ?? '';
    } else {
      const letter = shifted === normal.toUpperCase() && shifted !== normal;
      const upper = this.shift.size > 0 !== (letter && this.caps);
      ch = upper ? shifted : normal;
    }
    if (this.ctrl.size > 0) return this.type(control(ch) ?? '');
    return this.type(ch);
  }

  /** Applies a pending dead key. */
  private type(ch: string): string {
    if (ch === '') return '';
    if (SPACING[ch] !== undefined) {
      if (this.dead === undefined) {
        this.dead = ch;
        return '';
      }
      // Two dead keys: the first is typed as itself, the second waits.
      const first = SPACING[this.dead] ?? '';
      this.dead = ch;
      return first;
    }
    const dead = this.dead;
    if (dead === undefined) return ch;
    this.dead = undefined;
    if (ch === ' ') return SPACING[dead] ?? '';
    const composed = (ch + dead).normalize('NFC');
    return composed.length === ch.length ? composed : (SPACING[dead] ?? '') + ch;
  }
}
