/**
 * `[gateway]` access control on the OTLP routes over real HTTP on loopback (otlp-http-receiver.md checklist 35, 36;
 * datakit-opentelemetry.md §2): bearer/query token → 401, CORS preflight and headers on every answer, the per-client
 * rate limit → 429. The config goes through loadConfig (fixtureToml), so the TOML keys are what is tested.
 */
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import { otlpReceiver } from '../src/otlp/receiver.js';
import { RateLimiter } from '../src/otlp/rate-limit.js';
import { statusBody } from '../src/otlp/responses.js';
import { fixtureToml, PATH, startTestGateway } from './helpers/gateway.js';
import { request, type RequestOptions, type Response } from './helpers/http.js';

const PB = 'application/x-protobuf';
const JSON_CT = 'application/json';
/** An empty export request: valid, answered 200 at once (checklist 9). */
const EMPTY_JSON = '{}';
const LOGS_JSON = '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hello"}}]}]}]}';

interface Harness {
  url: string;
  handled: number;
  send(path: string, opts?: RequestOptions): Promise<Response>;
}

/** The receiver with the config of `fixtureToml(inputExtra, gatewayKeys)`, on an ephemeral loopback port. */
async function start(t: Test, gatewayKeys: string, inputExtra = ''): Promise<Harness> {
  const config = loadConfig({ text: fixtureToml(inputExtra, gatewayKeys), env: {} });
  const app = Fastify({ logger: false });
  const h: Harness = { url: '', handled: 0, send: (path, opts) => request(h.url + path, opts) };
  await otlpReceiver(app, {
    inputs: config.inputs,
    limits: config.limits,
    access: config.access,
    datakitVersion: config.datakitVersion,
    hostname: config.hostname,
    handle: async () => {
      h.handled++;
      return {};
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  h.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return h;
}

const post = (contentType: string, body: string, headers: Record<string, string> = {}): RequestOptions => ({
  body,
  headers: { 'Content-Type': contentType, ...headers },
});

/** The headers this feature is about, exactly (absent ones absent). */
function accessHeaders(res: Response): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (name.startsWith('access-control-') || name === 'vary' || name === 'www-authenticate' || name === 'retry-after') out[name] = value;
  }
  return out;
}

function assertAnswer(t: Test, res: Response, status: number, contentType: string | undefined, body: Buffer | string, headers: Record<string, unknown>) {
  t.equal(res.status, status, 'status');
  t.equal(res.headers['content-type'], contentType, 'content-type');
  // latin1 maps bytes 1:1, so protobuf bodies compare exactly and JSON ones diff readably.
  t.equal(res.body.toString('latin1'), Buffer.from(body).toString('latin1'), 'body');
  t.strictSame(accessHeaders(res), headers, 'access headers');
}

const jsonStatus = (code: number, message: string) => JSON.stringify({ code, message });
const MISSING = 'missing token: send "Authorization: Bearer <token>" or ?token=<token> ([gateway] auth_token is set)';

t.test('auth off (default): any Authorization, even OpenLLMetry\'s "Bearer undefined", is accepted', async (t) => {
  const h = await start(t, '');
  const res = await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer undefined' }));
  assertAnswer(t, res, 200, JSON_CT, '{}', {});
  t.equal(h.handled, 1);
});

t.test('auth_token: missing or wrong → 401 + WWW-Authenticate + Status 16 in the request encoding (checklist 36)', async (t) => {
  const h = await start(t, 'auth_token = "s3cret"');
  const bearer = { 'www-authenticate': 'Bearer' };
  const invalid = { 'www-authenticate': 'Bearer error="invalid_token"' };
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON)), 401, JSON_CT, jsonStatus(16, MISSING), bearer);
  assertAnswer(t, await h.send(PATH.traces, post(PB, '')), 401, PB, statusBody('protobuf', 401, MISSING), bearer);
  t.same([...statusBody('protobuf', 401, 'x')].slice(0, 2), [0x08, 16], 'protobuf Status code field is 16');
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'Basic czNjcmV0' })), 401, JSON_CT, jsonStatus(16, MISSING), bearer);
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer undefined' })), 401, JSON_CT, jsonStatus(16, 'invalid token'), invalid);
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer s3cre' })), 401, JSON_CT, jsonStatus(16, 'invalid token'), invalid);
  assertAnswer(t, await h.send(`${PATH.metrics}?token=nope`, post(PB, '')), 401, PB, statusBody('protobuf', 401, 'invalid token'), invalid);
  t.equal(h.handled, 0, 'refused before the handler');
});

