/**
 * `[http_api.tls]` (issue 7, receiver checklist 38): HTTPS with HTTP/2 where the client negotiates it by ALPN, and
 * HTTP/1.1 over TLS still served. A throwaway self-signed certificate is made with openssl for each run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, constants as h2 } from 'node:http2';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import t, { type Test } from 'tap';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import type { ServerTimeouts } from '../src/server-timeouts.js';
import { CollectingSink } from './helpers/collecting-sink.js';
import { fixtureToml, PATH } from './helpers/gateway.js';
import { tracerSetup } from './helpers/otel-sdk.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const openssl = spawnSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
  { encoding: 'utf8' },
);
if (openssl.error || openssl.status !== 0) {
  throw new Error(`test/tls.test.ts needs the openssl command to make a throwaway certificate: ${openssl.error?.message ?? openssl.stderr}`);
}
const CA = readFileSync(join(dir, 'cert.pem'));

/** A config file next to the certificate, naming it relatively: paths resolve against the config file's folder. */
function configFile(tls: string): string {
  const file = join(dir, `datakit-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, fixtureToml('', `[http_api.tls]\n${tls}`));
  return file;
}

async function startTlsGateway(t: Test, timeouts?: Partial<ServerTimeouts>) {
  const sink = new CollectingSink();
  const config = loadConfig({ file: configFile('cert = "cert.pem"\nprivkey = "key.pem"'), env: {} });
  // A clock just after the span, so that DataKit's timestamp correction leaves the golden time alone.
  const gw = await startGateway({ config, sinks: [sink], listen: { host: '127.0.0.1', port: 0 }, now: () => NOW, timeouts });
  t.teardown(gw.close);
  return { gw, sink, port: Number(new URL(gw.url).port) };
}

const NOW = 1_700_000_001_000_000_000n;

/** One server span with fixed ids and times, as the protobuf exporter would send it. */
async function oneSpan(): Promise<Uint8Array> {
  const sdk = tracerSetup({ 'service.name': 'tls-app' });
  sdk.tracer.startSpan('GET /tls', { kind: SpanKind.SERVER, startTime: [1_700_000_000, 0] }).end([1_700_000_000, 5_000_000]);
  const body = ProtobufTraceSerializer.serializeRequest(sdk.spans());
  await sdk.shutdown();
  if (!body) throw new Error('the serializer returned nothing');
  return body;
}

const golden = (remoteIp: string): string =>
  `opentelemetry,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=${remoteIp},service=tls-app,source=opentelemetry,` +
  'source_type=custom,span_kind=server,span_type=entry,status=ok duration=5000i,' +
  'message="{\\"attributes\\":[{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\\"}}]}",' +
  'parent_id="0",resource="GET /tls",span_id="bbbbbbbbbbbbbbb1",start=1700000000000000i,trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" 1700000000000000000';

interface Answer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
  /** `h2` or `http/1.1`: what ALPN chose. */
  protocol: string | false;
}

/** One HTTP/2 request over TLS, trusting the throwaway certificate. */
function h2Post(port: number, path: string, headers: Record<string, string>, body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = connect(`https://127.0.0.1:${port}`, { ca: CA });
    session.on('error', reject);
    const stream = session.request({ [h2.HTTP2_HEADER_METHOD]: 'POST', [h2.HTTP2_HEADER_PATH]: path, ...headers });
    const chunks: Buffer[] = [];
    let status = 0;
    let contentType: string | undefined;
    stream.on('response', (h) => {
      status = Number(h[h2.HTTP2_HEADER_STATUS]);
      contentType = h['content-type'] as string | undefined;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const protocol = session.alpnProtocol ?? false;
      session.close();
      resolve({ status, contentType, body: Buffer.concat(chunks), protocol });
    });
    stream.on('error', reject);
    stream.end(body);
  });
}

/** One HTTPS/1.1 request (node:https offers only http/1.1 by ALPN). */
function https1Post(port: number, path: string, headers: Record<string, string>, body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'POST', headers, ca: CA, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks), protocol: `http/${res.httpVersion}` }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const PROTOBUF = { 'content-type': 'application/x-protobuf' };

t.test('an OTLP protobuf trace over HTTP/2 (ALPN h2): 200 and exactly the golden point', async (t) => {
  const { gw, sink, port } = await startTlsGateway(t);
  t.equal(gw.url, `https://127.0.0.1:${port}`, 'the URL says https');
  const answer = await h2Post(port, PATH.traces, PROTOBUF, await oneSpan());
  t.strictSame({ status: answer.status, contentType: answer.contentType, protocol: answer.protocol }, { status: 200, contentType: 'application/x-protobuf', protocol: 'h2' });
  t.strictSame(sink.lines('tracing'), [golden('127.0.0.1')], 'remote_ip from the HTTP/2 compat request socket');
});

