// The seed file: participants, offers and products for a demo or a first install.
// Parsed and validated as a whole (all errors at once), then applied ONCE per content hash:
// re-applying the same file is a no-op; a changed file adds new participants and identifiers
// and upserts offers and products, but never touches an existing wallet.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { decimalAmounts } from '../runtime/config-file.ts';
import { z } from 'zod';
import { identifierKinds, productSchema, type IdentifierKind } from '../protocol/local.ts';
import { MAX_AMOUNT } from '../protocol/money.ts';
import { currencyCode, describeIssues, minorUnits, nonEmpty } from '../protocol/schema.ts';
import { DEFAULT_POINTS_UNIT, pointsUnit, unitCode } from '../protocol/units.ts';
import { WEEKDAYS, type MoneyReward, type Offer } from './engine.ts';
import { normaliseIdentifier } from '../protocol/identifiers.ts';
import type { Ledger } from './ledger.ts';
import type { Logger } from '../runtime/log.ts';

/** Points per whole currency unit: 1,000 keeps every award far inside the wallet limit. */
export const MAX_POINTS_RATE = 1000;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const when = z
  .string({ error: 'must be a date "YYYY-MM-DD" or a date-time with offset' })
  .refine((v) => (ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))) || z.iso.datetime({ offset: true }).safeParse(v).success, {
    error: 'must be a date "YYYY-MM-DD" or a date-time with offset like 2026-01-31T18:00:00+01:00',
  });

const stringList = z.array(nonEmpty(128), { error: 'must be a list of strings' }).min(1, { error: 'must not be empty' });

