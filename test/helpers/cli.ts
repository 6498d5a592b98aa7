/** The CLI as a child process (`node --import tsx src/cli.ts`, so dist/ is not needed), for the CLI tests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLE = join(ROOT, 'datakit.conf.example');
/** Generous: tsx compiles the CLI on start. Only a guard against hanging; nothing waits for it to pass. */
const LINE_TIMEOUT_MS = 30_000;

/** The parent's environment without the variables that would change the config (ENV_*) or the log level. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ENV_') && k !== 'LOG_LEVEL'));
}

export function spawnCli(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: childEnv() });
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export async function runCli(args: string[]): Promise<Finished> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** A CLI running in the background, its stdout split into lines that a test can wait for. */
export class RunningCli {
  readonly lines: string[] = [];
  stderr = '';
  private waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => !(w.match(line) && (w.resolve(line), true)));
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = once(child, 'close').then(([code]) => code as number | null);
  }

  /** The first stdout line (already seen or still to come) that matches; rejects if none comes in time. */
  waitForLine(match: (line: string) => boolean, what: string): Promise<string> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no stdout line with ${what}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`)), LINE_TIMEOUT_MS);
      this.waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }
}

/** A pino JSON line's `msg`, or undefined for any other line (points, pretty output). */
export function logMessage(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  return (JSON.parse(line) as { msg?: string }).msg;
}

export async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writeConfig(t: Test, toml: string): Promise<string> {
  const file = join(await tempDir(t), 'datakit.conf');
  await writeFile(file, toml);
  return file;
}

