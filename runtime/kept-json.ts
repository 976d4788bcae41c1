// JSON text made once per object: where one object is written twice (stored, then sent), the second
// write puts in the first one's text instead of stringifying it again (issue 10: the till's payloads,
// appended then sent upstream; the host's results, recorded then answered). Such objects are not
// changed in place once their text is made; the text is kept with the object (a WeakMap: it goes
// when the object does).
const texts = new WeakMap<object, string>();

/** JSON.stringify(value), made once per object and kept with it. */
export function jsonOnce(value: object): string {
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/**
 * JSON.parse(text), with `text` kept as the value's JSON (keptJson) when it is an object: for a text
 * this process or an earlier one made with JSON.stringify and stored, read back to be written again.
 */
export function parseKept(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (value !== null && typeof value === 'object') texts.set(value, text);
  return value;
}

/** Keeps `text` as the object's JSON: the caller made it and vouches that it is JSON.stringify(value). */
export function keepJson(value: object, text: string): void {
  texts.set(value, text);
}

/** The text jsonOnce made for this object, or undefined. */
export function keptJson(value: object): string | undefined {
  return texts.get(value);
}