const conditionsSchema = z.strictObject({
  skus: stringList.optional(),
  categories: stringList.optional(),
  stores: stringList.optional(),
  weekdays: z.array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` })).min(1).optional(),
  hours: z
    .strictObject({
      from: z.string().regex(HHMM, { error: 'must be "HH:MM" (00:00-23:59)' }),
      to: z.string().regex(HHMM, { error: 'must be "HH:MM" (00:00-23:59)' }),
    }, { error: 'must be {from: "HH:MM", to: "HH:MM"}' })
    .optional(),
  valid_from: when.optional(),
  valid_to: when.optional(),
  tiers: stringList.optional(),
  channels: stringList.optional(),
});

const percentSchema = z
  .number({ error: 'must be a percentage like 5 or 2.5' })
  .gt(0, { error: 'must be greater than 0' })
  .max(100, { error: 'must be at most 100' })
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, { error: 'must have at most 2 decimals' });

const offerSchema = z
  .strictObject({
    id: nonEmpty(64),
    name: nonEmpty(256),
    percent: percentSchema.optional(),
    amount: minorUnits().positive({ error: 'must be greater than 0' }).optional(),
    currency: currencyCode().optional(),
    // Points outcomes (seed 004): a fixed number of points, or points per whole currency unit.
    points: z.number().int({ error: 'must be a whole number of points' }).positive({ error: 'must be greater than 0' })
      .max(MAX_AMOUNT, { error: `must be at most ${MAX_AMOUNT}` }).optional(),
    points_per_unit: z.number().int({ error: 'must be a whole number of points' }).positive({ error: 'must be greater than 0' })
      .max(MAX_POINTS_RATE, { error: `must be at most ${MAX_POINTS_RATE}` }).optional(),
    unit: pointsUnit().optional(),
    instant: z.boolean({ error: 'must be true or false' }).default(false),
    conditions: conditionsSchema.default({}),
  })
  .superRefine((o, ctx) => {
    const kinds = [o.percent, o.amount, o.points, o.points_per_unit].filter((v) => v !== undefined).length;
    if (kinds !== 1) {
      ctx.addIssue({ code: 'custom', path: ['percent'], message: 'give exactly one of percent, amount, points or points_per_unit' });
    }
    if (o.currency !== undefined && o.amount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'only applies to a fixed amount offer' });
    }
    if (o.unit !== undefined && o.points === undefined && o.points_per_unit === undefined) {
      ctx.addIssue({ code: 'custom', path: ['unit'], message: 'only applies to a points offer (points or points_per_unit)' });
    }
    if (o.instant && (o.points !== undefined || o.points_per_unit !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['instant'], message: 'points are earned, never spent on the same purchase' });
    }
  });

// An offer issued to one participant (SessionM "user offer"): held in their wallet until
// redeemed; a discount on the baskets it applies to.
const userOfferSchema = z
  .strictObject({
    id: nonEmpty(64).regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' }),
    name: nonEmpty(256),
    percent: percentSchema.optional(),
    amount: minorUnits().positive({ error: 'must be greater than 0' }).optional(),
    currency: currencyCode().optional(),
    conditions: conditionsSchema.default({}),
    expires_at: when.optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.percent === undefined) === (o.amount === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['percent'], message: 'give exactly one of percent or amount' });
    }
    if (o.currency !== undefined && o.amount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'only applies to a fixed amount offer' });
    }
  });

const identifiersSchema = z.strictObject({
  card: z.array(nonEmpty(256)).optional(),
  phone: z.array(nonEmpty(256)).optional(),
  email: z.array(nonEmpty(256)).optional(),
  token: z.array(nonEmpty(256)).optional(),
});

const participantSchema = z.strictObject({
  id: nonEmpty(128),
  name: nonEmpty(256),
  tier: z.string().max(64).optional(),
  identifiers: identifiersSchema.default({}),
  // The primary wallet: money (minor units) or, for a points-only programme, points.
  balance: z.strictObject({ amount: minorUnits(), currency: unitCode() }, { error: 'must be {amount, currency}' }),
  // A points wallet next to a money balance.
  points: z.strictObject({ amount: minorUnits(), unit: pointsUnit().default(DEFAULT_POINTS_UNIT) }, { error: 'must be {amount, unit?}' }).optional(),
  automatic_spend: z.boolean({ error: 'must be true or false' }).default(false),
  offers: z.array(userOfferSchema).default([]),
}).refine((p) => p.points === undefined || p.points.unit !== p.balance.currency, {
  error: 'is in the same unit as balance: a participant has one wallet per unit', path: ['points', 'unit'],
});

export const seedSchema = z.strictObject({
  participants: z.array(participantSchema).default([]),
  offers: z.array(offerSchema).default([]),
  products: z.array(productSchema.strict()).default([]),
});

/**
 * Cross-entry checks (duplicates), run on the raw input next to the schema rather than as a
 * refinement, so they are reported together with every other error. Names positions, never
 * identifier values: seed errors end up in logs.
 */
export function seedCrossChecks(raw: unknown): string[] {
  const errors: string[] = [];
  const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const list = (v: unknown) => (Array.isArray(v) ? v.map(obj) : []);
  const seed = obj(raw);
  const dup = (section: string, key: string, what: string) => {
    const seen = new Set<string>();
    list(seed[section]).forEach((item, i) => {
      const v = item[key];
      if (typeof v !== 'string') return;
      if (seen.has(v)) errors.push(`${section}[${i}].${key}: duplicate ${what}`);
      seen.add(v);
    });
  };
  dup('participants', 'id', 'participant id');
  dup('offers', 'id', 'offer id');
  dup('products', 'sku', 'product sku');
  const userOfferIds = new Set<string>();
  list(seed.participants).forEach((p, i) => list(p.offers).forEach((o, j) => {
    if (typeof o.id !== 'string') return;
    if (userOfferIds.has(o.id)) errors.push(`participants[${i}].offers[${j}].id: duplicate issued offer id`);
    userOfferIds.add(o.id);
  }));
  const owners = new Map<string, string>();
  list(seed.participants).forEach((p, i) => {
    const ids = obj(p.identifiers);
    for (const kind of identifierKinds) {
      const values = Array.isArray(ids[kind]) ? (ids[kind] as unknown[]) : [];
      values.forEach((value, j) => {
        if (typeof value !== 'string') return;
        const key = `${kind}:${normaliseIdentifier(kind, value)}`;
        const owner = owners.get(key);
        if (owner !== undefined) errors.push(`participants[${i}].identifiers.${kind}[${j}]: already used by participant ${owner}`);
        else owners.set(key, String(p.id));
      });
    }
  });
  return errors;
}

export type Seed = z.output<typeof seedSchema>;
export type SeedOffer = Seed['offers'][number];

export class SeedError extends Error {
  constructor(readonly file: string, readonly errors: string[]) {
    super(`${file}: invalid seed\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'SeedError';
  }
}

type SeedUserOffer = Seed['participants'][number]['offers'][number];

function rewardOf(o: { percent?: number | undefined; amount?: number | undefined; currency?: string | undefined }): MoneyReward {
  return o.percent !== undefined
    ? { kind: 'percent', basis_points: Math.round(o.percent * 100) }
    : { kind: 'amount', amount: o.amount ?? 0, ...(o.currency ? { currency: o.currency } : {}) };
}

export function toUserOffer(o: SeedUserOffer, participantId: string) {
  return { id: o.id, participant_id: participantId, name: o.name, reward: rewardOf(o), conditions: o.conditions, expires_at: o.expires_at ?? null };
}

export function toOffer(o: SeedOffer): Offer {
  const unit = o.unit ?? DEFAULT_POINTS_UNIT;
  const reward: Offer['reward'] = o.points !== undefined
    ? { kind: 'points', points: o.points, unit }
    : o.points_per_unit !== undefined
      ? { kind: 'points_per_unit', points: o.points_per_unit, unit }
      : rewardOf(o);
  return { id: o.id, name: o.name, reward, instant: o.instant, conditions: o.conditions };
}

