// SessionM POS API calls: HTTP Basic with key/secret on every call, the request container
// {store_id, client_id, request_id, culture, request_payload}, the answer {status: "OK",
// payload, errors}. request_id is the platform's idempotency key: the connector passes the one
// derived from the till's message, so a resend is answered, not applied again.
import type { z } from 'zod';
import { PlatformError } from '../platform/errors.ts';
import type { HttpAnswer, PlatformHttp } from '../platform/http.ts';
import type { SessionmConfig } from './config.ts';
import { responseSchema } from './wire.ts';

/** A SessionM code however it is spelt ("pending processing", PENDING_PROCESSING, user-not-found): lower_snake. */
export function codeKey(code: string | undefined): string {
  return (code ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The code and message of the container's `errors`, where it has them (the reference gives no fields). */
export function errorsOf(errors: unknown): { code?: string; message?: string } {
  const first = Array.isArray(errors) ? errors[0] : errors;
  if (typeof first !== 'object' || first === null) return typeof first === 'string' ? { message: first } : {};
  const { code, message } = first as { code?: unknown; message?: unknown };
  return { ...(typeof code === 'string' ? { code } : {}), ...(typeof message === 'string' ? { message } : {}) };
}

// SessionM's generic error codes (reference, "Generic Statuses and Errors": HTTP 200 whose status is
// "error", or 401, 404, 500), by what they mean for the request:
/** "Unexpected SessionM server error occurred": HTTP 500's meaning in a 200, a fault of SessionM's, not a refusal. */
export const SERVER_CODES: ReadonlySet<string> = new Set(['internal_server_error']);
/** "Authentication credentials passed in were invalid", "Wrong API key passed in", an expired token: as 401. */
export const AUTH_CODES: ReadonlySet<string> = new Set(['access_denied', 'invalid_api_key', 'invalid_auth_token']);
/** "Object does not exist", "Customer ID or external customer ID not located", "Similar to USER_NOT_FOUND". */
const NOT_FOUND_CODES = new Set(['not_found', 'user_not_found', 'requires_registered_user']);

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
      const container = parsed.success ? parsed.data : undefined;
      const errors = errorsOf(container?.errors);
      const code = codeKey(errors.code);
      const said = container && (errors.code !== undefined || errors.message !== undefined)
        ? [errors.code, errors.message].filter((x) => x !== undefined).join(': ')
        : container ? `HTTP ${answer.status}, status ${container.status}` : `HTTP ${answer.status}`;
      const detail = { status: answer.status, ...(errors.code !== undefined ? { platformCode: errors.code } : {}) };
      // A success: "For successful API calls, this will be "OK"" (the generic page spells it "ok").
      if (container && answer.status < 300 && container.status.toUpperCase() === 'OK') {
        const data = schema.safeParse(container.payload);
        if (!data.success) throw new PlatformError('sessionm', 'bad_response', `${endpoint}: unexpected payload (${data.error.issues[0]?.path.join('.') ?? ''})`);
        return data.data;
      }
      // General Request Container, request_id: a repeat of a request SessionM is still processing
      // "bears an error code of 'pending processing'" (in errors, or as the response's status code):
      // the first will be applied, so this is not a refusal (a dead letter) but a wait; the same
      // request id later gets the first answer.
      if (container && (code === 'pending_processing' || codeKey(container.status) === 'pending_processing')) {
        throw new PlatformError('sessionm', 'server', `${endpoint}: pending processing (the first request with this request_id is still being applied)`, { ...detail, platformCode: errors.code ?? container.status });
      }
      if (answer.status === 401 || answer.status === 403 || AUTH_CODES.has(code)) {
        throw new PlatformError('sessionm', 'auth', `${endpoint}: credentials refused (${said}); check the sessionm key, secret and client_id`, detail);
      }
      // A 404 without SessionM's response container never reached the POS API (a wrong sessionm.url, a
      // proxy): not "no such customer" nor a refusal to dead-letter, but unreachable until fixed.
      if (answer.status === 404 && !container) {
        throw new PlatformError('sessionm', 'bad_response', `${endpoint}: HTTP 404 that is not a SessionM answer (no response container): check sessionm.url`, { status: 404 });
      }
      if (!container) {
        // Another 4xx without the container is still a refusal of this request (as before); a 2xx without it is garbled.
        if (answer.status >= 400) throw new PlatformError('sessionm', 'rejected', `${endpoint}: HTTP ${answer.status}`, { status: answer.status });
        throw new PlatformError('sessionm', 'bad_response', `${endpoint}: the answer is not a SessionM response container`);
      }
      // SessionM's own fault, said in a 200: retried like its HTTP 500, never a dead letter.
      if (SERVER_CODES.has(code)) throw new PlatformError('sessionm', 'server', `${endpoint}: ${said}`, detail);
      if (answer.status === 404 || NOT_FOUND_CODES.has(code)) throw new PlatformError('sessionm', 'not_found', `${endpoint}: ${said}`, detail);
      // Any other status than "OK" is SessionM's refusal of this request (validation, not available…).
      throw new PlatformError('sessionm', 'rejected', `${endpoint}: ${said}`, detail);
    });
  }
}
