// CRM.COM Web API v2 shapes the connector sends and the simulator accepts, strictly: a missing
// field, an unknown field or a value out of range is refused (HTTP 400, status.code
// INVALID_PARAMETER). Field names follow the Web API v2 reference (search: pages corpus,
// crmdevelopment.atlassian.net); where it is silent, host/README.md says what we assumed.
//
// Every answer is {status: {code, message, description}, data}; status.code "OK" on success.
import { z } from 'zod';

export const MAX_PRODUCTS_PER_SYNC = 1000;
export const MAX_RESULTS_PER_PAGE = 50;

const text = (max = 256) => z.string().min(1).max(max);
const amount = z.number().finite().min(0);
const idOnly = z.strictObject({ id: text(64) });
/** "2026-03-04T10:00:00" — the reference's date format (no offset: the unit's local time). */
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'must be YYYY-MM-DDTHH:MM:SS');
const fieldsSet = z.string().regex(/^[a-z_]+(,[a-z_]+)*$/, 'must be a comma separated list of field names').optional();

export const authKeyRequest = z.strictObject({ unit: text(64).optional() });
export const authTokenRequest = z.strictObject({
  username: text(), password: text(), organisation: text(), unit: text(64).optional(),
});

/** Exactly one way to name the participant (the reference: "only one of those parameters"). */
export const participantIdentifier = z
  .strictObject({
    id: text(64).optional(),
    number: text(64).optional(),
    access_token_identifier: z.strictObject({ authentication_code: text() }).optional(),
    email_address: text().optional(),
    phone_number: text(32).optional(),
  })
  .refine((v) => Object.keys(v).length === 1, 'give exactly one of id, number, access_token_identifier, email_address, phone_number');

/**
 * The rewards participant object's fields the simulator answers (reference: id, number,
 * life_cycle_state, accounts_receivable (an Accounts Receivable object, which has the name),
 * currency (a Currency object, R10), reward_tier (a Rewards Tier Information object whose
 * reward_tier is the Reward Tier {id, name, code})). It has no balance: that is the wallet's.
 */
export const PARTICIPANT_FIELDS = ['id', 'number', 'life_cycle_state', 'accounts_receivable', 'currency', 'reward_tier'] as const;

export const participantShowRequest = z.strictObject({
  token: text(4096),
  rewards_participant_identifier: participantIdentifier,
  fields_set: fieldsSet,
});

const idOrNumber = (what: string) => z
  .strictObject({ id: text(64).optional(), number: text(64).optional() })
  .refine((v) => Object.keys(v).length === 1, `give exactly one of the ${what}'s id, number`);

/** wallets/get_balance fields (reference: id, balance, alternative_balance, … ; we answer and read id and balance). */
export const WALLET_BALANCE_FIELDS = ['id', 'balance'] as const;
/**
 * POST wallets/get_balance (reference, R12+): exactly one of wallet_identifier,
 * rewards_participant_identifier (deprecated from R17) and accounts_receivable_identifier;
 * as_of_date (a future date) and fields_set optional.
 */
export const walletBalanceRequest = z
  .strictObject({
    token: text(4096),
    wallet_identifier: idOrNumber('wallet').optional(),
    rewards_participant_identifier: idOrNumber('rewards participant').optional(),
    accounts_receivable_identifier: idOrNumber('accounts receivable').optional(),
    as_of_date: date.optional(),
    fields_set: fieldsSet,
  })
  .refine((v) => [v.wallet_identifier, v.rewards_participant_identifier, v.accounts_receivable_identifier].filter((x) => x !== undefined).length === 1,
    'give exactly one of wallet_identifier, rewards_participant_identifier, accounts_receivable_identifier');

/**
 * The purchase customer event product parameter object (reference): product_identifier, quantity
 * (optional, "defaults to 1"), and net_amount, vat_amount, total_amount, all three mandatory.
 */
const productLine = z.strictObject({
  product_identifier: z.strictObject({ code: text(64) }),
  quantity: z.number().positive().finite().optional(),
  net_amount: amount,
  vat_amount: amount,
  total_amount: amount,
});

const purchaseBase = {
  token: text(4096),
  rewards_participant_identifier: idOnly,
  performed_by_unit_identifier: idOnly,
  performed_on: date,
  intended_currency_identifier: z.strictObject({ code: z.string().regex(/^[A-Z]{3}$/) }),
  total_amount: amount,
  discount_amount: amount.optional(),
  products_set: z.array(productLine).min(1).max(500),
  fields_set: fieldsSet,
};

export const purchasePreviewRequest = z.strictObject(purchaseBase);
export const purchaseCreateRequest = z.strictObject({
  ...purchaseBase,
  external_system: text(64),
  /** The host's idempotency key: the same reference never makes a second purchase. */
  external_system_reference_number: text(64),
});