export function parseSeed(text: string, file: string): Seed {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new SeedError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  const raw: unknown = doc.toJS() ?? {};
  const result = seedSchema.safeParse(raw);
  // `amount: 25.00` is 25 to YAML: 0.25 EUR where 25.00 was meant (runtime/config-file.ts decimalAmounts).
  const decimals = decimalAmounts(doc, text, (path) => path[path.length - 1] === 'amount', 'minor units (cents; whole points for points)');
  const errors = [...decimals, ...(result.success ? [] : describeIssues(result.error, '', raw)), ...seedCrossChecks(raw)];
  if (!result.success || errors.length > 0) throw new SeedError(file, errors);
  return result.data;
}

export interface SeedFile {
  file: string;
  hash: string;
  seed: Seed;
}

export function loadSeedFile(file: string): SeedFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new SeedError(file, [`cannot read file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  return { file, hash: createHash('sha256').update(bytes).digest('hex'), seed: parseSeed(bytes.toString('utf8'), file) };
}

export interface SeedReport {
  applied: boolean;
  participants_added: number;
  identifiers_added: number;
  wallets_created: number;
  offers_upserted: number;
  products_upserted: number;
  /** Offers issued to participants; an offer already issued is never touched again (it may be redeemed). */
  user_offers_issued: number;
}

/** Apply a seed unless this exact content was applied before. One transaction; safe with two hosts starting at once. */
export function applySeed(ledger: Ledger, { file, hash, seed }: SeedFile, log: Logger): SeedReport {
  const fresh = (): SeedReport => ({
    applied: false, participants_added: 0, identifiers_added: 0, wallets_created: 0, offers_upserted: 0, products_upserted: 0, user_offers_issued: 0,
  });
  let report = fresh();
  // Keyed: hosts starting together apply it one after the other, waiting as long as that takes
  // (PostgreSQL; SQLite has one writer anyway).
  ledger.immediate(() => {
    report = fresh(); // a PostgreSQL conflict runs this again
    if (ledger.seedApplied(hash)) return;
    const conflicts: string[] = [];
    seed.participants.forEach((p, i) => {
      if (!ledger.participant(p.id)) {
        ledger.insertParticipant({ id: p.id, name: p.name, tier: p.tier ?? null, automatic_spend: p.automatic_spend });
        report.participants_added++;
      }
      for (const kind of identifierKinds) {
        (p.identifiers[kind] ?? []).forEach((raw, j) => {
          const value = normaliseIdentifier(kind as IdentifierKind, raw);
          const owner = ledger.identifierOwner(kind, value);
          if (owner === undefined) {
            ledger.insertIdentifier(kind, value, p.id);
            report.identifiers_added++;
          } else if (owner !== p.id) {
            conflicts.push(`participants[${i}].identifiers.${kind}[${j}]: already belongs to participant ${owner}`);
          }
        });
      }
      // Wallets are created once per unit; an existing wallet is never touched.
      const opening = [p.balance, ...(p.points ? [{ amount: p.points.amount, currency: p.points.unit }] : [])];
      for (const balance of opening) {
        if (ledger.walletIn(p.id, balance.currency)) continue;
        ledger.createWallet(p.id, balance.currency);
        report.wallets_created++;
        if (balance.amount !== 0) {
          ledger.append({
            participant_id: p.id, terminal: null, txn_id: null, message_id: null, kind: 'seed',
            amount: balance.amount, currency: balance.currency, note: `opening balance from seed ${hash.slice(0, 12)}`,
          });
        }
      }
    });
    const issuedAt = new Date().toISOString();
    seed.participants.forEach((p, i) => p.offers.forEach((o, j) => {
      const existing = ledger.userOffers.get(o.id);
      if (existing && existing.participant_id !== p.id) {
        conflicts.push(`participants[${i}].offers[${j}].id: already issued to participant ${existing.participant_id}`);
      } else if (ledger.userOffers.issue(toUserOffer(o, p.id), issuedAt)) {
        report.user_offers_issued++;
      }
    }));
    // Throwing rolls the whole seed back: a half-applied seed would never be retried.
    if (conflicts.length > 0) throw new SeedError(file, conflicts);
    for (const offer of seed.offers) ledger.upsertOffer(toOffer(offer));
    report.offers_upserted = seed.offers.length;
    report.products_upserted = ledger.upsertProducts(seed.products);
    ledger.markSeedApplied(hash, file);
    report.applied = true;
  }, 'seed', { waitMs: 120_000 });
  log.info({ seed: file, hash: hash.slice(0, 12), ...report }, report.applied ? 'seed applied' : 'seed already applied');
  return report;
}
