// How the SessionM client reads the General Response Container (reference, POS "General DTO
// Definitions": status "OK" for a success, else `errors` with "error details and validation
// details"; request_id: a repeat "bears an error code of 'pending processing'"), and SessionM's
// generic statuses ("Generic Statuses and Errors": HTTP 200 whose status is "error", the example
// {"status": "error", "errors": {"code": "requires_registered_user"}} with no message; the codes
// INTERNAL_SERVER_ERROR, USER_NOT_FOUND, REQUIRES_REGISTERED_USER, NOT_FOUND, ACCESS_DENIED, …).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { z } from 'zod';
import { SessionmClient } from '../../../host/sessionm/client.ts';
import { SessionmConnector } from '../../../host/sessionm/connector.ts';
import { sessionmConfigSchema } from '../../../host/sessionm/config.ts';
import { PlatformHttp } from '../../../host/platform/http.ts';
import { isPlatformError, toAgentError } from '../../../host/platform/errors.ts';

/** A server answering every POST with `status` and `body` (a string is sent as is). */
async function answering(t: { teardown(fn: () => unknown): void }, status: number, body: unknown): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function clientFor(t: { teardown(fn: () => unknown): void }, status: number, body: unknown) {
  const url = await answering(t, status, body);
  const config = sessionmConfigSchema.parse({ url, key: 'k', secret: 's', client_id: 'C1', currency: 'EUR', retries: 0, timeout_ms: 2000 });
  return { config, client: new SessionmClient(config, 's', new PlatformHttp('sessionm', url, config)) };
}

async function outcome(t: { teardown(fn: () => unknown): void }, status: number, body: unknown) {
  const { client } = await clientFor(t, status, body);
  try {
    const value = await client.call('api/2.0/send_transaction', 'S1', 'r1', {}, z.unknown());
    return { ok: true as const, value };
  } catch (error) {
    if (!isPlatformError(error)) throw error;
    const agent = toAgentError(error);
    return { ok: false as const, kind: error.kind, code: agent.code, permanent: !agent.retryable, message: error.message };
  }
}

t.test('a success is status "OK" (or the generic page\'s "ok"), with a payload or none', async (t) => {
  t.same(await outcome(t, 200, { status: 'OK' }), { ok: true, value: undefined });
  t.same(await outcome(t, 200, { status: 'ok', payload: { anything: 1 } }), { ok: true, value: { anything: 1 } });
});

t.test('HTTP 200 with an error status: classified by the code, an errors object without a message included', async (t) => {
  const cases: Array<[string, number, unknown, { kind: string; code: string; permanent: boolean; message?: RegExp }]> = [
    // The generic example, as given: no message. It was "not a SessionM response container", retried for ever.
    ['generic example (no message)', 200, { status: 'error', errors: { code: 'requires_registered_user' } }, { kind: 'not_found', code: 'NOT_FOUND', permanent: true, message: /requires_registered_user/ }],
    ['USER_NOT_FOUND', 200, { status: 'error', errors: { code: 'USER_NOT_FOUND', message: 'no such user' } }, { kind: 'not_found', code: 'NOT_FOUND', permanent: true }],
    ['NOT_FOUND', 200, { status: 'error', errors: { code: 'NOT_FOUND' } }, { kind: 'not_found', code: 'NOT_FOUND', permanent: true }],
    // "Unexpected SessionM server error occurred": SessionM's fault, like its HTTP 500; it was a dead letter.
    ['INTERNAL_SERVER_ERROR', 200, { status: 'error', errors: { code: 'INTERNAL_SERVER_ERROR', message: 'unexpected' } }, { kind: 'server', code: 'UPSTREAM_UNAVAILABLE', permanent: false }],
    ['ACCESS_DENIED', 200, { status: 'error', errors: { code: 'ACCESS_DENIED', message: 'bad credentials' } }, { kind: 'auth', code: 'UPSTREAM_UNAVAILABLE', permanent: false, message: /credentials refused/ }],
    ['INVALID_API_KEY', 200, { status: 'error', errors: { code: 'INVALID_API_KEY' } }, { kind: 'auth', code: 'UPSTREAM_UNAVAILABLE', permanent: false }],
    // A refusal without a message: it was "not a SessionM response container", retried for ever.
    ['VALIDATION (no message)', 200, { status: 'error', errors: { code: 'VALIDATION' } }, { kind: 'rejected', code: 'REJECTED_UPSTREAM', permanent: true, message: /VALIDATION/ }],
    ['NOT_AVAILABLE', 200, { status: 'error', errors: { code: 'NOT_AVAILABLE', message: 'offer unavailable' } }, { kind: 'rejected', code: 'REJECTED_UPSTREAM', permanent: true, message: /NOT_AVAILABLE: offer unavailable/ }],
    ['errors as a list', 200, { status: 'error', errors: [{ code: 'validation', message: 'items[0].price' }] }, { kind: 'rejected', code: 'REJECTED_UPSTREAM', permanent: true, message: /items\[0\]\.price/ }],
    ['no errors at all', 200, { status: 'error' }, { kind: 'rejected', code: 'REJECTED_UPSTREAM', permanent: true, message: /status error/ }],
  ];
  for (const [what, status, body, expected] of cases) t.match(await outcome(t, status, body), { ok: false, ...expected }, what);
});