t.test('auth_token: the header (any scheme case) or the query token is accepted; /v1/ping stays open', async (t) => {
  const h = await start(t, 'auth_token = "s3cret"');
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer s3cret' })), 200, JSON_CT, '{}', {});
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'bearer s3cret' })), 200, JSON_CT, '{}', {});
  assertAnswer(t, await h.send(`${PATH.traces}?token=s3cret`, post(PB, '')), 200, PB, '', {});
  // OpenLLMetry with the token in its endpoint URL still sends "Bearer undefined".
  const both = await h.send(`${PATH.logs}?token=s3cret`, post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer undefined' }));
  assertAnswer(t, both, 200, JSON_CT, '{}', {});
  t.equal(h.handled, 3);
  const ping = await h.send('/v1/ping', { method: 'GET' });
  t.equal(ping.status, 200);
});

t.test('auth_token applies under strict_datakit too (empty error bodies, as its other errors)', async (t) => {
  const h = await start(t, 'auth_token = "s3cret"', 'strict_datakit = true');
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON)), 401, undefined, '', { 'www-authenticate': 'Bearer' });
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer s3cret' })), 200, undefined, '', {});
});

const CORS_KEYS = 'cors_allowed_origins = ["https://*.example.com", "http://localhost:3000"]\ncors_allowed_headers = ["X-Requested-With"]';
const preflight = (origin: string, more: Record<string, string> = {}): RequestOptions => ({
  method: 'OPTIONS',
  headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type', ...more },
});
const PREFLIGHT_ALLOWED = {
  'access-control-allow-methods': 'POST',
  'access-control-allow-headers': 'Content-Type, Content-Encoding, Authorization, X-Requested-With',
  'access-control-max-age': '7200',
  vary: 'Origin',
  'access-control-expose-headers': 'Retry-After',
};
const listed = (origin: string) => ({
  'access-control-allow-origin': origin,
  'access-control-allow-credentials': 'true',
  'access-control-expose-headers': 'Retry-After',
  vary: 'Origin',
});

t.test('CORS preflight: listed and wildcard origins → 204 with the allow headers; others → 403 (checklist 35)', async (t) => {
  const h = await start(t, CORS_KEYS);
  for (const origin of ['http://localhost:3000', 'https://app.example.com', 'https://a.b.EXAMPLE.com', 'HTTP://LOCALHOST:3000']) {
    assertAnswer(t, await h.send(PATH.traces, preflight(origin)), 204, undefined, '', {
      ...PREFLIGHT_ALLOWED,
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
    });
  }
  // The wildcard stands for at least one character, and the suffix is matched as a whole.
  for (const origin of ['https://.example.com', 'https://example.com', 'https://app.example.com.evil.net', 'http://app.example.com', 'http://localhost:30001']) {
    const message = `origin ${origin} is not allowed ([gateway] cors_allowed_origins)`;
    assertAnswer(t, await h.send(PATH.logs, preflight(origin)), 403, JSON_CT, jsonStatus(7, message), { vary: 'Origin' });
  }
  // Not a preflight (no Access-Control-Request-Method), or not an OTLP route: routed as before.
  const plain = await h.send(PATH.logs, { method: 'OPTIONS', headers: { Origin: 'http://localhost:3000' } });
  t.equal(plain.status, 405);
  t.equal(plain.headers.allow, 'POST');
  t.equal(plain.headers['access-control-allow-origin'], 'http://localhost:3000', 'the error carries the CORS headers');
  t.equal((await h.send('/v1/ping', preflight('http://localhost:3000'))).status, 404);
});

