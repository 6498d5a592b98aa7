/**
 * `npm run bench` (issue 8): how fast the gateway turns OTLP into line protocol, and how close it gets to the ceiling
 * (the same Fastify setup whose route only decodes the body with protobufjs' generic decode / JSON.parse).
 *
 * 1. In process, no HTTP: decode → convert → line protocol per payload, next to the ceiling's decode alone.
 * 2. Over HTTP on loopback, each server in its own process and the load (autocannon) in another: the real gateway
 *    (the built CLI, dist/cli.js, with a file sink to /dev/null) and the ceiling on traces, metrics and logs (protobuf, gzip, JSON); a steady
 *    10,000 spans/s; 256 connections (admission control), re-sending at once (autocannon) or honouring Retry-After
 *    as exporters do; one 64 MiB request (fresh processes, and the gateway after the other runs); `--workers 2`.
 * 3. Delivery to a stand-in dataway, and a stalled one (delivery.ts).
 * 4. Soak (soak.ts): good and hostile requests interleaved; every good item delivered, the rest refused, no 5xx.
 * Prints the tables and issue 8's targets (met / not met), writes bench/results.json. A few minutes in all;
 * BENCH_SECONDS (default 3) scales each run, BENCH_CONNECTIONS (default 16) the throughput runs' connections.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { delivery } from './delivery.js';
import { inProcess } from './in-process.js';
import { bigLogPayload, logPayloads, metricPayloads, tracePayloads, type Payload } from './payloads.js';
import { ScenarioRunner, type Measured } from './scenarios.js';
import { buildGateway, startCeilingServer, startGatewayServer, type BenchServer } from './servers.js';
import { printSoak, soak } from './soak.js';
import { targetRows, type HttpResults } from './targets.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
/** Issue 8: "latency at a steady 10,000 spans/s": 100 requests/s of 100 spans. */
const STEADY_REQUESTS_PER_SECOND = 100;
const STEADY_CONNECTIONS = 10;
const MANY_CONNECTIONS = 256;
const BIG_REQUEST_MIB = 64;
const BIG_REQUESTS = 3;
const BIG_REQUEST_TIMEOUT_SECONDS = 120;
const here = fileURLToPath(new URL('.', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'dk-otel-bench-'));
const runner = new ScenarioRunner(dir);
const traces = tracePayloads(100);
const throughputPayloads: Payload[] = [...traces, ...(await metricPayloads()), ...logPayloads()].filter(
  (p) => p.signal === 'traces' || !p.contentEncoding,
);
const tracesPb = traces[0]!;
const big = bigLogPayload(BIG_REQUEST_MIB);
for (const p of [...throughputPayloads, big]) process.stdout.write(`payload ${p.name}: ${p.items} items, ${(p.body.length / 1024).toFixed(1)} KiB\n`);
process.stdout.write(`${availableParallelism()} cores; ${SECONDS} s per run, ${CONNECTIONS} connections\n`);

const config = loadConfig({ env: {} }); // the embedded defaults: datakit.conf.example
process.stdout.write('in process…\n');
const inProcessRows = inProcess(config, throughputPayloads, SECONDS / 2);

/** Every throughput payload against one server, by payload name. */
async function throughput(server: BenchServer, label: string): Promise<Record<string, Measured>> {
  const out: Record<string, Measured> = {};
  for (const p of throughputPayloads) out[p.name] = await runner.run(p.name, server, label, p, { connections: CONNECTIONS, seconds: SECONDS });
  return out;
}

