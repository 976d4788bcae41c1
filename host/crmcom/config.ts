// `crmcom:` section of the host config (backend: crmcom). See host/README.md, "Backends".
import { z } from 'zod';
import { currencyCode } from '../../protocol/schema.ts';
import { platformUrl, resilienceSchema, secret } from '../platform/config.ts';

export const crmcomConfigSchema = z
  .strictObject({
    /** Base of the Web API v2, e.g. https://tenant.crm.com/crmapi/rest/v2/ */
    url: platformUrl,
    // The recommended "System Key" Web API key (HTTP Basic user, empty password) …
    api_key: secret('Web API key').optional(),
    api_key_file: secret('path of a file holding the Web API key').optional(),
    // … or a user's credentials (authentication/token).
    username: secret('user name').optional(),
    password: secret('password').optional(),
    password_file: secret('path of a file holding the password').optional(),
    organisation: secret('organisation name').optional(),
    /** Unit to log in to (authentication `unit`); the user's default unit if absent. */
    unit: z.string().min(1).optional(),
    /** The unit named as performed_by_unit_identifier.id on purchases and spend requests. */
    performed_by_unit: z.string({ error: 'must be the unit id that performs customer events' }).min(1),
    /** The organisation's wallet currency (balances and spends). */
    currency: currencyCode(),
    /** type_identifier.name of synchronised products that carry no type. */
    product_type: z.string().min(1).max(64).default('Goods'),
    ...resilienceSchema,
  })
  .superRefine((c, ctx) => {
    const key = c.api_key !== undefined || c.api_key_file !== undefined;
    const user = c.username !== undefined || c.password !== undefined || c.password_file !== undefined || c.organisation !== undefined;
    if (c.api_key !== undefined && c.api_key_file !== undefined) ctx.addIssue({ code: 'custom', path: ['api_key_file'], message: 'give api_key or api_key_file, not both' });
    if (c.password !== undefined && c.password_file !== undefined) ctx.addIssue({ code: 'custom', path: ['password_file'], message: 'give password or password_file, not both' });
    if (key && user) ctx.addIssue({ code: 'custom', path: ['username'], message: 'give either a Web API key or username/password/organisation, not both' });
    if (!key && !user) ctx.addIssue({ code: 'custom', path: ['api_key'], message: 'required: a Web API key (api_key or api_key_file) or username + password + organisation' });
    if (user) {
      if (c.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'required with password login' });
      if (c.password === undefined && c.password_file === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'required with password login (or password_file)' });
      if (c.organisation === undefined) ctx.addIssue({ code: 'custom', path: ['organisation'], message: 'required with password login' });
    }
  });

export type CrmcomConfig = z.output<typeof crmcomConfigSchema>;
