/**
 * Soak load generator, run as a separate process like load.ts:
 *   node --import tsx bench/soak-load.ts <url> <manifest.json> <connections> <durationMs>
 * Sends, over <connections> keep-alive connections for <durationMs>, the manifest's kinds of request in the order of
 * its schedule (good and bad interleaved), and prints one JSON line: per kind, requests sent, statuses and latencies.
 */
import { readFileSync } from 'node:fs';
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import { percentileMs } from './percentile.js';
import type { SoakKindResult, SoakLoadResult, SoakManifest } from './soak-traffic.js';

const [url, manifestFile, connArg, durationArg] = process.argv.slice(2);
if (!url || !manifestFile || !connArg || !durationArg) {
  process.stderr.write('usage: soak-load.ts <url> <manifest.json> <connections> <durationMs>\n');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as SoakManifest;
const connections = Number(connArg);
const durationMs = Number(durationArg);
/** A request not answered within the run's own duration counts as `timeout`: the run ends within twice its length. */
const requestTimeoutMs = durationMs;
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const target = new URL(url);

interface KindState {
  readonly headers: OutgoingHttpHeaders;
  readonly bodies: Buffer[];
  /**
   * A Content-Length larger than the body: such a connection cannot be reused, so the request gets its own and drops
   * it once answered.
   */
  readonly declaredLength: number | undefined;
  sent: number;
  readonly statuses: Record<string, number>;
  readonly latenciesUs: number[];
}

const kinds: KindState[] = manifest.kinds.map((k) => {
  const bodies = k.bodyFiles.map((f) => readFileSync(f));
  const headers: OutgoingHttpHeaders = { 'content-type': k.contentType };
  if (k.contentEncoding) headers['content-encoding'] = k.contentEncoding;
  return { headers, bodies, declaredLength: k.declaredLength, sent: 0, statuses: {}, latenciesUs: [] };
});

function count(kind: KindState, status: string, start: bigint): void {
  kind.latenciesUs.push(Number((process.hrtime.bigint() - start) / 1000n));
  kind.statuses[status] = (kind.statuses[status] ?? 0) + 1;
}

function send(kind: KindState): Promise<void> {
  const body = kind.bodies[kind.sent++ % kind.bodies.length]!;
  const headers = { ...kind.headers, 'content-length': kind.declaredLength ?? body.length };
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let done = false;
    const finish = (status: string) => {
      if (done) return;
      done = true;
      count(kind, status, start);
      resolve();
    };
    const ownConnection = kind.declaredLength !== undefined;
    const req = request(
      { agent: ownConnection ? false : agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers },
      (res) => {
        res.resume();
        res.on('end', () => {
          finish(String(res.statusCode ?? 0));
          if (ownConnection) req.destroy();
        });
      },
    );
    req.setTimeout(requestTimeoutMs, () => {
      finish('timeout');
      req.destroy();
    });
    req.on('error', () => finish('error'));
    req.end(body);
  });
}

let next = 0;
async function worker(deadline: number): Promise<void> {
  while (Date.now() < deadline) await send(kinds[manifest.schedule[next++ % manifest.schedule.length]!]!);
}

const started = Date.now();
await Promise.all(Array.from({ length: connections }, () => worker(started + durationMs)));
const elapsedMs = Date.now() - started;
const byKind: Record<string, SoakKindResult> = {};
const goodLatenciesUs: number[] = [];
manifest.kinds.forEach((k, i) => {
  const s = kinds[i]!;
  s.latenciesUs.sort((a, b) => a - b);
  if (k.good) goodLatenciesUs.push(...s.latenciesUs);
  byKind[k.name] = { sent: s.sent, statuses: s.statuses, p99Ms: percentileMs(s.latenciesUs, 0.99) };
});
goodLatenciesUs.sort((a, b) => a - b);
const result: SoakLoadResult = { elapsedMs, byKind, goodP50Ms: percentileMs(goodLatenciesUs, 0.5), goodP99Ms: percentileMs(goodLatenciesUs, 0.99) };
process.stdout.write(`${JSON.stringify(result)}\n`);
agent.destroy();
