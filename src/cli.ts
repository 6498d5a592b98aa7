#!/usr/bin/env node
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigWithWarnings, parseListen } from './config/index.js';
import type { GatewayConfig } from './config/types.js';
import { startGateway } from './gateway.js';
import { createLogger } from './logger.js';

const USAGE = `Usage:
  datakit-otel-gateway [--config FILE] [--listen HOST:PORT]   run the gateway in the foreground
  datakit-otel-gateway check --config FILE                     validate a config; exit 0 (valid) or 2 (invalid)

Options:
  -c, --config FILE      DataKit-style TOML config (default: the bundled datakit.conf.example)
  -l, --listen HOST:PORT overrides [http_api] listen; port 0 picks a free port
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
  if (positionals.length > 1 || !['run', 'check'].includes(command)) fail(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);

  const { config, warnings } = load(values.config);
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
      next = loadConfigWithWarnings({ file: values.config ?? null });
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

run(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`datakit-otel-gateway: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
