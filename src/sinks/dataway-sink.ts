import { randomBytes } from 'node:crypto';
import type { DatawaySinkConfig } from '../config/types.js';
import { LineBuffers } from '../datakit/line-buffers.js';
import { addLine } from '../datakit/line-protocol.js';
import type { Category, PointBatch } from '../datakit/point.js';
import { HttpEndpoint, requestBody } from './http-post.js';
import { QueuedSink } from './queue.js';
import type { Sink, SinkContext } from './sink.js';
import type { Envelope, Transport } from './transport.js';

/**
 * The `dataway` target: what DataKit does with `[dataway] urls` (datakit reference §10), with its v1 encoding:
 * `POST <url>/v1/write/<category>?token=…`, DataKit line protocol (§9), gzip, `X-Points`, `X-Pkg-Id`, `User-Agent`,
 * `Referer: DataKit`. Pointed at a real DataKit's `/v1/write/:category` the gateway becomes a relay.
 */

/**
 * DataKit's `[dataway] max_raw_body_size` default (1 MiB of uncompressed body): it cuts bigger batches into several
 * requests. `encode` does the same; a single point bigger than this goes alone.
 */
export const MAX_RAW_BODY_BYTES = 1 << 20;

/** The start of an error response kept for the log line of a permanent failure. */
const RESPONSE_BODY_LOG_BYTES = 1024;

/** 408, 429 and 5xx are worth another try; any other non-2xx status is the backend refusing the data for good. */
const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** The URL without its query (the token) or user info, for names and log lines. */
function redactedUrl(url: URL): string {
  return url.origin + (url.pathname === '/' ? '' : url.pathname);
}

export class DatawayTransport implements Transport {
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  private readonly endpoint: HttpEndpoint;

  constructor(
    private readonly config: DatawaySinkConfig,
    userAgent: string,
  ) {
    const url = new URL(config.url);
    this.name = `dataway:${redactedUrl(url)}`;
    this.categories = new Set(config.categories);
    this.endpoint = new HttpEndpoint(this.name, url, { 'User-Agent': userAgent, Referer: 'DataKit' }, config.delivery.timeoutMs);
  }

  /**
   * The batch as requests of at most `maxRawBodyBytes` of line protocol each, as DataKit splits its uploads; an
   * empty list when no point can be encoded (§9.1: such points are left out). Lines go straight into ≤ 64 KiB
   * buffers (LineBuffers), never into one text of the whole batch.
   */
  encode(batch: PointBatch, maxRawBodyBytes = MAX_RAW_BODY_BYTES): Envelope[] {
    const envelopes: Envelope[] = [];
    const lines = new LineBuffers();
    for (const point of batch.points) {
      // The line that takes a request past the limit starts the next one.
      if (addLine(point, lines) && lines.lines > 1 && lines.bytes > maxRawBodyBytes) {
        envelopes.push(this.envelope(batch.category, lines.lines - 1, lines.takeAllButLast()));
      }
    }
    if (lines.lines > 0) envelopes.push(this.envelope(batch.category, lines.lines, lines.take()));
    return envelopes;
  }

  /** `items` lines in `chunks` (each line ending in `\n`), as one request. */
  private envelope(category: Category, items: number, chunks: Buffer[]): Envelope {
    const headers: Record<string, string> = {
      'Content-Type': 'application/line-protocol',
      'X-Points': String(items),
      // Set once here, so retries and spool replays carry the same package id (lets a backend spot duplicates).
      'X-Pkg-Id': `dk_${randomBytes(10).toString('hex')}`,
    };
    // One contiguous body: envelopes are queued, measured and spooled as plain bytes (transport.ts), and zlib has no
    // synchronous way to take input in pieces. The length leaves out the last newline: the body is the lines joined
    // by `\n`, none at the end.
    let rawBytes = -1;
    for (const chunk of chunks) rawBytes += chunk.length;
    const body = requestBody(Buffer.concat(chunks, rawBytes), this.config.gzip, headers);
    return { category, items, route: `/v1/write/${category}`, headers, body };
  }

  async send(envelope: Envelope, signal: AbortSignal): Promise<void> {
    const res = await this.endpoint.post(envelope.route, envelope.headers, envelope.body, signal, RESPONSE_BODY_LOG_BYTES);
    if (res.status >= 200 && res.status < 300) return;
    throw this.endpoint.refusal(envelope.route, res, isRetryableStatus(res.status), res.body.toString('utf8'));
  }

  async close(): Promise<void> {
    this.endpoint.close();
  }
}

/** `target = "dataway"`: the transport above behind the shared bounded queue, retries and optional spool. */
export function createDatawaySink(config: DatawaySinkConfig, ctx: SinkContext): Sink {
  return new QueuedSink(new DatawayTransport(config, ctx.userAgent), config.delivery, ctx);
}
