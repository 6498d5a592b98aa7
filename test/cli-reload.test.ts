/**
 * SIGHUP reloads the --config file (issue 7) in the running CLI: a customer_tags change applies to the next request;
 * an invalid file is refused and logged, and the running configuration keeps serving.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { logMessage, RunningCli, spawnCli, tempDir } from './helpers/cli.js';
import { request } from './helpers/http.js';

const TRACE = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1',
              spanId: 'bbbbbbbbbbbbbbb1',
              name: 'op',
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000005000000',
              attributes: [{ key: 'team', value: { stringValue: 'core' } }],
            },
          ],
        },
      ],
    },
  ],
});

const configToml = (pointsFile: string, inputExtra: string) => `
[environments]
  ENV_HOSTNAME = "cli-host"
[gateway]
  datakit_version = "1.84.1"
[io]
  auto_timestamp_correction = false
[[inputs.opentelemetry]]
  ${inputExtra}
  [inputs.opentelemetry.http]
[[sinks.sink]]
  target = "file"
  path = "${pointsFile}"
`;

const HEAD =
  'opentelemetry,dk_fingerprint=cli-host_1.84.1,host=cli-host,remote_ip=127.0.0.1,service=svc,source=opentelemetry,source_type=custom,' +
  'span_kind=unspecified,span_type=entry,status=info duration=5000i,';
const TAIL = 'parent_id="0",resource="op",span_id="bbbbbbbbbbbbbbb1",start=1700000000000000i,';
const TRACE_ID = 'trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" 1700000000000000000';
const TRACE_ID_ATTR = '{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\\"}}';
const WITHOUT_TAG = `${HEAD}message="{\\"attributes\\":[{\\"key\\":\\"team\\",\\"value\\":{\\"stringValue\\":\\"core\\"}},${TRACE_ID_ATTR}]}",${TAIL}${TRACE_ID}`;
const WITH_TAG = `${HEAD}message="{\\"attributes\\":[${TRACE_ID_ATTR}]}",${TAIL}team="core",${TRACE_ID}`;

t.test('SIGHUP: a valid config is swapped in, an invalid one is refused and the running one keeps serving', async (t) => {
  const dir = await tempDir(t);
  const pointsFile = join(dir, 'traces.lp');
  const config = join(dir, 'datakit.conf');
  await writeFile(config, configToml(pointsFile, ''));
  const cli = new RunningCli(spawnCli(['--config', config, '--listen', '127.0.0.1:0']));
  t.teardown(() => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });
  const listening = logMessage(await cli.waitForLine((l) => /listening on http:\/\/127\.0\.0\.1:\d+/.test(l), '"listening on"'))!;
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(listening)![1]!;
  const post = () => request(`${url}/otel/v1/traces`, { headers: { 'content-type': 'application/json' }, body: TRACE });

  t.equal((await post()).status, 200);
  await writeFile(config, configToml(pointsFile, 'customer_tags = ["team"]'));
  cli.child.kill('SIGHUP');
  t.equal(logMessage(await cli.waitForLine((l) => logMessage(l)?.startsWith('reloaded') === true, '"reloaded"')), `reloaded ${config}: 1 input(s), 1 sink(s)`);
  t.equal((await post()).status, 200);
  t.equal(await readFile(pointsFile, 'utf8'), `${WITHOUT_TAG}\n${WITH_TAG}\n`, 'the unchanged file sink was kept and the new customer_tags applied');

  await writeFile(config, configToml(pointsFile, '').replace('[gateway]', '[gateway]\n  max_request_bytes = "big"'));
  cli.child.kill('SIGHUP');
  t.equal(
    logMessage(await cli.waitForLine((l) => logMessage(l)?.startsWith('reload refused') === true, '"reload refused"')),
    `reload refused: ${config}: gateway.max_request_bytes: expected an integer > 0, got "big"; keeping the running configuration`,
  );
  t.equal((await post()).status, 200, 'still served');
  t.equal(await readFile(pointsFile, 'utf8'), `${WITHOUT_TAG}\n${WITH_TAG}\n${WITH_TAG}\n`, 'with the configuration that was running');

  cli.child.kill('SIGTERM');
  t.equal(await cli.exited, 0);
  t.equal(cli.stderr, '');
});
