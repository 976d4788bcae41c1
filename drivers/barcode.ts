// Pure parser for one scanner line (the terminator is already removed by the line splitter):
// strip an optional configured prefix/suffix, then an optional AIM symbology identifier
// (ISO/IEC 15424: "]" + code character + modifier, e.g. "]E0" for EAN-13).

export type AimMode = 'auto' | 'on' | 'off';

export interface BarcodeOptions {
  prefix?: string;
  suffix?: string;
  /** auto: parse "]Xm" when present; on: require it; off: never parse (data may start with "]"). */
  aim?: AimMode;
  maxLength?: number;
}

export type BarcodeResult =
  | { ok: true; data: string; symbology?: string; aim?: string }
  | { ok: false; reason: 'empty' | 'too_long' | 'missing_aim_identifier' };

// Code character → name, with modifier-specific names where they matter.
const AIM_BY_ID: Readonly<Record<string, string>> = {
  ']C0': 'code128', ']C1': 'gs1-128', ']C2': 'code128', ']C4': 'code128',
  ']E0': 'ean13', ']E1': 'ean-2-addon', ']E2': 'ean-5-addon', ']E3': 'ean13-addon', ']E4': 'ean8',
  ']d1': 'datamatrix', ']d2': 'gs1-datamatrix', ']d3': 'datamatrix', ']d4': 'datamatrix', ']d5': 'gs1-datamatrix',
  ']Q3': 'gs1-qr', ']Q4': 'gs1-qr',
  ']e0': 'gs1-databar', ']e1': 'gs1-databar', ']e2': 'gs1-databar', ']e3': 'gs1-databar',
};

const AIM_BY_CODE: Readonly<Record<string, string>> = {
  A: 'code39', C: 'code128', E: 'ean13', F: 'codabar', G: 'code93', H: 'code11', I: 'itf', K: 'code16k',
  L: 'pdf417', M: 'msi', Q: 'qr', R: 'straight-2of5', S: 'industrial-2of5', X: 'other', d: 'datamatrix',
  e: 'gs1-databar', z: 'aztec', o: 'ocr', c: 'channel-code', p: 'posicode',
};

const AIM_PATTERN = /^\][A-Za-z][0-9A-Za-z]/;

/** The symbology name for an AIM identifier such as "]E0"; unknown codes keep the identifier. */
export function symbologyOf(aim: string): string {
  return AIM_BY_ID[aim] ?? AIM_BY_CODE[aim.charAt(1)] ?? aim;
}

export function parseBarcode(line: string, options: BarcodeOptions = {}): BarcodeResult {
  let text = line;
  if (options.prefix && text.startsWith(options.prefix)) text = text.slice(options.prefix.length);
  if (options.suffix && text.endsWith(options.suffix)) text = text.slice(0, text.length - options.suffix.length);
  // Some scanners send CRLF while configured for CR (or the reverse): never keep a stray one.
  text = text.replace(/^[\r\n]+|[\r\n]+$/g, '');

  const mode = options.aim ?? 'auto';
  let aim: string | undefined;
  if (mode !== 'off' && AIM_PATTERN.test(text)) {
    aim = text.slice(0, 3);
    text = text.slice(3);
  } else if (mode === 'on') {
    return { ok: false, reason: 'missing_aim_identifier' };
  }
  if (text.length === 0) return { ok: false, reason: 'empty' };
  if (text.length > (options.maxLength ?? 4096)) return { ok: false, reason: 'too_long' };
  return aim ? { ok: true, data: text, symbology: symbologyOf(aim), aim } : { ok: true, data: text };
}