t.test('CORS: a bare "*" is answered with "*" and never with credentials; cors_max_age is sent', async (t) => {
  const h = await start(t, 'cors_allowed_origins = ["*", "https://trusted.example"]\ncors_max_age = 60');
  const star = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Retry-After', vary: 'Origin' };
  assertAnswer(t, await h.send(PATH.metrics, preflight('https://any.where')), 204, undefined, '', {
    ...PREFLIGHT_ALLOWED,
    'access-control-allow-headers': 'Content-Type, Content-Encoding, Authorization',
    'access-control-max-age': '60',
    'access-control-allow-origin': '*',
  });
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Origin: 'https://any.where' })), 200, JSON_CT, '{}', star);
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Origin: 'https://trusted.example' })), 200, JSON_CT, '{}', listed('https://trusted.example'));
});

t.test('CORS headers on POST and on error answers; none for other origins or without CORS', async (t) => {
  const h = await start(t, CORS_KEYS);
  const origin = 'https://app.example.com';
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Origin: origin })), 200, JSON_CT, '{}', listed(origin));
  const message = "unsupported Content-Type 'text/plain': OTLP/HTTP bodies are application/x-protobuf, application/json";
  assertAnswer(t, await h.send(PATH.logs, post('text/plain', 'x', { Origin: origin })), 415, JSON_CT, jsonStatus(3, message), listed(origin));
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Origin: 'https://evil.net' })), 200, JSON_CT, '{}', { vary: 'Origin' });
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, LOGS_JSON)), 200, JSON_CT, '{}', {});

  const off = await start(t, '');
  assertAnswer(t, await off.send(PATH.logs, post(JSON_CT, LOGS_JSON, { Origin: origin })), 200, JSON_CT, '{}', {});
  t.equal((await off.send(PATH.logs, preflight(origin))).status, 405, 'CORS off: a preflight is a wrong method');
});

t.test('rate limit: the (burst+1)th immediate request from a client on a route → 429 + Retry-After + Status 8', async (t) => {
  // 0.001 requests/s: no token comes back while the test runs, and the wait is 1000 s.
  const h = await start(t, 'rate_limit_rps = 0.001\nrate_limit_burst = 2\nauth_token = "s3cret"\ncors_allowed_origins = ["*"]');
  const authed = post(JSON_CT, EMPTY_JSON, { Authorization: 'Bearer s3cret' });
  assertAnswer(t, await h.send(PATH.logs, authed), 200, JSON_CT, '{}', {});
  // Refused requests spend tokens too: the limit runs before auth, so guessing tokens is throttled as well.
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, EMPTY_JSON)), 401, JSON_CT, jsonStatus(16, MISSING), { 'www-authenticate': 'Bearer' });
  const message =
    'rate limit exceeded for 127.0.0.1 on /otel/v1/logs: 0.001 requests/s, burst 2 ([gateway] rate_limit_rps, rate_limit_burst); retry after 1000 s';
  assertAnswer(t, await h.send(PATH.logs, authed), 429, JSON_CT, jsonStatus(8, message), { 'retry-after': '1000' });
  const limitedPb = await h.send(PATH.logs, { ...post(PB, ''), headers: { 'Content-Type': PB, Origin: 'https://x.y' } });
  assertAnswer(t, limitedPb, 429, PB, statusBody('protobuf', 429, message), {
    'retry-after': '1000',
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'Retry-After',
    vary: 'Origin',
  });
  // Another route has its own bucket.
  assertAnswer(t, await h.send(PATH.metrics, authed), 200, JSON_CT, '{}', {});
});

