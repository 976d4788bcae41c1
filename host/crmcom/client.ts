// CRM.COM Web API v2 calls with the authentication token handled: obtained with the Web API key
// (POST authentication/web_api_key/token, HTTP Basic, key as user, empty password) or with
// username/password (POST authentication/token), cached, renewed before its two hours are up,
// and renewed once more when a call answers 401. Neither the key, the password nor the token
// ever reaches a log line or an error message.
import type { z } from 'zod';
import type { Logger } from '../../runtime/log.ts';
import { PlatformError, isRefusal } from '../platform/errors.ts';
import type { HttpAnswer, PlatformHttp } from '../platform/http.ts';
import type { CrmcomConfig } from './config.ts';
import { envelopeSchema, tokenData } from './wire.ts';

/** The reference: "the authentication token expires after two hours". Renew a little earlier. */
export const TOKEN_LIFETIME_MS = 2 * 3600_000;
const RENEW_MARGIN_MS = 10 * 60_000;

export interface CrmcomCredentials {
  api_key?: string;
  password?: string;
}

export class CrmcomClient {
  private token: { value: string; renewAt: number } | undefined;
  private obtaining: Promise<string> | undefined;
  /** Tokens obtained so far (for tests and the doctor). */
  tokensIssued = 0;

  constructor(
    private readonly config: CrmcomConfig,
    private readonly credentials: CrmcomCredentials,
    readonly http: PlatformHttp,
    private readonly log: Logger,
  ) {}

  /** POST endpoint with the token, through retries and the breaker; returns `data` validated by schema. */
  call<S extends z.ZodType>(endpoint: string, body: Record<string, unknown>, schema: S): Promise<z.output<S>> {
    return this.http.call(endpoint, async () => {
      let token = await this.currentToken();
      let answer = await this.http.post(endpoint, { token, ...body }, {});
      if (answer.status === 401) {
        // Expired or revoked early: renew once and try again; a second 401 is an auth failure.
        this.log.info({ platform: 'crmcom', endpoint }, 'token refused: renewing it once');
        this.forget(token);
        token = await this.currentToken();
        answer = await this.http.post(endpoint, { token, ...body }, {});
      }
      return read(endpoint, answer, schema);
    });
  }

  /** A fresh token, bypassing the cache (doctor). */
  async freshToken(): Promise<string> {
    this.token = undefined;
    return this.currentToken();
  }

  private forget(token: string): void {
    if (this.token?.value === token) this.token = undefined;
  }

  private currentToken(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    // One request for a token at a time, whatever the number of callers.
    this.obtaining ??= this.obtain().finally(() => { this.obtaining = undefined; });
    return this.obtaining;
  }

  private async obtain(): Promise<string> {
    const unit = this.config.unit !== undefined ? { unit: this.config.unit } : {};
    let answer: HttpAnswer;
    let endpoint: string;
    if (this.credentials.api_key !== undefined) {
      endpoint = 'authentication/web_api_key/token';
      const basic = Buffer.from(`${this.credentials.api_key}:`).toString('base64');
      answer = await this.http.post(endpoint, unit, { authorization: `Basic ${basic}` });
    } else {
      endpoint = 'authentication/token';
      answer = await this.http.post(endpoint, {
        username: this.config.username, password: this.credentials.password, organisation: this.config.organisation, ...unit,
      }, {});
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new PlatformError('crmcom', 'auth', `${endpoint}: credentials refused (HTTP ${answer.status}); check the crmcom key or password`);
    }
    let token: string;
    try {
      ({ token } = read(endpoint, answer, tokenData));
    } catch (error) {
      // Any other refusal of the login (a unit or organisation the tenant does not know, a wrong
      // URL) is the configuration's, never the message's: retryable until the operator fixes it,
      // not a dead letter of the award or spend that happened to need a token.
      if (isRefusal(error)) {
        throw new PlatformError('crmcom', 'auth', `${error.message}; login refused: check the crmcom url, key or password, organisation and unit`, error.detail);
      }
      throw error;
    }
    this.tokensIssued++;
    this.token = { value: token, renewAt: Date.now() + TOKEN_LIFETIME_MS - RENEW_MARGIN_MS };
    this.log.debug({ platform: 'crmcom', endpoint }, 'authentication token obtained');
    return token;
  }
}

/** An answer's `data`, or the PlatformError its status says. */
function read<S extends z.ZodType>(endpoint: string, answer: HttpAnswer, schema: S): z.output<S> {
  const envelope = envelopeSchema.safeParse(answer.body);
  const status = envelope.success ? envelope.data.status : undefined;
  const said = status ? `${status.code}${status.message ? `: ${status.message}` : ''}` : `HTTP ${answer.status}`;
  if (answer.status === 401) throw new PlatformError('crmcom', 'auth', `${endpoint}: token refused again after renewal (${said})`, { status: 401 });
  if (answer.status === 404 || status?.code === 'NOT_FOUND') {
    throw new PlatformError('crmcom', 'not_found', `${endpoint}: ${said}`, { status: answer.status, platformCode: status?.code ?? '' });
  }
  if (answer.status >= 400 || (status && status.code !== 'OK')) {
    throw new PlatformError('crmcom', 'rejected', `${endpoint}: ${said}`, { status: answer.status, ...(status ? { platformCode: status.code } : {}) });
  }
  if (!status) throw new PlatformError('crmcom', 'bad_response', `${endpoint}: the answer is not a CRM.COM envelope`);
  const data = schema.safeParse(envelope.success ? envelope.data.data : undefined);
  if (!data.success) throw new PlatformError('crmcom', 'bad_response', `${endpoint}: unexpected answer data (${data.error.issues[0]?.path.join('.') ?? ''})`);
  return data.data;
}