t.test('"pending processing", in errors or as the response\'s status code, however spelt, is a wait, never a refusal', async (t) => {
  for (const body of [
    { status: 'error', errors: { code: 'pending processing' } },
    { status: 'error', errors: { code: 'PENDING_PROCESSING', message: 'still processing' } },
    // "status … The status code for the response": it was a REJECTED_UPSTREAM dead letter of a sale SessionM applies.
    { status: 'pending processing' },
    { status: 'PENDING_PROCESSING' },
  ]) {
    t.match(await outcome(t, 200, body), { ok: false, kind: 'server', code: 'UPSTREAM_UNAVAILABLE', permanent: false, message: /pending processing/ }, JSON.stringify(body));
  }
  t.match(await outcome(t, 409, { status: 'error', errors: { code: 'pending_processing' } }), { ok: false, kind: 'server', permanent: false });
});

t.test('HTTP statuses: 401, a 404 in the container or not, a 400, a garbled 200', async (t) => {
  t.match(await outcome(t, 401, { status: 'error', errors: { code: 'unauthorized' } }), { ok: false, kind: 'auth', permanent: false });
  t.match(await outcome(t, 401, 'Unauthorized'), { ok: false, kind: 'auth', permanent: false });
  t.match(await outcome(t, 404, { status: 'error', errors: { code: 'not_found', message: 'no user matches' } }), { ok: false, kind: 'not_found', permanent: true });
  t.match(await outcome(t, 404, '<html>Not Found</html>'), { ok: false, kind: 'bad_response', permanent: false, message: /check sessionm\.url/ });
  t.match(await outcome(t, 400, { status: 'error', errors: { code: 'validation', message: 'total' } }), { ok: false, kind: 'rejected', permanent: true, message: /validation: total/ });
  t.match(await outcome(t, 400, '<html>Bad Request</html>'), { ok: false, kind: 'rejected', permanent: true });
  t.match(await outcome(t, 200, '<html>maintenance</html>'), { ok: false, kind: 'bad_response', permanent: false });
});

// The doctor's probe looks up a user that does not exist. Refused credentials said in a 200
// (ACCESS_DENIED, INVALID_API_KEY) were "key and secret accepted", and any 200 — a web page at a
// wrong sessionm.url included — was "sessionm call" ok.
t.test('doctor: credentials refused in a 200, and a 200 that is not a SessionM answer, are not ok', async (t) => {
  const doctor = async (status: number, body: unknown) => {
    const { client, config } = await clientFor(t, status, body);
    const checks = await new SessionmConnector(client, config).doctor();
    return Object.fromEntries(checks.filter((c) => c.name !== 'sessionm clock').map((c) => [c.name, c]));
  };
  t.match(await doctor(200, { status: 'error', errors: { code: 'ACCESS_DENIED' } }), {
    'sessionm auth': { ok: false, detail: /HTTP 200 ACCESS_DENIED: key, secret or client_id refused/ }, 'sessionm call': { ok: false },
  });
  t.match(await doctor(200, '<html>Welcome</html>'), {
    'sessionm auth': { ok: true }, 'sessionm call': { ok: false, detail: /HTTP 200 in \d+ ms, not a SessionM answer .*check sessionm\.url/ },
  });
  t.match(await doctor(200, { status: 'error', errors: { code: 'INTERNAL_SERVER_ERROR' } }), { 'sessionm call': { ok: false, detail: /INTERNAL_SERVER_ERROR/ } });
  t.match(await doctor(200, { status: 'error', errors: { code: 'user_not_found' } }), { 'sessionm auth': { ok: true }, 'sessionm call': { ok: true } });
  t.match(await doctor(404, { status: 'error', errors: { code: 'not_found', message: 'no user matches' } }), { 'sessionm auth': { ok: true }, 'sessionm call': { ok: true } });
  t.match(await doctor(401, 'Unauthorized'), { 'sessionm auth': { ok: false }, 'sessionm call': { ok: false } });
});
