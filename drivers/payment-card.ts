// Payment-card recognition shared by every reader, whatever its kind or transport: a barcode
// scanner that reads a card (a 2D scanner with an MSR, a POS keyboard's stripe reader typing
// track data) must never let a PAN out in clear, exactly as the card reader does not.
//
// Recognised as a payment card (→ only the first 6 / last 4 digits leave the driver):
//   - financial track 1 anywhere in the text: "B" + 13–19 digit PAN (spaces allowed) + "^";
//   - track 2 anywhere: a 13–19 digit PAN + "=" + 4-digit expiry (";" sentinel or not);
//   - the whole text is a Luhn-valid 13–19 digit number (spaces and dashes between digit groups
//     allowed), unless it is a product code: see isProductCode.
// A financial track 1 whose PAN fails Luhn is a misread payment card: an error, never data.

import { gtinValid, isPaymentPan, luhnValid, maskPan } from '../protocol/pan.ts';

export { gtinValid, isPaymentPan, luhnValid, maskPan };

// AIM symbologies that can only carry product codes or GS1 element strings (barcode.ts names).
const PRODUCT_SYMBOLOGIES = /^(ean|upc|gs1-)/;

/**
 * A Luhn-valid number that is still a product code: the scanner said EAN/UPC/GS1, or it is a
 * 13/14-digit number with a valid GTIN check digit. About one EAN-13 in ten is also Luhn-valid:
 * masking those would make a tenth of a shop's products unscannable. The price is that a
 * 13/14-digit PAN whose digits also pass the GTIN check (roughly one in ten of those rare card
 * lengths) read *without* track data passes as a barcode; track data is always recognised.
 */
function isProductCode(digits: string, symbology: string | undefined): boolean {
  if (symbology && PRODUCT_SYMBOLOGIES.test(symbology)) return true;
  return (digits.length === 13 || digits.length === 14) && gtinValid(digits);
}

export type CardCheck =
  | { found: 'payment_card'; masked: string }
  | { found: 'misread' }
  | { found: 'none' };

const TRACK1 = /B([\d ]{13,25})\^/g;
const TRACK2 = /(?<!\d)(\d{13,19})=\d{4}/g;
const BARE = /^\d[\d -]{11,40}\d$/;

/** Looks for payment-card data in what a reader read. Pure; never throws for any string. */
export function findPaymentCard(text: string, symbology?: string): CardCheck {
  let misread = false;
  for (const m of text.matchAll(TRACK1)) {
    const pan = (m[1] ?? '').replace(/ /g, '');
    if (pan.length < 13 || pan.length > 19) continue;
    if (luhnValid(pan)) return { found: 'payment_card', masked: maskPan(pan) };
    misread = true;
  }
  for (const m of text.matchAll(TRACK2)) {
    const pan = m[1] ?? '';
    if (luhnValid(pan)) return { found: 'payment_card', masked: maskPan(pan) };
  }
  const trimmed = text.trim();
  if (BARE.test(trimmed)) {
    const digits = trimmed.replace(/[ -]/g, '');
    if (isPaymentPan(digits) && !isProductCode(digits, symbology)) return { found: 'payment_card', masked: maskPan(digits) };
  }
  return misread ? { found: 'misread' } : { found: 'none' };
}
