/**
 * `target = "module"`: a user's ES module sink (test/fixtures/sinks/example-sink.mjs) loaded through the running
 * gateway from a config file whose relative `path` is resolved against the file's folder; the table's categories are
 * enforced; a module that is not a sink fails at startup with a message naming it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import { createSinks } from '../src/sinks/index.js';
import { LogLines, sinkContext } from './fixtures/sinks/fake-transport.js';
import { fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/sinks/', import.meta.url));
const example = (name: string) => readFile(new URL(`./fixtures/otlp-examples/${name}.json`, import.meta.url));
const post = (url: string, signal: string, body: Buffer) => request(`${url}/otel/v1/${signal}`, { headers: { 'content-type': 'application/json' }, body });

t.test('a module sink from the config, relative to the config file, gets only its categories', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dk-module-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'points.jsonl');
  const modulePath = relative(dir, join(FIXTURES, 'example-sink.mjs'));
  const sinkToml = `[io]\nauto_timestamp_correction = false\n[[sinks.sink]]\ntarget = "module"\npath = "${modulePath}"\ncategories = ["T"]\n[sinks.sink.options]\nfile = "${out}"`;
  const file = join(dir, 'datakit.conf');
  await writeFile(file, fixtureToml('', sinkToml));
  const config = loadConfig({ file, env: {} });
  t.same(config.sinks, [{ target: 'module', categories: ['tracing'], path: modulePath, options: { file: out } }], 'the path stays as written');

  const gw = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  t.same(
    gw.sinks.map((s) => [s.name, [...s.categories]]),
    [[`module:${join(FIXTURES, 'example-sink.mjs')} (example-jsonl)`, ['tracing']]],
  );
  t.equal((await post(gw.url, 'traces', await example('trace'))).status, 200);
  t.equal((await post(gw.url, 'metrics', await example('metrics'))).status, 200);
  t.equal(
    await readFile(out, 'utf8'),
    '{"category":"tracing","measurement":"opentelemetry","time":"1544712660000000000"}\n',
    'the span, and no metric although the module itself asks for every category',
  );
});

t.test('a module that is not a sink factory, or does not build a sink, fails at startup naming the module', async (t) => {
  const ctx = sinkContext(new LogLines(), FIXTURES);
  const load = (path: string) => createSinks([{ target: 'module', categories: ['tracing'], path, options: {} }], ctx);
  await t.rejects(load('no-factory.mjs'), {
    message: `sink module ${join(FIXTURES, 'no-factory.mjs')}: the default export must be a function (options, context) => Sink, got undefined`,
  });
  await t.rejects(load('not-a-sink.mjs'), {
    message: `sink module ${join(FIXTURES, 'not-a-sink.mjs')}: the factory must return a sink with write(), flush() and close(); missing flush(), close()`,
  });
  await t.rejects(load('example-sink.mjs'), { message: 'example-sink: options.file (a path) is required' }, "the factory's own error");
  await t.rejects(load('missing.mjs'), { message: new RegExp(`^sink module ${join(FIXTURES, 'missing.mjs')}: cannot import: Cannot find module`) });
});
