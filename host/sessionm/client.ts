// SessionM POS API calls: HTTP Basic with key/secret on every call, the request container
// {store_id, client_id, request_id, culture, request_payload}, the answer {status: "OK",
// payload, errors}. request_id is the platform's idempotency key: the connector passes the one
// derived from the till's message, so a resend is answered, not applied again.
import type { z } from 'zod';
import { PlatformError } from '../platform/errors.ts';
import type { HttpAnswer, PlatformHttp } from '../platform/http.ts';
import type { SessionmConfig } from './config.ts';
import { responseSchema } from './wire.ts';

/** "pending processing", however SessionM spells the code (pending_processing, PENDING_PROCESSING, …). */
function pendingProcessing(code: string | undefined): boolean {
  return code !== undefined && code.toLowerCase().replace(/[^a-z]+/g, ' ').trim() === 'pending processing';
}

export class SessionmClient {
  private readonly authorization: string;

  constructor(private readonly config: SessionmConfig, secret: string, readonly http: PlatformHttp) {
    this.authorization = `Basic ${Buffer.from(`${config.key}:${secret}`).toString('base64')}`;
  }

  storeId(tillStore: string): string {
    return this.config.stores[tillStore] ?? tillStore;
  }

  /** One plain lookup, no retries: the doctor reads its status and Date header. */
  probe(store: string, requestId: string): Promise<HttpAnswer> {
    return this.http.post('api/2.0/lookup', {
      store_id: this.storeId(store), client_id: this.config.client_id, request_id: requestId, request_payload: { user_id: 'till-agent-doctor' },
    }, { authorization: this.authorization });
  }

  /** POST endpoint; `payload` validated by schema (undefined for calls answered with no payload). */
  call<S extends z.ZodType>(endpoint: string, store: string, requestId: string, payload: unknown, schema: S): Promise<z.output<S>> {
    const body = {
      store_id: this.storeId(store), client_id: this.config.client_id, request_id: requestId, culture: this.config.culture, request_payload: payload,
    };
    return this.http.call(endpoint, async () => {
      const answer = await this.http.post(endpoint, body, { authorization: this.authorization });
      const parsed = responseSchema.safeParse(answer.body);
      const said = parsed.success && parsed.data.errors ? `${parsed.data.errors.code}: ${parsed.data.errors.message}` : `HTTP ${answer.status}`;
      // General Request Container, request_id: a repeat of a request SessionM is still processing
      // "bears an error code of 'pending processing'": the first will be applied, so this is not a
      // refusal (a dead letter) but a wait; the same request id later gets the first answer.
      if (answer.status < 500 && pendingProcessing(parsed.data?.errors?.code)) {
        throw new PlatformError('sessionm', 'server', `${endpoint}: pending processing (the first request with this request_id is still being applied)`, { status: answer.status, platformCode: parsed.data!.errors!.code });
      }
      if (answer.status === 401 || answer.status === 403) {
        throw new PlatformError('sessionm', 'auth', `${endpoint}: credentials refused (${said}); check the sessionm key, secret and client_id`, { status: answer.status });
      }
      // A 404 without SessionM's response container never reached the POS API (a wrong sessionm.url, a
      // proxy): not "no such customer" nor a refusal to dead-letter, but unreachable until fixed.
      if (answer.status === 404 && !parsed.success) {
        throw new PlatformError('sessionm', 'bad_response', `${endpoint}: HTTP 404 that is not a SessionM answer (no response container): check sessionm.url`, { status: 404 });
      }
      if (answer.status === 404 || parsed.data?.errors?.code === 'not_found') throw new PlatformError('sessionm', 'not_found', `${endpoint}: ${said}`, { status: answer.status });
      if (answer.status >= 400 || (parsed.success && parsed.data.status !== 'OK')) {
        throw new PlatformError('sessionm', 'rejected', `${endpoint}: ${said}`, { status: answer.status, ...(parsed.data?.errors ? { platformCode: parsed.data.errors.code } : {}) });
      }
      if (!parsed.success) throw new PlatformError('sessionm', 'bad_response', `${endpoint}: the answer is not a SessionM response container`);
      const data = schema.safeParse(parsed.data.payload);
      if (!data.success) throw new PlatformError('sessionm', 'bad_response', `${endpoint}: unexpected payload (${data.error.issues[0]?.path.join('.') ?? ''})`);
      return data.data;
    });
  }
}
