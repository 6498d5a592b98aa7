#!/usr/bin/env -S node --max-semi-space-size=32 --no-allocation-site-pretenuring
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ExplainError, explainPayload, explanationJson, formatExplanation, SIGNALS } from './commands/explain.js';
import { ConfigError, loadConfigWithWarnings, parseListen } from './config/index.js';
import type { GatewayConfig } from './config/types.js';
import type { Signal } from './otlp/model.js';
import { startGateway } from './gateway.js';
import { createLogger } from './logger.js';
import { superviseWorkers } from './workers.js';

const USAGE = `Usage:
  datakit-otel-gateway [--config FILE] [--listen HOST:PORT]   run the gateway in the foreground
  datakit-otel-gateway check --config FILE                     validate a config; exit 0 (valid) or 2 (invalid)
  datakit-otel-gateway explain --config FILE PAYLOAD           the points the config makes of an OTLP payload file
                                                               (protobuf or JSON, gzip or not), and per attribute
                                                               what happened to it and why; exit 2 on a bad payload

Options:
  -c, --config FILE      DataKit-style TOML config (default: the bundled datakit.conf.example)
  -l, --listen HOST:PORT overrides [http_api] listen; port 0 picks a free port
  -w, --workers N        processes serving the port (overrides [gateway] workers; 0 = one per core)
      --lines            stdout sinks print line protocol instead of the readable console lines
      --signal SIGNAL    explain: traces, metrics or logs (default: detected from the payload)
      --json             explain: print the explanation as JSON
  -h, --help             this text
  -v, --version          the gateway's version
Environment: ENV_INPUT_OTEL_* and ENV_HOSTNAME override the config as in DataKit; LOG_LEVEL sets the log level.`;

const EXIT_CONFIG = 2;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Exits once stdout has taken everything written to it (logs and the stdout sink's points share it). */
async function exitAfterOutput(code: number): Promise<never> {
  if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
  process.exit(code);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(EXIT_CONFIG);
}

/** How messages name the config in use. */
const describeSource = (config: GatewayConfig): string => config.source ?? 'datakit.conf.example (the embedded default)';

function load(file: string | undefined): { config: GatewayConfig; warnings: string[] } {
  try {
    return loadConfigWithWarnings({ file: file ?? null });
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration:\n${err.message}`);
    throw err;
  }
}

async function run(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        listen: { type: 'string', short: 'l' },
        workers: { type: 'string', short: 'w' },
        lines: { type: 'boolean' },
        signal: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const command = positionals[0] ?? 'run';
  if (command === 'explain') {
    if (positionals.length !== 2) fail(`explain: expected one PAYLOAD file\n\n${USAGE}`);
    return explain(values.config, positionals[1], values.signal, values.json === true);
  }
  if (positionals.length > 1 || !['run', 'check'].includes(command)) fail(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);

  const { config, warnings } = withLines(load(values.config), values.lines === true);
  if (command === 'check') {
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`${describeSource(config)}: ok (${config.inputs.length} input(s), ${config.sinks.length} sink(s))\n`);
    return;
  }

  let listen = config.listen;
  if (values.listen !== undefined) {
    try {
      listen = parseListen(values.listen);
    } catch (err) {
      fail(`--listen: ${(err as Error).message}`);
    }
  }

  const log = createLogger();
  // With several workers this process only supervises them (src/workers.ts); each worker runs what follows.
  if (superviseWorkers(config, values.workers, log)) return;
  for (const w of warnings) log.warn(w);
  log.info(`config: ${describeSource(config)}`);
  let gateway;
  try {
    gateway = await startGateway({ config, logger: log, listen });
  } catch (err) {
    // Port in use, a file sink that cannot be opened…: the message says what; a stack trace would not help.
    log.fatal(`cannot start: ${(err as Error).message}`);
    return exitAfterOutput(1);
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing requests in flight and flushing sinks`);
    gateway.close().then(
      () => {
        log.info('stopped');
        void exitAfterOutput(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        void exitAfterOutput(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Hot reload (issue 7): the same file (or the embedded default) with the same environment overrides. A config that
  // does not load, or that the gateway refuses, leaves the running one serving.
  process.on('SIGHUP', () => {
    if (stopping) return;
    let next;
    try {
      next = withLines(loadConfigWithWarnings({ file: values.config ?? null }), values.lines === true);
    } catch (err) {
      log.error(`reload refused: ${(err as Error).message}; keeping the running configuration`);
      return;
    }
    for (const w of next.warnings) log.warn(w);
    gateway.reload(next.config).then((result) => {
      if (result.applied) log.info(`reloaded ${describeSource(next.config)}: ${next.config.inputs.length} input(s), ${next.config.sinks.length} sink(s)`);
      else log.error(`reload refused: ${result.reason}; keeping the running configuration`);
    }, (err: unknown) => log.error({ err }, 'reload failed'));
  });
}

/** `--lines`: stdout sinks that would print console lines print line protocol instead. */
function withLines<T extends { config: GatewayConfig }>(loaded: T, lines: boolean): T {
  if (!lines) return loaded;
  const sinks = loaded.config.sinks.map((s) => (s.target === 'stdout' && s.format === 'console' ? { ...s, format: 'line-protocol' as const } : s));
  return { ...loaded, config: { ...loaded.config, sinks } };
}

async function explain(configFile: string | undefined, payloadFile: string, signal: string | undefined, json: boolean): Promise<void> {
  if (signal !== undefined && !(SIGNALS as readonly string[]).includes(signal)) fail(`--signal: expected traces, metrics or logs, got "${signal}"`);
  const { config, warnings } = load(configFile);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  let payload: Buffer;
  try {
    payload = readFileSync(payloadFile);
  } catch (err) {
    fail(`explain: cannot read ${payloadFile}: ${(err as Error).message}`);
  }
  try {
    const explanation = explainPayload(config, payload, signal as Signal | undefined);
    process.stdout.write(json ? explanationJson(explanation) : formatExplanation(explanation));
  } catch (err) {
    if (err instanceof ExplainError) fail(`explain: ${payloadFile}: ${err.message}`);
    throw err;
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`datakit-otel-gateway: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
