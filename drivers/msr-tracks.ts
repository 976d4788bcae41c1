// Pure parser for one magnetic-stripe swipe as card readers send it: track 1 "%B<PAN>^<NAME>^<YYMM>…?",
// track 2 ";<PAN>=<YYMM>…?", track 3 ";…?" or "+…?", in any combination on one line.
//
// PCI rule: a track with a Luhn-valid 13–19 digit PAN is a payment card. Its result carries
// ONLY the masked form (first 6 + last 4). The PAN, name, expiry and discretionary data never
// leave this function — not in results, not in error reasons, not in exceptions.
// A financial-format track (%B…^…) whose PAN fails Luhn is a misread of a payment card, so it
// is an error rather than loyalty data.

import { isPaymentPan, maskPan } from './payment-card.ts';

export type MsrErrorReason =
  | 'empty'            // nothing but whitespace
  | 'no_track'         // no start sentinel: not card data
  | 'incomplete_track' // a start sentinel without its end sentinel: a partial swipe
  | 'read_error'       // the reader marked a track unreadable (%E? / ;E?)
  | 'invalid_track'    // characters that cannot be on that track
  | 'invalid_card'     // payment-card shaped but the check digit fails, or no card number
  | 'too_long';

export type MsrResult =
  | { ok: true; kind: 'card'; data: string }
  | { ok: true; kind: 'payment_card'; masked: string }
  | { ok: false; reason: MsrErrorReason };

interface Track {
  n: 1 | 2 | 3;
  body: string;
}

const MAX_LINE = 512;
const TRACK1_CHARS = /^[\x20-\x5f]*$/; // ISO/IEC 7811 6-bit alphanumeric set
const TRACK23_CHARS = /^[0-9=:<>]*$/;  // ISO/IEC 7811 4-bit numeric set (digits and separators)

/** Split a line into tracks; anything that is not a complete track is an error. */
function splitTracks(line: string): Track[] | MsrErrorReason {
  const tracks: Track[] = [];
  let i = 0;
  let semicolons = 0;
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c !== '%' && c !== ';' && c !== '+') return tracks.length === 0 ? 'no_track' : 'invalid_track';
    const end = line.indexOf('?', i + 1);
    if (end < 0) return 'incomplete_track';
    const body = line.slice(i + 1, end);
    // A new start sentinel inside a track means the previous one was cut short.
    if (/[%;+]/.test(body)) return 'incomplete_track';
    const n: 1 | 2 | 3 = c === '%' ? 1 : c === '+' ? 3 : semicolons++ === 0 ? 2 : 3;
    tracks.push({ n, body });
    i = end + 1;
  }
  return tracks.length > 0 ? tracks : 'no_track';
}

type TrackNumber = { number: string; financial: boolean } | MsrErrorReason;

/** The card number a track carries, and whether its layout is a financial (payment) layout. */
function numberOf(track: Track): TrackNumber {
  if (track.body === 'E' || track.body === '') return 'read_error';
  if (track.n === 1) {
    if (!TRACK1_CHARS.test(track.body)) return 'invalid_track';
    // The format code (B = financial) precedes the number; loyalty layouts may have none.
    const format = /^[A-Z]\d/.test(track.body) ? track.body.charAt(0) : '';
    const fields = track.body.slice(format.length).split('^');
    const number = (fields[0] ?? '').replace(/ /g, '');
    return { number, financial: format === 'B' && fields.length >= 3 };
  }
  if (!TRACK23_CHARS.test(track.body)) return 'invalid_track';
  const fields = track.body.split('=');
  const number = fields[0] ?? '';
  // ";PAN=YYMM…": a numeric PAN followed by an expiry/service code is the financial layout.
  return { number, financial: fields.length >= 2 && /^\d{4}/.test(fields[1] ?? '') && /^\d{13,19}$/.test(number) };
}

export function parseSwipe(line: string): MsrResult {
  const trimmed = line.replace(/[\r\n]+$/g, '').trim();
  if (trimmed.length === 0) return { ok: false, reason: 'empty' };
  if (trimmed.length > MAX_LINE) return { ok: false, reason: 'too_long' };
  const tracks = splitTracks(trimmed);
  if (typeof tracks === 'string') return { ok: false, reason: tracks };

  const numbers: Array<{ n: number; number: string; financial: boolean }> = [];
  let firstError: MsrErrorReason | undefined;
  for (const track of tracks) {
    const result = numberOf(track);
    if (typeof result === 'string') firstError ??= result;
    else numbers.push({ n: track.n, ...result });
  }

  // Payment first: one payment-shaped track anywhere makes the whole swipe a payment card.
  const payment = numbers.find((t) => isPaymentPan(t.number));
  if (payment) return { ok: true, kind: 'payment_card', masked: maskPan(payment.number) };
  if (numbers.some((t) => t.financial)) return { ok: false, reason: 'invalid_card' };

  // Loyalty: prefer track 2 (numeric, most reliable), then track 1, then track 3. Loyalty cards
  // often carry track 2 only, and readers report the blank tracks as "%E?": that is fine.
  const byPreference = [2, 1, 3].map((n) => numbers.find((t) => t.n === n && t.number !== '')).find(Boolean);
  if (!byPreference) return { ok: false, reason: firstError ?? 'invalid_card' };
  if (!/^[0-9A-Za-z]{1,40}$/.test(byPreference.number)) return { ok: false, reason: 'invalid_card' };
  return { ok: true, kind: 'card', data: byPreference.number };
}