t.test('HTTP/2: forwarded headers are read from the compat request (no headersDistinct there)', async (t) => {
  const { sink, port } = await startTlsGateway(t);
  const answer = await h2Post(port, PATH.traces, { ...PROTOBUF, 'x-forwarded-for': '203.0.113.7:5678' }, await oneSpan());
  t.equal(answer.status, 200);
  t.strictSame(sink.lines('tracing'), [golden('203.0.113.7')]);
});

t.test('the same request over HTTPS/1.1', async (t) => {
  const { sink, port } = await startTlsGateway(t);
  const answer = await https1Post(port, PATH.traces, PROTOBUF, await oneSpan());
  t.strictSame({ status: answer.status, contentType: answer.contentType, protocol: answer.protocol }, { status: 200, contentType: 'application/x-protobuf', protocol: 'http/1.1' });
  t.strictSame(sink.lines('tracing'), [golden('127.0.0.1')]);
});

t.test('an error answer over HTTP/2 carries its Status body (415, JSON)', async (t) => {
  const { sink, port } = await startTlsGateway(t);
  const answer = await h2Post(port, PATH.traces, { 'content-type': 'text/plain' }, Buffer.from('hello'));
  t.strictSame(
    { status: answer.status, contentType: answer.contentType, body: JSON.parse(answer.body.toString()) },
    { status: 415, contentType: 'application/json', body: { code: 3, message: "unsupported Content-Type 'text/plain': OTLP/HTTP bodies are application/x-protobuf, application/json" } },
  );
  t.strictSame(sink.lines(), []);
});

t.test('plain HTTP to the TLS port gets no HTTP answer', async (t) => {
  const { port } = await startTlsGateway(t);
  const outcome = await new Promise<string>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: PATH.traces, method: 'POST', headers: PROTOBUF, agent: false }, (res) => {
      res.resume();
      resolve(`answered ${res.statusCode}`);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`failed: ${e.code}`));
    req.end();
  });
  t.match(outcome, /^failed: (ECONNRESET|HPE_INVALID_CONSTANT|HPE_INVALID_HEADER_TOKEN)$/, `the client fails (${outcome})`);
});

t.test('slow-client protection over HTTP/2: a stream whose body stalls is reset at the request deadline', async (t) => {
  // Node has no HTTP/2 request timeout; without the gateway's deadline this stream would stay open until the (here
  // long) session idle timeout.
  const { sink, port } = await startTlsGateway(t, { requestMs: 200, keepAliveMs: 60_000, idleMs: 60_000 });
  const session = connect(`https://127.0.0.1:${port}`, { ca: CA });
  t.teardown(() => session.destroy());
  const stream = session.request({ [h2.HTTP2_HEADER_METHOD]: 'POST', [h2.HTTP2_HEADER_PATH]: PATH.traces, ...PROTOBUF });
  stream.write(Buffer.from([0x0a])); // one byte of a body that never ends
  let responded = false;
  stream.on('response', () => (responded = true));
  stream.on('error', () => {});
  const rstCode = await new Promise<number | undefined>((resolve) => stream.on('close', () => resolve(stream.rstCode)));
  t.strictSame({ rstCode, responded, sessionClosed: session.closed }, { rstCode: h2.NGHTTP2_CANCEL, responded: false, sessionClosed: false });
  t.strictSame(sink.lines(), []);
});

/** The ConfigError lines for a config file with the given `[http_api.tls]` keys. */
function tlsErrors(keys: string): string[] {
  const file = configFile(keys);
  try {
    loadConfig({ file, env: {} });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((line) => line.replace(file, '<file>'));
    throw e;
  }
  throw new Error('expected a ConfigError');
}

t.test('config: both keys or neither; the files must be readable', async (t) => {
  const both = loadConfig({ file: configFile('cert = "cert.pem"\nprivkey = "key.pem"'), env: {} });
  t.strictSame(both.tls, { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') }, 'relative to the config file');
  t.equal(loadConfig({ file: configFile(''), env: {} }).tls, null, "an empty table (DataKit's shipped datakit.conf) is plain HTTP");
  t.equal(loadConfig({ file: configFile('cert = ""\nprivkey = ""'), env: {} }).tls, null, 'empty strings too');
  t.strictSame(tlsErrors('cert = "cert.pem"'), ['<file>: http_api.tls.privkey: missing: cert is set, TLS needs both cert and privkey (neither = plain HTTP)']);
  t.strictSame(tlsErrors('privkey = "key.pem"'), ['<file>: http_api.tls.cert: missing: privkey is set, TLS needs both cert and privkey (neither = plain HTTP)']);
  t.strictSame(tlsErrors('cert = "nope.pem"\nprivkey = "."'), [
    `<file>: http_api.tls.cert: cannot read ${JSON.stringify(join(dir, 'nope.pem'))} (ENOENT)`,
    `<file>: http_api.tls.privkey: cannot read ${JSON.stringify(dir)} (EISDIR)`,
  ]);
  t.strictSame(tlsErrors('cert = "cert.pem"\nprivkey = "key.pem"\nca = "x"'), ['<file>: http_api.tls.ca: unknown key']);
});
