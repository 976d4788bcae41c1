// Code 128 bar patterns (ISO/IEC 15417) for drawing barcodes in receipt previews. The printer
// draws its own bars; this only has to look like what it prints and scan the same.

// Bar/space widths in modules for symbol values 0–106 (106 = stop, with its final bar).
const PATTERNS = [
  '212222', '222122', '222221', '121223', '121322', '131222', '122213', '122312', '132212', '221213',
  '221312', '231212', '112232', '122132', '122231', '113222', '123122', '123221', '223211', '221132',
  '221231', '213212', '223112', '312131', '311222', '321122', '321221', '312212', '322112', '322211',
  '212123', '212321', '232121', '111323', '131123', '131321', '112313', '132113', '132311', '211313',
  '231113', '231311', '112133', '112331', '132131', '113123', '113321', '133121', '313121', '211331',
  '231131', '213113', '213311', '213131', '311123', '311321', '331121', '312113', '312311', '332111',
  '314111', '221411', '431111', '111224', '111422', '121124', '121421', '141122', '141221', '112214',
  '112412', '122114', '122411', '142112', '142211', '241211', '221114', '413111', '241112', '134111',
  '111242', '121142', '121241', '114212', '124112', '124211', '411212', '421112', '421211', '212141',
  '214121', '412121', '111143', '111341', '131141', '114113', '114311', '411113', '411311', '113141',
  '114131', '311141', '411131', '211412', '211214', '211232', '2331112',
];

export const START_B = 104;
export const START_C = 105;
export const STOP = 106;

/** Symbol values including start, checksum and stop: code set C for even-length digits, else B. */
export function code128Values(text: string): number[] {
  const setC = /^(\d\d)+$/.test(text) && text.length >= 4;
  const data = setC
    ? (text.match(/\d\d/g) ?? []).map(Number)
    : [...text].map((c) => { const v = c.charCodeAt(0) - 32; return v >= 0 && v <= 94 ? v : 31; /* '?' */ });
  const start = setC ? START_C : START_B;
  const checksum = data.reduce((sum, v, i) => sum + v * (i + 1), start) % 103;
  return [start, ...data, checksum, STOP];
}

/** Module sequence (true = bar) for the values. */
export function code128Modules(values: readonly number[]): boolean[] {
  const modules: boolean[] = [];
  for (const value of values) {
    const pattern = PATTERNS[value] ?? '';
    [...pattern].forEach((w, k) => { for (let j = 0; j < Number(w); j++) modules.push(k % 2 === 0); });
  }
  return modules;
}

export function patternOf(value: number): string | undefined {
  return PATTERNS[value];
}
