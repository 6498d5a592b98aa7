/**
 * Load generator, run as a separate process so that it does not share the gateway's event loop or core:
 *   node --import tsx bench/load.ts <url> <bodyFile> <contentType> <contentEncoding|-> <connections> <durationMs>
 * Keeps <connections> keep-alive connections busy for <durationMs> and prints one JSON line with the results.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { percentileMs } from './percentile.js';

const [url, bodyFile, contentType, contentEncoding, connArg, durationArg] = process.argv.slice(2);
if (!url || !bodyFile || !contentType || !contentEncoding || !connArg || !durationArg) {
  process.stderr.write('usage: load.ts <url> <bodyFile> <contentType> <contentEncoding|-> <connections> <durationMs>\n');
  process.exit(2);
}
const body = readFileSync(bodyFile);
const connections = Number(connArg);
const durationMs = Number(durationArg);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const target = new URL(url);
const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': body.length };
if (contentEncoding !== '-') headers['content-encoding'] = contentEncoding;

const latenciesUs: number[] = [];
const statuses: Record<string, number> = {};

function once(): Promise<void> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => {
        latenciesUs.push(Number((process.hrtime.bigint() - start) / 1000n));
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        resolve();
      });
    });
    req.on('error', () => {
      statuses.error = (statuses.error ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

async function worker(deadline: number): Promise<void> {
  while (Date.now() < deadline) await once();
}

const started = Date.now();
const deadline = started + durationMs;
await Promise.all(Array.from({ length: connections }, () => worker(deadline)));
const elapsedMs = Date.now() - started;
latenciesUs.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ requests: latenciesUs.length, elapsedMs, statuses, p50Ms: percentileMs(latenciesUs, 0.5), p99Ms: percentileMs(latenciesUs, 0.99) })}\n`);
agent.destroy();
