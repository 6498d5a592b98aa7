/**
 * The servers under load, each in its own process so that its CPU and RSS are its own: the real gateway (the CLI,
 * with a `file` sink to /dev/null so that line-protocol encoding is counted; `--workers N` for a cluster) and the
 * ceiling (ceiling-server.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Room for the 64 MiB scenario: its body plus protobuf framing. */
export const BENCH_MAX_REQUEST_BYTES = 96 * 1024 * 1024;
const LISTENING = /listening on (http:\/\/[^"\s]+)/;
/** Only a guard against a server that never starts (tsx compiles the CLI first). */
const START_TIMEOUT_MS = 60_000;

export type ServerKind = 'gateway' | 'ceiling';

export interface BenchServer {
  readonly kind: ServerKind;
  /** The process to measure, with its descendants (proc.ts). */
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The embedded defaults (datakit.conf.example: the LLM customer_tags) with limits raised for the 64 MiB request and,
 * instead of its sinks, one `file` sink to /dev/null. Built from the example so that it stays the configuration
 * users start from.
 */
export function benchConfigToml(): string {
  const example = readFileSync(join(ROOT, 'datakit.conf.example'), 'utf8');
  const gateway = /^\[gateway\]$/m;
  if (!gateway.test(example)) throw new Error('bench: datakit.conf.example has no [gateway] table to edit');
  const limits = `[gateway]\n  max_request_bytes = ${BENCH_MAX_REQUEST_BYTES}\n  max_decompressed_bytes = ${BENCH_MAX_REQUEST_BYTES}`;
  return `${withoutSinks(example.replace(gateway, limits))}\n[[sinks.sink]]\n  target = "file"\n  path = "/dev/null"\n`;
}

/** The TOML without its (uncommented) `[[sinks.sink]]` tables and their sub-tables. */
function withoutSinks(toml: string): string {
  let inSink = false;
  return toml
    .split('\n')
    .filter((line) => {
      if (/^\s*\[\[sinks\.sink\]\]/.test(line)) inSink = true;
      else if (/^\s*\[(?!sinks\.sink\.)/.test(line) || line.startsWith('#')) inSink = false;
      return !inSink;
    })
    .join('\n');
}

/** Spawns a server and resolves once `listeners` processes said where they listen (the workers of a cluster each do). */
async function started(kind: ServerKind, child: ChildProcess, listeners: number): Promise<BenchServer> {
  const lines = createInterface({ input: child.stdout! });
  let url = '';
  let seen = 0;
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  for await (const line of lines) {
    const m = LISTENING.exec(line);
    if (m && ++seen === listeners) {
      url = m[1]!;
      break;
    }
  }
  clearTimeout(timer);
  if (!url) throw new Error(`bench: the ${kind} server exited before it listened`);
  lines.on('line', () => {}); // keep draining its log
  return {
    kind,
    pid: child.pid!,
    url,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** ENV_* variables would change the gateway's config (as in DataKit): the bench runs the file as it is. */
function gatewayEnv(): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ENV_'))), LOG_LEVEL: 'info' };
}

/** The Node flags of `npm start` (`node <flags> dist/cli.js`): the young generation and pretenuring, README "Under load". */
export function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /^node((?: --[\w-]+(?:=\S+)?)*) dist\/cli\.js$/.exec(pkg.scripts.start);
  if (!m) throw new Error(`bench: cannot read Node's flags from the start script '${pkg.scripts.start}'`);
  return m[1]!.split(' ').filter((a) => a !== '');
}

/** Node's flags for the gateway: those of `npm start`, or BENCH_GATEWAY_NODE_ARGS (space-separated) to compare others. */
function gatewayNodeArgs(): string[] {
  const override = process.env.BENCH_GATEWAY_NODE_ARGS;
  return override === undefined ? startScriptNodeFlags() : override.split(' ').filter((a) => a !== '');
}

/**
 * The real gateway as `npm start` runs it, built (`dist/cli.js`, compiled first by run.ts): run through tsx it would
 * carry the TypeScript loader's thread and some 30 MB of RSS that users never have.
 * `node <gatewayNodeArgs> dist/cli.js --config <bench config> --listen 127.0.0.1:0 [--workers N]`.
 */
export function startGatewayServer(configFile: string, workers = 1): Promise<BenchServer> {
  writeFileSync(configFile, benchConfigToml());
  const args = [...gatewayNodeArgs(), join(ROOT, 'dist', 'cli.js'), '--config', configFile, '--listen', '127.0.0.1:0'];
  if (workers !== 1) args.push('--workers', String(workers));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: gatewayEnv() });
  return started('gateway', child, workers);
}

/** Compiles src/ into dist/ (`npm run build`), so that the gateway measured is the one `npm start` runs. */
export function buildGateway(): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench: building the gateway failed (tsc exit ${r.status})`);
}

export function startCeilingServer(): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'ceiling-server.ts'), String(BENCH_MAX_REQUEST_BYTES)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return started('ceiling', child, 1);
}
