/**
 * The command line as a user runs it: a child process (`node --import tsx src/cli.ts`, so dist/ is not needed), a
 * real OTLP/protobuf trace over loopback, the points on stdout and in a file sink, SIGTERM → exit 0; and `check`,
 * `--help`, bad flags and bad configs with their exit codes and messages.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import t from 'tap';
import { createLogger } from '../src/logger.js';
import { EXAMPLE, logMessage, ROOT, runCli, RunningCli, spawnCli, tempDir, writeConfig } from './helpers/cli.js';
import { request } from './helpers/http.js';
import { tracerSetup } from './helpers/otel-sdk.js';

/** One server span, serialized as the OTLP/HTTP protobuf exporter does. */
function protobufTrace(): Buffer {
  const sdk = tracerSetup({ 'service.name': 'cli-test' });
  const span = sdk.tracer.startSpan('GET /hello', { kind: SpanKind.SERVER, startTime: [1_700_000_000, 0], attributes: { 'http.route': '/hello' } });
  span.end([1_700_000_000, 5_000_000]);
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(sdk.spans())!);
}

const EXPECTED_LINE =
  'opentelemetry,dk_fingerprint=cli-host_1.84.1,host=cli-host,remote_ip=127.0.0.1,service=cli-test,source=opentelemetry,' +
  // http.route is one of the attributes DataKit always lifts into a field (customer-tags.ts).
  'source_type=custom,span_kind=server,span_type=entry,status=ok duration=5000i,http_route="/hello",' +
  'message="{\\"attributes\\":[{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\\"}}]}",' +
  'parent_id="0",resource="GET /hello",span_id="bbbbbbbbbbbbbbb1",start=1700000000000000i,' +
  'trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" 1700000000000000000';