async function withServer<T>(start: Promise<BenchServer>, fn: (s: BenchServer) => Promise<T>): Promise<T> {
  const server = await start;
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

const many = { connections: MANY_CONNECTIONS, seconds: SECONDS };
const bigRun = { connections: 1, seconds: SECONDS, amount: BIG_REQUESTS, timeoutSeconds: BIG_REQUEST_TIMEOUT_SECONDS, cold: true };
const configFile = join(dir, 'bench.conf');

process.stdout.write('building the gateway (dist/, as npm start runs it)…\n');
buildGateway();
// The 64 MiB request first on fresh processes: what one big request costs, apart from what earlier load left in the
// heap and the allocator (measured again on the gateway after the other runs).
process.stdout.write('over HTTP: one 64 MiB request at a time, fresh processes…\n');
const bigFresh = {
  gateway: await withServer(startGatewayServer(configFile), (s) => runner.run(big.name, s, 'gateway (fresh)', big, bigRun)),
  ceiling: await withServer(startCeilingServer(), (s) => runner.run(big.name, s, 'ceiling (fresh)', big, bigRun)),
};
process.stdout.write('over HTTP: the gateway…\n');
const gw = await withServer(startGatewayServer(configFile), async (s) => ({
  throughput: await throughput(s, 'gateway'),
  steady: await runner.run('traces protobuf, steady 10,000 spans/s', s, 'gateway', tracesPb, {
    connections: STEADY_CONNECTIONS,
    seconds: 2 * SECONDS,
    overallRate: STEADY_REQUESTS_PER_SECOND,
  }),
  many: await runner.run(`traces protobuf, ${MANY_CONNECTIONS} connections`, s, 'gateway', tracesPb, many),
  exporters: await runner.run(`traces protobuf, ${MANY_CONNECTIONS} exporters (honour Retry-After)`, s, 'gateway', tracesPb, { ...many, honourRetryAfter: true }),
  big: await runner.run(big.name, s, 'gateway (after load)', big, bigRun),
}));
process.stdout.write('over HTTP: the ceiling…\n');
const ceiling = await withServer(startCeilingServer(), async (s) => ({
  throughput: await throughput(s, 'ceiling'),
  many: await runner.run(`traces protobuf, ${MANY_CONNECTIONS} connections`, s, 'ceiling', tracesPb, many),
}));
process.stdout.write('over HTTP: the gateway with --workers 2…\n');
const twoWorkers = await withServer(startGatewayServer(configFile, 2), (s) =>
  runner.run(tracesPb.name, s, 'gateway ×2', tracesPb, { connections: CONNECTIONS, seconds: SECONDS }),
);

const http: HttpResults = {
  gateway: gw.throughput,
  ceiling: ceiling.throughput,
  steady: gw.steady,
  connections256: { gateway: gw.many, exporters: gw.exporters, ceiling: ceiling.many },
  bigRequest: { gateway: bigFresh.gateway, afterLoad: gw.big, bodyMb: big.body.length / 1e6 },
  workers: { one: gw.throughput[tracesPb.name]!, two: twoWorkers },
};

process.stdout.write('delivery…\n');
const deliveryRows = await delivery(tracesPb, dir, SECONDS, CONNECTIONS);
process.stdout.write('soak…\n');
const soakResult = await soak({ config, payloads: traces, seconds: SECONDS, connections: CONNECTIONS });
rmSync(dir, { recursive: true, force: true });

const httpRows = [
  ...throughputPayloads.map((p) => ({ ...gw.throughput[p.name]!, ratio: +(gw.throughput[p.name]!.itemsPerSecond / ceiling.throughput[p.name]!.itemsPerSecond).toFixed(2) })),
  ...throughputPayloads.map((p) => ceiling.throughput[p.name]!),
  gw.steady,
  gw.many,
  gw.exporters,
  ceiling.many,
  bigFresh.gateway,
  bigFresh.ceiling,
  gw.big,
  twoWorkers,
].map(({ statuses, ...m }) => ({ ...m, statuses: Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(' ') }));
const targets = targetRows(http);

console.table(inProcessRows);
console.table(httpRows);
console.table(deliveryRows);
printSoak(soakResult);
console.table(targets);
process.stdout.write(
  'items = spans, metric data points or log records; CPU = the server process(es), user + system; RSS = peak resident set during the run.\n',
);
const results = { node: process.version, cores: availableParallelism(), seconds: SECONDS, connections: CONNECTIONS, inProcess: inProcessRows, http, delivery: deliveryRows, soak: soakResult, targets };
writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`written ${join(here, 'results.json')}\n`);
