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

/** The text jsonOnce made for this object, or undefined. */
export function keptJson(value: object): string | undefined {
  return texts.get(value);
}
