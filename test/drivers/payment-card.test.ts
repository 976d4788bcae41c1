// Payment-card recognition shared by every reader (drivers/payment-card.ts): track data anywhere,
// a bare Luhn-valid PAN, and product codes that must stay barcodes.
import t from 'tap';
import { findPaymentCard, gtinValid, type CardCheck } from '../../drivers/payment-card.ts';
import { guardPaymentCard } from '../../drivers/line-reader.ts';

const VISA = '4111111111111111';
const AMEX = '378282246310005';
const DINERS14 = '36227206271667';
const VISA13 = '4222222222222';
const PAN19 = '6222021234567890128';
const EAN_LUHN = '4006381333924'; // a valid EAN-13 that happens to be Luhn-valid too
const GTIN14_LUHN = '10012345678919';

const card = (masked: string): CardCheck => ({ found: 'payment_card', masked });
const none: CardCheck = { found: 'none' };

const cases: Array<[name: string, text: string, symbology: string | undefined, expected: CardCheck]> = [
  ['track 1 + 2', `%B${VISA}^DOE/JOHN^2512101?;${VISA}=2512101?`, undefined, card('411111******1111')],
  ['track 1 without sentinels', `B${VISA}^DOE/JOHN^2512101`, undefined, card('411111******1111')],
  ['track 1 PAN with spaces', '%B4111 1111 1111 1111^DOE/JOHN^2512?', undefined, card('411111******1111')],
  ['track 1 cut short after the name', `%B${VISA}^DOE/JO`, undefined, card('411111******1111')],
  ['track 2', `;${VISA}=25121010000?`, undefined, card('411111******1111')],
  ['track 2 without sentinels (keyboard MSR)', `${AMEX}=2512101`, undefined, card('378282*****0005')],
  ['track data behind a QR symbology', `%B${VISA}^DOE/JOHN^2512?`, 'qr', card('411111******1111')],
  ['track data after text', `card:${PAN19}=2512`, undefined, card('622202*********0128')],
  ['bare 16-digit PAN', VISA, undefined, card('411111******1111')],
  ['bare PAN in groups', '4111 1111 1111 1111', 'code128', card('411111******1111')],
  ['bare PAN with dashes', '4111-1111-1111-1111', undefined, card('411111******1111')],
  ['bare PAN with whitespace around', ` ${VISA} `, undefined, card('411111******1111')],
  ['bare 19-digit PAN', PAN19, undefined, card('622202*********0128')],
  ['a product symbology (EAN + add-on) keeps a Luhn-valid number a barcode', AMEX, 'ean13-addon', none],
  ['bare 13-digit PAN that is not a GTIN', VISA13, undefined, card('422222***2222')],
  ['bare 14-digit diners that is not a GTIN', DINERS14, 'code128', card('362272****1667')],
  ['financial track 1 failing Luhn: misread', '%B4111111111111112^DOE/JOHN^2512?', undefined, { found: 'misread' }],
  ['misread track 1 next to a good track 2 is still the card', `%B4111111111111112^X^1?;${VISA}=2512?`, undefined, card('411111******1111')],
  // product codes and loyalty numbers stay what they are
  ['EAN-13 that is also Luhn-valid', EAN_LUHN, undefined, none],
  ['the same with its AIM symbology', EAN_LUHN, 'ean13', none],
  ['GTIN-14 that is also Luhn-valid', GTIN14_LUHN, undefined, none],
  ['GS1-128 element string', `01${GTIN14_LUHN}`, 'gs1-128', none],
  ['loyalty number (Luhn-invalid)', '6006491234567890', undefined, none],
  ['loyalty track 2 with expiry', ';6006491234567890=2512?', undefined, none],
  ['12 digits: too short', '411111111111', undefined, none],
  ['20 digits: too long', '41111111111111111113', undefined, none],
  ['a Luhn-valid number inside a URL is not bare', `https://example.com/o/${VISA}`, 'qr', none],
  ['a longer digit run is not a PAN', `0${VISA}0000`, undefined, none],
  ['text', 'T1-2026-000123', undefined, none],
  ['empty', '', undefined, none],
];

for (const [name, text, symbology, expected] of cases) {
  t.same(findPaymentCard(text, symbology), expected, name);
}

t.test('GTIN check digits', async (t) => {
  for (const ok of ['4006381333931', '3017620422003', '96385074', '036000291452', GTIN14_LUHN]) t.ok(gtinValid(ok), ok);
  for (const bad of ['4006381333932', '12345', VISA, 'abcdefghijklm']) t.notOk(gtinValid(bad), bad);
});

t.test('guardPaymentCard: the last step of every reader', async (t) => {
  t.same(guardPaymentCard({ ok: true, scan: { kind: 'barcode', data: VISA } }), { ok: true, scan: { kind: 'payment_card', masked: '411111******1111' } });
  t.same(guardPaymentCard({ ok: true, scan: { kind: 'card', data: `${VISA}=2512` } }), { ok: true, scan: { kind: 'payment_card', masked: '411111******1111' } });
  t.same(guardPaymentCard({ ok: true, scan: { kind: 'barcode', data: '%B4111111111111112^A^1?' } }), { ok: false, reason: 'invalid_card' });
  const barcode = { ok: true as const, scan: { kind: 'barcode' as const, data: EAN_LUHN, symbology: 'ean13' } };
  t.same(guardPaymentCard(barcode), barcode);
  t.same(guardPaymentCard({ ok: false, reason: 'empty' }), { ok: false, reason: 'empty' });
});
