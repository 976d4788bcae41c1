// `sessionm:` section of the host config (backend: sessionm). See host/README.md, "Backends".
import { z } from 'zod';
import { currencyCode } from '../../protocol/schema.ts';
import { platformUrl, resilienceSchema, secret } from '../platform/config.ts';

export const sessionmConfigSchema = z
  .strictObject({
    /** Base of the POS API, e.g. https://pos.sessionm.example/ (endpoints are api/2.0/…). */
    url: platformUrl,
    key: secret('API key'),
    secret: secret('API secret').optional(),
    secret_file: secret('path of a file holding the API secret').optional(),
    client_id: secret('SessionM client id'),
    /** SessionM store id by till store id; a store not listed uses its own id. */
    stores: z.record(z.string(), z.string().min(1)).default({}),
    culture: z.string().min(2).max(16).default('en-US'),
    employee_id: z.string().min(1).max(64).default('till-agent'),
    /** Balances are points; the till shows them as money: minor units of `currency` per point. */
    currency: currencyCode(),
    points_value: z.number().int().min(1).max(1_000_000).default(1),
    ...resilienceSchema,
  })
  .superRefine((c, ctx) => {
    if ((c.secret === undefined) === (c.secret_file === undefined)) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'give secret or secret_file (exactly one)' });
  });

export type SessionmConfig = z.output<typeof sessionmConfigSchema>;
