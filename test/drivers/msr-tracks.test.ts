import t from 'tap';
import { parseSwipe, type MsrResult } from '../../drivers/msr-tracks.ts';
import { isPaymentPan, luhnValid, maskPan } from '../../drivers/payment-card.ts';

const VISA = '4111111111111111';
const MC = '5555555555554444';
const AMEX = '378282246310005';
const VISA13 = '4222222222222';
const PAN19 = '6222021234567890128';
const LOYALTY = '6006491234567890'; // 16 digits, Luhn-invalid: a loyalty number by design
const t1 = (pan: string, name = 'DOE/JOHN', rest = '2512101123456789') => `%B${pan}^${name}^${rest}?`;
const t2 = (pan: string, rest = '25121011234567890') => `;${pan}=${rest}?`;

const cases: Array<[name: string, line: string, expected: MsrResult]> = [
  // payment cards → masked only
  ['visa track 1 + 2', t1(VISA) + t2(VISA), { ok: true, kind: 'payment_card', masked: '411111******1111' }],
  ['visa track 2 only', t2(VISA), { ok: true, kind: 'payment_card', masked: '411111******1111' }],
  ['visa track 1 only', t1(VISA), { ok: true, kind: 'payment_card', masked: '411111******1111' }],
  ['mastercard 3 tracks', t1(MC) + t2(MC) + ';0112345678901234567890=?', { ok: true, kind: 'payment_card', masked: '555555******4444' }],
  ['amex 15 digits', t2(AMEX), { ok: true, kind: 'payment_card', masked: '378282*****0005' }],
  ['13-digit visa', t2(VISA13), { ok: true, kind: 'payment_card', masked: '422222***2222' }],
  ['19-digit PAN', t2(PAN19), { ok: true, kind: 'payment_card', masked: '622202*********0128' }],
  ['payment card with a blank track 1 marker', '%E?' + t2(VISA), { ok: true, kind: 'payment_card', masked: '411111******1111' }],
  ['track 1 PAN with spaces', '%B4111 1111 1111 1111^DOE/JOHN^2512101?', { ok: true, kind: 'payment_card', masked: '411111******1111' }],
  ['CR and whitespace around', `  ${t2(VISA)}\r\n`, { ok: true, kind: 'payment_card', masked: '411111******1111' }],
  // misread payment cards → error, never loyalty data
  ['financial track 1 failing Luhn', t1('4111111111111112'), { ok: false, reason: 'invalid_card' }],
  ['financial track 2 failing Luhn', t2('4111111111111112'), { ok: false, reason: 'invalid_card' }],
  // loyalty cards
  ['loyalty track 2 only', `;${LOYALTY}?`, { ok: true, kind: 'card', data: LOYALTY }],
  ['loyalty track 2 with blank track 1', `%E?;${LOYALTY}?`, { ok: true, kind: 'card', data: LOYALTY }],
  ['loyalty track 1 and 2', `%L${LOYALTY}^LOYALTY CLUB?;${LOYALTY}?`, { ok: true, kind: 'card', data: LOYALTY }],
  ['loyalty alphanumeric track 1', '%LOYALTY123?', { ok: true, kind: 'card', data: 'LOYALTY123' }],
  ['loyalty track 2 with a short field after =', ';12345678=01?', { ok: true, kind: 'card', data: '12345678' }],
  ['loyalty track 3 only', '+987654321?', { ok: true, kind: 'card', data: '987654321' }],
  ['loyalty 12 digits (too short for a PAN)', ';411111111111?', { ok: true, kind: 'card', data: '411111111111' }],
  // garbage and partial swipes
  ['empty', '', { ok: false, reason: 'empty' }],
  ['not card data', 'hello', { ok: false, reason: 'no_track' }],
  ['partial track 1', '%B41111111111', { ok: false, reason: 'incomplete_track' }],
  ['partial track 2', ';60064912345', { ok: false, reason: 'incomplete_track' }],
  ['track 1 cut by the next start sentinel', `%B4111111111;${LOYALTY}?`, { ok: false, reason: 'incomplete_track' }],
  ['reader read errors on every track', '%E?;E?+E?', { ok: false, reason: 'read_error' }],
  ['letters on track 2', ';60064ABC?', { ok: false, reason: 'invalid_track' }],
  ['junk after tracks', `;${LOYALTY}?junk`, { ok: false, reason: 'invalid_track' }],
  ['too long', ';' + '1'.repeat(600) + '?', { ok: false, reason: 'too_long' }],
];

for (const [name, line, expected] of cases) {
  t.test(name, async (t) => {
    const result = parseSwipe(line);
    t.same(result, expected);
    // Whatever the outcome, nothing but the masked form of a PAN comes out.
    const out = JSON.stringify(result);
    for (const pan of [VISA, MC, AMEX, VISA13, PAN19, '4111111111111112', 'DOE/JOHN', '2512101']) t.notMatch(out, pan);
  });
}

t.test('Luhn and PAN rules', async (t) => {
  t.ok(luhnValid(VISA));
  t.notOk(luhnValid(LOYALTY));
  t.notOk(luhnValid('41a1'));
  t.ok(isPaymentPan(VISA13));
  t.notOk(isPaymentPan('4111111111116'), '13 digits failing Luhn');
  t.notOk(isPaymentPan('0'.repeat(12)), '12 digits is not a PAN even when Luhn-valid');
  t.notOk(isPaymentPan('0'.repeat(20)), '20 digits is not a PAN');
  t.equal(maskPan(VISA), '411111******1111');
});
