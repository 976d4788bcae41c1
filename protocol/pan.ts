// Payment card numbers (PANs): recognising them so that none is ever stored, logged or echoed.
// Pure. Shared by the local protocol's free-text fields (refused) and the readers (masked,
// drivers/payment-card.ts).
//
// A PAN is 13–19 digits with a valid Luhn check digit. In free text we look for any run of
// such digits (cards are written with spaces or dashes between groups) that also starts like
// a card of a payment network, and is not a GTIN-13/14 product code: about one random
// number in ten is Luhn-valid, so without these two filters a tenth of numeric SKUs and
// transaction ids would be refused.

export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function isPaymentPan(digits: string): boolean {
  return /^\d{13,19}$/.test(digits) && luhnValid(digits);
}

/** "4111111111111111" → "411111******1111". Only for PANs of 13–19 digits. */
export function maskPan(pan: string): string {
  return pan.slice(0, 6) + '*'.repeat(pan.length - 10) + pan.slice(-4);
}

/** GS1 check digit (weights 3,1 from the right) of a GTIN-8/12/13/14. */
export function gtinValid(digits: string): boolean {
  if (!/^\d{8}$|^\d{12,14}$/.test(digits)) return false;
  let sum = 0;
  for (let i = digits.length - 2, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10 === digits.charCodeAt(digits.length - 1) - 48;
}

/**
 * Issuer prefixes of the payment networks (ISO/IEC 7812 major industry identifiers 3–6 cover
 * Visa, Mastercard 5x, Amex, Discover, JCB, Diners, UnionPay, Maestro, RuPay), plus Mir
 * 2200–2204, Mastercard 2221–2720 and UnionPay/RuPay 81–82.
 */
export function hasCardPrefix(digits: string): boolean {
  const first = digits.charCodeAt(0) - 48;
  if (first >= 3 && first <= 6) return true;
  const four = Number(digits.slice(0, 4));
  if (first === 2) return (four >= 2200 && four <= 2204) || (four >= 2221 && four <= 2720);
  return first === 8 && (digits[1] === '1' || digits[1] === '2');
}

// Digit groups separated by single spaces or dashes, as card numbers are written ("4111 1111 …").
const DIGIT_GROUPS = /\d+(?:[ -]\d+)*/g;

// findPanInText's own copy: String#matchAll would clone the regex on every call (a RegExp built and
// compiled per free-text field with 13 digits or more, e.g. an EAN-13 SKU), exec with lastIndex does not.
const SCAN_GROUPS = new RegExp(DIGIT_GROUPS.source, 'g');

/** The first PAN-like number in a free-text value, or null. Never throws. */
export function findPanInText(text: string): string | null {
  const digits = asciiDigits(text);
  if (digits !== -1 && digits < 13) return null;
  // Digits alone (an EAN-13 SKU, a numeric id): the one span is the whole text, without the
  // regular expressions and the split below (issue 10: an award's SKUs come this way).
  if (digits === text.length) return digits <= 19 && looksLikeCard(text) ? text : null;
  const scanned = normalised(text);
  SCAN_GROUPS.lastIndex = 0;
  for (let m = SCAN_GROUPS.exec(scanned); m !== null; m = SCAN_GROUPS.exec(scanned)) {
    const found = panInGroups(m[0]);
    if (found !== null) return found;
  }
  return null;
}

/**
 * How many digits ASCII text has; -1 for other text. ASCII text with fewer than 13 digits holds no
 * PAN (every candidate is 13–19 of its digits): most free text (names, categories, ids) is let
 * through without the regular expressions, which cost ~2 µs a field (matchAll copies its regex); a
 * POS request has several such fields (issue 10). Other text is normalised first (fullwidth
 * digits), the long way.
 */
function asciiDigits(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return -1;
    if (c >= 48 && c <= 57) digits++;
  }
  return digits;
}

/** Any span of whole groups with 13–19 digits that looks like a card ("Ref 12-4111 1111 1111 1111"). */
function panInGroups(run: string): string | null {
  if (run.length < 13) return null;
  const groups = run.split(/[ -]/);
  for (let i = 0; i < groups.length; i++) {
    let digits = '';
    let longest: string | null = null; // "4111 1111 1111 1" must not hide the 16-digit card it starts
    for (let j = i; j < groups.length && digits.length < 19; j++) {
      digits += groups[j];
      if (digits.length >= 13 && digits.length <= 19 && looksLikeCard(digits)) longest = digits;
    }
    if (longest !== null) return longest;
  }
  return null;
}

function looksLikeCard(digits: string): boolean {
  if (!hasCardPrefix(digits) || !luhnValid(digits)) return false;
  return !((digits.length === 13 || digits.length === 14) && gtinValid(digits));
}

// Fullwidth digits ("４１１１…", from an input method) are digits too.
const normalised = (text: string) => (/[^\x00-\x7f]/.test(text) ? text.normalize('NFKC') : text);

export function containsPan(text: string): boolean {
  return findPanInText(text) !== null;
}

/** The text with every PAN-like number replaced by its 6/4 mask: for echoing names back safely. */
export function maskPansIn(text: string): string {
  if (!containsPan(text)) return text;
  return normalised(text).replace(DIGIT_GROUPS, (run) => {
    const pan = panInGroups(run);
    return pan === null ? run : maskPansIn(run.replace(/[ -]/g, '').replace(pan, maskPan(pan)));
  });
}