export const spendCreateRequest = z.strictObject({
  token: text(4096),
  rewards_participant_identifier: idOnly,
  performed_by_unit_identifier: idOnly,
  performed_on: date,
  purchase_customer_request_identifier: z.strictObject({ external_system_reference_number: text(64) }),
  intended_currency_identifier: z.strictObject({ code: z.string().regex(/^[A-Z]{3}$/) }),
  spend_amount: amount,
  external_system: text(64),
  external_system_reference_number: text(64),
  fields_set: fieldsSet,
});

/** One of the event's id or the reference the host gave it (CRM.COM's own instant/automatic spends have none). */
export const customerEventIdentifier = z
  .strictObject({ id: text(64).optional(), external_system_reference_number: text(64).optional() })
  .refine((v) => Object.keys(v).length === 1, 'give exactly one of id, external_system_reference_number');
export const cancelRequest = z.strictObject({ token: text(4096), customer_event_identifier: customerEventIdentifier });

/**
 * The semi-optional owner of the customer events a list returns, exactly one of them (the pages'
 * restriction: "It is mandatory to specify one of the semi-optional parameters. Only one of those
 * parameters is allowed to be specified"): rewards_participant_identifier,
 * accounts_receivable_identifier, classification_identifier.
 */
const eventOwner = {
  rewards_participant_identifier: idOrNumber('rewards participant').optional(),
  accounts_receivable_identifier: idOrNumber('accounts receivable').optional(),
  classification_identifier: z
    .strictObject({ id: text(64).optional(), name: text(128).optional(), alternative_code: text(64).optional() })
    .refine((v) => Object.keys(v).length === 1, 'give exactly one of the classification\'s id, name, alternative_code')
    .optional(),
};
const oneOwner = (v: { rewards_participant_identifier?: unknown; accounts_receivable_identifier?: unknown; classification_identifier?: unknown }) =>
  [v.rewards_participant_identifier, v.accounts_receivable_identifier, v.classification_identifier].filter((x) => x !== undefined).length === 1;
const oneOwnerMessage = 'give exactly one of rewards_participant_identifier, accounts_receivable_identifier, classification_identifier';

/** The submitted-date window, page and fields of a customer events list (spend requests, purchases). */
const eventListWindow = {
  submitted_after_date: date.optional(),
  submitted_before_date: date.optional(),
  number_of_results: z.number().int().min(1).max(MAX_RESULTS_PER_PAGE),
  offset: z.number().int().min(0),
  fields_set: fieldsSet,
};

/**
 * customer_events/spend_requests/list (reference, R5 to R17 where it is deprecated): the three
 * semi-optional owners (exactly one), submitted_after_date / submitted_before_date (R12.2),
 * number_of_results, offset and fields_set optional. There is no purchase filter: a purchase's
 * spend requests are found among its participant's by their link to it (spendData).
 */
export const spendListRequest = z
  .strictObject({ token: text(4096), ...eventOwner, ...eventListWindow })
  .refine(oneOwner, oneOwnerMessage);

/**
 * POST customer_events/purchases/list (reference): rewards_participant_identifier,
 * accounts_receivable_identifier and classification_identifier are semi-optional (exactly one of
 * them, the pages' restriction); spend_requests_applied, eligible_for_spending,
 * submitted_after_date, submitted_before_date, number_of_results, offset and fields_set optional.
 */
export const purchaseListRequest = z
  .strictObject({
    token: text(4096),
    ...eventOwner,
    spend_requests_applied: z.boolean().optional(),
    eligible_for_spending: z.boolean().optional(),
    ...eventListWindow,
  })
  .refine(oneOwner, oneOwnerMessage);

const named = z.strictObject({ name: text(128) });
/**
 * The product parameter object of products/synchronise (reference, R14+: code mandatory;
 * description, type_identifier, brand_identifier, family_identifier, category (one Product
 * Category), product_validity_from/to optional). Fields left out keep their value at CRM.COM.
 */
export const synchronisedProduct = z.strictObject({
  code: text(64),
  description: text(256).optional(),
  type_identifier: named.optional(),
  brand_identifier: named.optional(),
  family_identifier: named.optional(),
  category: named.optional(),
  product_validity_to: date.optional(),
});
export const productsSynchroniseRequest = z.strictObject({
  token: text(4096),
  products_set: z.array(synchronisedProduct).min(1).max(MAX_PRODUCTS_PER_SYNC),
});

// ---- answers (data) ----

export const statusSchema = z.object({ code: z.string(), message: z.string().nullable().optional(), description: z.string().nullable().optional() });
export const envelopeSchema = z.object({ status: statusSchema, data: z.unknown().optional() });