t.test('rate limit under strict_datakit: 429 + Retry-After with an empty body', async (t) => {
  const h = await start(t, 'rate_limit_rps = 0.001\nrate_limit_burst = 1', 'strict_datakit = true');
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, EMPTY_JSON)), 200, undefined, '', {});
  assertAnswer(t, await h.send(PATH.logs, post(JSON_CT, EMPTY_JSON)), 429, undefined, '', { 'retry-after': '1000' });
});

/** A limiter on a clock the test moves. */
function limiter(rps: number, burst: number, maxClients?: number) {
  const clock = { ms: 1_000 };
  return { clock, limiter: new RateLimiter({ rps, burst, maxClients, now: () => clock.ms }) };
}

t.test('RateLimiter: burst, refill at rps, the wait until the next token, clients apart', async (t) => {
  const { clock, limiter: l } = limiter(100, 3);
  t.strictSame([l.take('a'), l.take('a'), l.take('a')], [0, 0, 0], 'a burst of 3');
  t.equal(l.take('a'), 0.01, 'empty: one token comes every 10 ms');
  t.equal(l.take('b'), 0, 'another client has its own bucket');
  clock.ms += 4;
  t.equal(l.take('a'), 0.006, 'a refusal spends nothing; 4 ms of the 10 have passed');
  clock.ms += 6;
  t.equal(l.take('a'), 0, 'one token after 10 ms');
  t.equal(l.take('a'), 0.01);
  clock.ms += 1_000;
  t.strictSame([l.take('a'), l.take('a'), l.take('a'), l.take('a')], [0, 0, 0, 0.01], 'refilled to the burst, not beyond');
});

t.test('RateLimiter: idle clients are forgotten and the client count is bounded', async (t) => {
  // 1 token per ms, burst 4: a bucket left alone for 4 ms is full again, the same as no bucket.
  const { clock, limiter: l } = limiter(1000, 4, 3);
  t.strictSame([l.take('a'), l.take('b')], [0, 0]);
  clock.ms += 3;
  t.strictSame([l.take('c'), l.take('c'), l.take('c'), l.take('c')], [0, 0, 0, 0]);
  t.equal(l.clients, 3);
  clock.ms += 1; // 4 ms since the last sweep: a and b are full again and dropped; c (1 token) is kept
  t.equal(l.take('d'), 0);
  t.equal(l.clients, 2, 'c and d');
  t.strictSame([l.take('c'), l.take('c')], [0, 0.001], 'c kept its bucket (a fresh one would allow 4)');
  t.strictSame([l.take('e'), l.take('f')], [0, 0]);
  t.equal(l.clients, 3, 'at most maxClients: the oldest bucket (c) was dropped for f');
  t.strictSame([l.take('d'), l.take('d'), l.take('d'), l.take('d')], [0, 0, 0, 0.001], 'd kept its bucket');
  t.strictSame([l.take('c'), l.take('c'), l.take('c'), l.take('c'), l.take('c')], [0, 0, 0, 0, 0.001], 'c starts over with a full bucket');
});

t.test('the running gateway enforces [gateway] access keys (auth and CORS wired through startGateway)', async (t) => {
  const gw = await startTestGateway(fixtureToml('', 'auth_token = "s3cret"\ncors_allowed_origins = ["https://*.example.com"]'));
  t.teardown(() => gw.close());
  const denied = await request(gw.url + PATH.logs, post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer undefined' }));
  t.equal(denied.status, 401);
  t.equal(gw.sink.lines().length, 0, 'nothing stored for a refused request');
  const ok = await request(gw.url + PATH.logs + '?token=s3cret', post(JSON_CT, LOGS_JSON, { Authorization: 'Bearer undefined', Origin: 'https://app.example.com' }));
  t.equal(ok.status, 200);
  t.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
  t.equal(gw.sink.lines().length, 1, 'the accepted request reached the sink');
});