t.test('run: listens where told, points reach stdout and the file sink, SIGTERM stops it with exit 0', async (t) => {
  const dir = await tempDir(t);
  const pointsFile = join(dir, 'out', 'traces.lp');
  const config = await writeConfig(
    t,
    `
[http_api]
  listen = "127.0.0.1:9"
[environments]
  ENV_HOSTNAME = "cli-host"
[gateway]
  datakit_version = "1.84.1"
[io]
  # The span is from 2023: DataKit's timestamp correction would move it to "now".
  auto_timestamp_correction = false
[[inputs.opentelemetry]]
  [inputs.opentelemetry.http]
[[sinks.sink]]
  target = "stdout"
[[sinks.sink]]
  target = "file"
  path = "${pointsFile}"
  categories = ["T"]
`,
  );
  const cli = new RunningCli(spawnCli(['--config', config, '--listen', '127.0.0.1:0']));
  t.teardown(() => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });

  const listening = await cli.waitForLine((l) => /listening on http:\/\/127\.0\.0\.1:\d+/.test(l), '"listening on http://127.0.0.1:PORT"');
  const msg = logMessage(listening)!;
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(msg)![1]);
  t.not(port, 0, '--listen port 0 picked a free port');
  t.not(port, 9, '--listen overrode [http_api] listen');
  t.match(JSON.parse(listening), { level: 30, msg: `listening on http://127.0.0.1:${port}` }, 'logs are JSON lines when stdout is not a terminal');

  // Startup says where data goes.
  await cli.waitForLine((l) => logMessage(l) === `points go to file:${pointsFile} (tracing)`, 'the file sink');
  t.ok(cli.lines.some((l) => logMessage(l) === 'points go to stdout (tracing, metric, logging)'), 'the stdout sink is announced');
  t.ok(cli.lines.some((l) => logMessage(l) === `config: ${config}`), 'the config file is named');

  const res = await request(`http://127.0.0.1:${port}/otel/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: protobufTrace() });
  t.equal(res.status, 200);
  t.equal(await readFile(pointsFile, 'utf8'), `${EXPECTED_LINE}\n`, 'the file sink has the point when the client has its 200');
  t.equal(await cli.waitForLine((l) => l === EXPECTED_LINE, 'the point'), EXPECTED_LINE, 'the stdout sink printed the point as one line');

  cli.child.kill('SIGTERM');
  t.equal(await cli.exited, 0, 'exit code 0 after SIGTERM');
  t.ok(cli.lines.some((l) => logMessage(l) === 'stopped'), '"stopped" is logged');
  t.equal(cli.lines.filter((l) => l === EXPECTED_LINE).length, 1, 'the point was printed once');
  t.equal(cli.stderr, '', 'nothing on stderr (no warnings, no deprecations)');
});

t.test('run: a file sink that cannot be opened stops startup with exit 1, naming the path', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'not-a-dir'), '');
  const path = join(dir, 'not-a-dir', 'x.lp');
  const config = await writeConfig(t, `[[inputs.opentelemetry]]\n  [inputs.opentelemetry.http]\n[[sinks.sink]]\n  target = "file"\n  path = "${path}"\n`);
  const { code, stdout } = await runCli(['--config', config, '--listen', '127.0.0.1:0']);
  t.equal(code, 1);
  const fatal = stdout.split('\n').map(logMessage).find((m) => m?.startsWith('cannot start'));
  t.equal(fatal, `cannot start: file sink ${path}: cannot open for appending: EEXIST: file already exists, mkdir '${join(dir, 'not-a-dir')}'`);
});

t.test('check: the example is valid, and is the default when no --config is given', async (t) => {
  t.same(await runCli(['check', '--config', EXAMPLE]), { code: 0, stdout: `${EXAMPLE}: ok (1 input(s), 2 sink(s))\n`, stderr: '' });
  t.same(await runCli(['check']), { code: 0, stdout: 'datakit.conf.example (the embedded default): ok (1 input(s), 2 sink(s))\n', stderr: '' });
});

t.test('check: a bad config exits 2 naming the file, the key and what was expected', async (t) => {
  const file = await writeConfig(t, '[gateway]\n  max_request_bytes = "big"\n[[inputs.opentelemetry]]\n  [inputs.opentelemetry.http]\n');
  t.same(await runCli(['check', '--config', file]), {
    code: 2,
    stdout: '',
    stderr: `invalid configuration:\n${file}: gateway.max_request_bytes: expected an integer > 0, got "big"\n`,
  });
});

t.test('check: an invalid reg: customer tag exits 2', async (t) => {
  const file = await writeConfig(t, '[[inputs.opentelemetry]]\n  customer_tags = ["reg:(unclosed"]\n  [inputs.opentelemetry.http]\n');
  t.same(await runCli(['check', '--config', file]), {
    code: 2,
    stdout: '',
    stderr: `invalid configuration:\n${file}: inputs.opentelemetry[0].customer_tags[0]: invalid regular expression "reg:(unclosed": Unterminated group\n`,
  });
});

t.test('flags and commands', async (t) => {
  // Independent processes: run them side by side.
  const [listen, help, unknown, badFlag, versionRun] = await Promise.all(
    [['--listen', 'bad'], ['--help'], ['frobnicate'], ['--frobnicate'], ['--version']].map(runCli),
  );
  t.same(listen, { code: 2, stdout: '', stderr: '--listen: expected "host:port" (IPv6 as "[::1]:9529", port 0 = any free port), got "bad"\n' });

  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage:\n  datakit-otel-gateway \[--config FILE\] \[--listen HOST:PORT\] .*\n  datakit-otel-gateway check --config FILE /);
  t.equal(help.stderr, '');

  t.equal(unknown.code, 2);
  t.equal(unknown.stdout, '');
  t.match(unknown.stderr, /^unknown command: frobnicate\n\nUsage:\n/);

  t.equal(badFlag.code, 2);
  t.match(badFlag.stderr, /^Unknown option '--frobnicate'/);

  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.same(versionRun, { code: 0, stdout: `${version}\n`, stderr: '' });
});

/** An in-memory output that can claim to be a terminal. */
function captureOutput(isTTY: boolean): { out: Writable & { isTTY: boolean }; text: () => string } {
  let text = '';
  const out = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    { isTTY },
  );
  return { out, text: () => text };
}

t.test('logger: JSON lines when the output is not a terminal, readable lines when it is', async (t) => {
  const pipe = captureOutput(false);
  createLogger({ out: pipe.out, level: 'info' }).info('listening on http://127.0.0.1:1');
  t.match(JSON.parse(pipe.text()), { level: 30, msg: 'listening on http://127.0.0.1:1' });

  const terminal = captureOutput(true);
  createLogger({ out: terminal.out, level: 'info' }).warn('careful');
  // Coloured: strip the escape codes to read it.
  t.match(terminal.text().replace(/\x1b\[[0-9;]*m/g, ''), /^\[\d\d:\d\d:\d\d\.\d\d\d\] WARN: careful\n$/);

  const forced = captureOutput(false);
  createLogger({ out: forced.out, level: 'info', pretty: true }).info('plain');
  t.match(forced.text(), /^\[\d\d:\d\d:\d\d\.\d\d\d\] INFO: plain\n$/, 'pretty on request, without colour codes off a terminal');
  t.equal(createLogger({ out: forced.out, level: 'warn' }).isLevelEnabled('info'), false, 'the level is applied');
});