export const tokenData = z.object({ token: z.string().min(1) });
export const participantData = z.object({
  id: z.string().optional(), number: z.string().optional(), life_cycle_state: z.string().optional(),
  accounts_receivable: z.object({ id: z.string().optional(), number: z.string().optional(), name: z.string().nullable().optional() }).nullable().optional(),
  currency: z.object({ code: z.string() }).nullable().optional(),
  reward_tier: z.object({ reward_tier: z.object({ name: z.string().nullable().optional() }).nullable().optional() }).nullable().optional(),
});
export const walletBalanceData = z.object({ id: z.string().optional(), balance: z.number() });
export const previewData = z.object({
  total_award_amount: z.number(),
  total_instant_spend_amount: z.number(),
  total_automatic_spend_amount: z.number(),
  total_additional_spend_amount: z.number(),
  reduction_method: z.enum(['FRONT_END_REDUCTION', 'BACK_END_REDUCTION']),
  // "Available from CRM.COM R12.2.0 and CRM.COM R13.1.0 onward" (an R13.0 tenant answers none of
  // the three; older pages nest a purchase_rewards_participant object instead): the participant's
  // id and name are not read, the balance is read when given, else asked of wallets/get_balance.
  rewards_participant_id: z.string().nullable().optional(),
  rewards_participant_name: z.string().nullable().optional(),
  wallet_balance: z.number().nullable().optional(),
});
/**
 * purchases/create answers the purchase customer event object (reference, "purchase customer event
 * object response data"): its award is `total_awarded_amount` ("The total amount that was awarded
 * for that purchase customer event", R13.1), not the preview's `total_award_amount`; the
 * total_*_spend_amount fields are R13.1. `reduction_method` is the preview's and the spend
 * request's field: read when the purchase carries it, else FRONT_END_REDUCTION ("This is the
 * default option").
 */
export const purchaseData = z.object({
  id: z.string(),
  number: z.string(),
  total_awarded_amount: z.number(),
  total_instant_spend_amount: z.number(),
  total_automatic_spend_amount: z.number(),
  total_spend_amount: z.number(),
  reduction_method: z.enum(['FRONT_END_REDUCTION', 'BACK_END_REDUCTION']).optional(),
});
/**
 * purchases/list answers purchase customer event objects: the reference (R10.1) and the life cycle
 * state (POSTED or CANCELLED) are read from each, the match then as purchaseData.
 */
export const listedPurchases = z.array(z.looseObject({
  external_system_reference_number: z.string().nullable().optional(), life_cycle_state: z.string().nullable().optional(),
}));
export const spendData = z.object({
  id: z.string(), number: z.string(), spend_amount: z.number(), life_cycle_state: z.enum(['POSTED', 'CANCELLED']),
  external_system_reference_number: z.string().nullable().optional(),
  // The reference: "created instantly as a result of an instant spend offer" (R12.6),
  // "created as part of the automatic awards spending process" (R13).
  instant_spend: z.boolean().optional(),
  automatic_spend: z.boolean().optional(),
  // "It defines how the amount that was requested to spend will be reduced" (R13): the purchase
  // object lists none, so its instant and automatic spend requests tell how the purchase is reduced.
  reduction_method: z.enum(['FRONT_END_REDUCTION', 'BACK_END_REDUCTION']).optional(),
  // The purchase customer event the spend request settles (the manual: "Purchase Customer Event*
  // … which the specified Spend Request is used to settle"; the spend_requests/show example nests
  // a purchase_customer_event object). Its id, or its reference when the object carries it, ties
  // a listed spend request to the sale's purchase.
  purchase_customer_event: z.object({
    id: z.string().optional(), external_system_reference_number: z.string().nullable().optional(),
  }).nullable().optional(),
});
/** purchases/cancel answers the cancelled purchase customer event (purchase_customer_event_complete). */
export const purchaseCancelData = z.object({ id: z.string(), life_cycle_state: z.literal('CANCELLED') });
/** spend_requests/cancel answers the cancelled spend request event (its spend_amount given back). */
export const spendCancelData = spendData.extend({ life_cycle_state: z.literal('CANCELLED') });
/**
 * products/synchronise answers product_synchronisation_complete (reference): processed_products_set
 * ({request_code, id, code, message (R17)}: the products synchronised) and unprocessed_products_set
 * ({request_code, error_code, error_description}: the ones that failed, each with its error). Only
 * request_code and the error are read; a set left out or null is taken as empty.
 */
const productSet = <S extends z.ZodType>(row: S) => z.array(row).nullable().optional().transform((v) => v ?? []);
export const synchroniseData = z.object({
  processed_products_set: productSet(z.object({ request_code: z.string().nullable().optional() })),
  unprocessed_products_set: productSet(z.object({
    request_code: z.string().nullable().optional(), error_code: z.string().nullable().optional(), error_description: z.string().nullable().optional(),
  })),
});
