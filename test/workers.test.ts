/**
 * `--workers N` (issue 8, src/workers.ts): the CLI as a child process forks N workers on one port (port 0 included),
 * they serve requests, SIGTERM to the primary stops each of them gracefully with its points flushed, a worker that
 * dies is restarted, and configurations that cannot run in several processes are refused.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../src/config/index.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { decodeRequest } from '../src/otlp/decode.js';
import { Pipeline } from '../src/pipeline.js';
import { logMessage, runCli, RunningCli, spawnCli, tempDir, writeConfig } from './helpers/cli.js';
import { fixtureToml, PATH } from './helpers/gateway.js';
import { request } from './helpers/http.js';
import { tracesRequest } from './helpers/otlp-build.js';

const LISTENING = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/;
const REQUESTS = 6;

/** A config whose points go to `file`, line protocol, with the payload's own timestamps (no correction to now). */
function fileSinkToml(file: string, sinkExtra = ''): string {
  return `${fixtureToml()}
[io]
auto_timestamp_correction = false
[[sinks.sink]]
target = "file"
path = "${file}"
${sinkExtra}`;
}

interface LogLine {
  pid: number;
  msg: string;
}
const logLine = (line: string): LogLine | undefined => (logMessage(line) === undefined ? undefined : (JSON.parse(line) as LogLine));

/** Waits for `count` workers (other than those seen before line `after`) to say they listen; their pids and port. */
async function listening(cli: RunningCli, count: number, after = 0): Promise<{ pids: number[]; port: number }> {
  const seen: LogLine[] = [];
  while (seen.length < count) {
    const line = await cli.waitForLine((l) => {
      const log = logLine(l);
      return log !== undefined && LISTENING.test(log.msg) && cli.lines.indexOf(l) >= after && seen.every((s) => s.pid !== log.pid);
    }, `"listening on" from worker ${seen.length + 1}`);
    seen.push(logLine(line)!);
  }
  const ports = new Set(seen.map((s) => Number(LISTENING.exec(s.msg)![1])));
  return { pids: seen.map((s) => s.pid), port: ports.size === 1 ? [...ports][0]! : NaN };
}

t.test('--workers 2: two processes on one port serve; SIGTERM stops both with their points flushed', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'points.lp');
  const toml = fileSinkToml(out);
  const cli = new RunningCli(spawnCli(['--config', await writeConfig(t, toml), '--listen', '127.0.0.1:0', '--workers', '2']));
  t.teardown(() => cli.child.kill('SIGKILL'));
  const { pids, port } = await listening(cli, 2);
  t.equal(new Set(pids).size, 2, 'two worker processes');
  t.ok(Number.isInteger(port), 'both listen on the same port');
  t.notOk(pids.includes(cli.child.pid!), 'the primary does not serve');

  const { protobuf } = await tracesRequest();
  const headers = { 'content-type': 'application/x-protobuf' };
  // One connection per request (the helper uses no agent): the cluster hands connections out in turn.
  const answers = await Promise.all(Array.from({ length: REQUESTS }, () => request(`http://127.0.0.1:${port}${PATH.traces}`, { headers, body: Buffer.from(protobuf) })));
  t.same(answers.map((a) => a.status), Array(REQUESTS).fill(200));

  cli.child.kill('SIGTERM');
  t.equal(await cli.exited, 0);
  const stopped = cli.lines.map(logLine).filter((l) => l?.msg === 'stopped').map((l) => l!.pid);
  t.same(stopped.sort(), [...pids].sort(), 'each worker stopped gracefully');
  t.ok(cli.lines.some((l) => logLine(l)?.msg === 'all workers stopped'));

  // What one process makes of the request, once per request: every point reached the file before the exit.
  const config = loadConfig({ text: toml, env: {} });
  const data = decodeRequest('traces', 'protobuf', protobuf, { strictDatakit: false, maxDepth: 100 });
  const once = encodePoints(new Pipeline({ config, sinks: [] }).convert('traces', data, config.inputs[0]!, '127.0.0.1')).split('\n').filter(Boolean);
  const written = (await readFile(out, 'utf8')).split('\n').filter(Boolean);
  t.same(written.sort(), Array.from({ length: REQUESTS }, () => once).flat().sort());
});

t.test('a worker that dies is restarted, on the same port', async (t) => {
  const dir = await tempDir(t);
  const cli = new RunningCli(spawnCli(['--config', await writeConfig(t, fileSinkToml(join(dir, 'points.lp'))), '--listen', '127.0.0.1:0', '--workers', '2']));
  t.teardown(() => cli.child.kill('SIGKILL'));
  const first = await listening(cli, 2);
  const victim = first.pids[0]!;
  const before = cli.lines.length;
  process.kill(victim, 'SIGKILL');
  const restarted = await cli.waitForLine((l) => logLine(l)?.msg === `worker ${victim} was killed by SIGKILL: restarting it in 500 ms`, 'the restart');
  t.equal(logLine(restarted)!.pid, cli.child.pid, 'the primary logs it');
  const next = await listening(cli, 1, before);
  t.notOk(first.pids.includes(next.pids[0]!), 'a new process');
  t.equal(next.port, first.port);
  cli.child.kill('SIGTERM');
  t.equal(await cli.exited, 0);
});

t.test('refused: a spool_dir with several workers, and a --workers that is not a count', async (t) => {
  const dir = await tempDir(t);
  const spooled = `${fixtureToml()}
[[sinks.sink]]
target = "dataway"
url = "http://127.0.0.1:9?token=x"
spool_dir = "${join(dir, 'spool')}"
`;
  const config = await writeConfig(t, spooled);
  const refused = await runCli(['--config', config, '--listen', '127.0.0.1:0', '--workers', '2']);
  t.equal(refused.code, 2);
  t.equal(
    refused.stderr,
    'invalid configuration:\n[[sinks.sink]] target = "dataway" has a spool_dir: each worker would need its own spool. Run one worker, or drop spool_dir\n',
  );
  const notCount = await runCli(['--config', config, '--workers', 'two']);
  t.equal(notCount.code, 2);
  t.equal(notCount.stderr, '--workers: expected a number of processes (0 = one per core), got "two"\n');
});
