import type { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

export interface LoggerOptions {
  /** Default: `LOG_LEVEL`, else `info`. */
  level?: string;
  /** Readable lines instead of JSON. Default: when `out` is a terminal. */
  pretty?: boolean;
  /** Default: process.stdout. */
  out?: Writable & { isTTY?: boolean };
}

/**
 * pino: JSON lines by default (for machines and log shippers), readable colourised lines when the output is a
 * terminal. Log lines go through the very stream the stdout sink writes points to (not pino's own file descriptor
 * writer, and pino-pretty runs synchronously, not as a transport): one writer, so a log line and a point line can
 * never cut into each other and they come out in the order they were written.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const out = opts.out ?? process.stdout;
  if (!(opts.pretty ?? out.isTTY === true)) return pino({ level }, out);
  const prettify = prettyFactory({ colorize: out.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return pino({ level }, { write: (line: string) => out.write(prettify(line)) });
}
