/**
 * A real DataKit-like backend for tests: an HTTP server on 127.0.0.1 implementing `POST /v1/write/:category`
 * (datakit reference §10) that checks the token, gunzips, parses the line protocol with an independent parser and
 * records every request. Controls let a test play an unreliable backend: `down()`/`up()` (connection refused, then
 * the same port again), `failNext()` (retryable statuses), `hold()`/`release()` (a slow backend), `reject()`
 * (permanent failures).
 */
import { EventEmitter, once } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parseLineProtocol, type ParsedPoint } from './line-protocol-parse.js';

export interface DatawayRequest {
  /** The request path, without the query. */
  path: string;
  /** `:category` of `/v1/write/:category`, or '' for another path. */
  category: string;
  /** `token` of the query string, or null. */
  token: string | null;
  headers: IncomingHttpHeaders;
  /** Header names and values as they came on the wire. */
  rawHeaders: string[];
  /** The body after gunzip, as text. */
  text: string;
  /** What the backend parsed (empty when it did not accept the request). */
  points: ParsedPoint[];
  /** What it answered. */
  status: number;
}

interface Answer {
  status: number;
  body: string;
  retryAfter?: string;
}

const CATEGORIES = new Set(['metric', 'logging', 'tracing', 'network', 'keyevent', 'object', 'custom_object', 'rum', 'security', 'profiling']);

export class DatawayServer extends EventEmitter {
  /** Every request answered, in order. Events: `request` (answered, with the DatawayRequest), `held`. */
  readonly requests: DatawayRequest[] = [];
  private readonly server: http.Server;
  private port = 0;
  private failures: Array<{ status: number; retryAfter?: string }> = [];
  private rejection: Answer | null = null;
  private held: Array<() => void> | null = null;

  private constructor(readonly token: string) {
    super();
    // A client that gives up mid-body (timeout, shutdown) is not the test's failure: drop that connection.
    this.server = http.createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
  }

  /** Listens on an ephemeral loopback port; `token` is what the query must carry. */
  static async start(token = 'tkn_test'): Promise<DatawayServer> {
    const s = new DatawayServer(token);
    s.server.listen(0, '127.0.0.1');
    await once(s.server, 'listening');
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** The dataway URL a sink is configured with: `http://127.0.0.1:<port>?token=<token>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}?token=${this.token}`;
  }

  /** Points of accepted (2xx) requests, optionally of one category, in arrival order. */
  points(category?: string): ParsedPoint[] {
    return this.requests.filter((r) => r.status < 300 && (!category || r.category === category)).flatMap((r) => r.points);
  }

  /** Stops listening and cuts every open connection: clients get connection refused until `up()`. */
  async down(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
  }

  /** The next `n` requests are answered `status` (with `Retry-After` when given) and their points not taken. */
  failNext(n: number, status: number, retryAfter?: string): void {
    for (let i = 0; i < n; i++) this.failures.push({ status, retryAfter });
  }

  /** Every request from now on is answered `status` with `body`, until `accept()`. */
  reject(status: number, body: string): void {
    this.rejection = { status, body };
  }

  accept(): void {
    this.rejection = null;
  }

  /** Requests are read but not answered until `release()` (a slow backend). */
  hold(): void {
    this.held ??= [];
  }

  /** Answers the held requests and stops holding. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const answer of held) answer();
  }

  /** How many requests are waiting for `release()`. */
  get heldCount(): number {
    return this.held?.length ?? 0;
  }

  async close(): Promise<void> {
    this.release();
    if (this.server.listening) await this.down();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://backend');
    const category = /^\/v1\/write\/([a-z_]+)$/.exec(url.pathname)?.[1] ?? '';
    const record: DatawayRequest = {
      path: url.pathname,
      category,
      token: url.searchParams.get('token'),
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      text: '',
      points: [],
      status: 0,
    };
    const answer = this.decide(req, record, Buffer.concat(chunks));
    const respond = (): void => {
      record.status = answer.status;
      if (answer.status >= 300) record.points = [];
      this.requests.push(record);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (answer.retryAfter !== undefined) headers['Retry-After'] = answer.retryAfter;
      res.writeHead(answer.status, headers).end(answer.body);
      this.emit('request', record);
    };
    if (this.held) {
      this.held.push(respond);
      this.emit('held');
    } else {
      respond();
    }
  }

  /** What DataKit/dataway would answer; parses the body into `record` on the way. */
  private decide(req: IncomingMessage, record: DatawayRequest, body: Buffer): Answer {
    if (req.method !== 'POST' || !CATEGORIES.has(record.category)) return { status: 404, body: '{"error":"not found"}' };
    if (record.token !== this.token) return { status: 403, body: '{"error_code":"dataway.tokenNotFound"}' };
    try {
      record.text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
      record.points = parseLineProtocol(record.text);
    } catch (err) {
      return { status: 400, body: JSON.stringify({ error_code: 'datakit.badRequest', message: (err as Error).message }) };
    }
    if (this.rejection) return this.rejection;
    const failure = this.failures.shift();
    if (failure) return { status: failure.status, body: '{"error":"try again"}', retryAfter: failure.retryAfter };
    return { status: 200, body: '' };
  }
}

/**
 * Resolves once `check()` is true. It is re-checked whenever one of `emitters` emits one of `events` and, because
 * the effect of an answer (a sink's counters) lands on the client side a moment after the server's event, on
 * every turn of a short interval; fails with `what` after `timeoutMs`.
 */
export function waitFor(
  what: string,
  check: () => boolean,
  emitters: ReadonlyArray<{ emitter: EventEmitter; events: readonly string[] }> = [],
  timeoutMs = 10_000,
): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onEvent = (): void => {
      if (check()) finish();
    };
    const poll = setInterval(onEvent, 5);
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const finish = (err?: Error): void => {
      clearInterval(poll);
      clearTimeout(timer);
      for (const { emitter, events } of emitters) for (const e of events) emitter.off(e, onEvent);
      if (err) reject(err);
      else resolve();
    };
    for (const { emitter, events } of emitters) for (const e of events) emitter.on(e, onEvent);
  });
}
