import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * pino on stdout: JSON lines by default (for machines and log shippers), readable colourised lines when stdout is a
 * terminal. pino-pretty runs in-process as a stream (not a worker transport) so log lines and the stdout sink's
 * points keep their order.
 */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const usePretty = opts.pretty ?? process.stdout.isTTY === true;
  if (!usePretty) return pino({ level });
  return pino({ level }, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
}
