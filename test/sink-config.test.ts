/**
 * `[[sinks.sink]]` (src/config/sink-schema.ts): every target's keys resolved with their defaults (types.ts), keys of
 * another target refused naming the target, required keys, `dataway` falling back to `[dataway] urls[0]`, URLs.
 */
import t from 'tap';
import { ConfigError, loadConfig } from '../src/config/index.js';
import type { SinkConfig } from '../src/config/types.js';
import { redactTokens } from '../src/gateway.js';
import { DEFAULT_DELIVERY } from './helpers/config-build.js';

const INPUT = '[[inputs.opentelemetry]]\n[inputs.opentelemetry.http]\n';
const sinks = (toml: string): SinkConfig[] => loadConfig({ text: INPUT + toml, env: {} }).sinks;
function errors(toml: string): string[] {
  try {
    loadConfig({ text: INPUT + toml, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const ALL = ['tracing', 'metric', 'logging'];

t.test('every target with only its required keys: the documented defaults', async (t) => {
  const toml = `
[dataway]
urls = ["https://openway.example.com?token=tkn_abc"]
[[sinks.sink]]
target = "stdout"
[[sinks.sink]]
target = "file"
path = "out.lp"
[[sinks.sink]]
target = "dataway"
[[sinks.sink]]
target = "otlp"
url = "http://collector:4318"
[[sinks.sink]]
target = "memory"
[[sinks.sink]]
target = "module"
path = "./my-sink.mjs"
`;
  t.strictSame(sinks(toml), [
    { target: 'stdout', categories: ALL, format: 'line-protocol' },
    { target: 'file', categories: ALL, format: 'line-protocol', path: 'out.lp', maxFileBytes: 0, maxFiles: 5 },
    { target: 'dataway', categories: ALL, url: 'https://openway.example.com?token=tkn_abc', gzip: true, delivery: DEFAULT_DELIVERY },
    { target: 'otlp', categories: ALL, url: 'http://collector:4318', headers: {}, gzip: true, delivery: DEFAULT_DELIVERY },
    { target: 'memory', categories: ALL, maxPoints: 100_000, maxBytes: 256 * 1024 * 1024 },
    { target: 'module', categories: ALL, path: './my-sink.mjs', options: {} },
  ]);
});

t.test('every key of every target is read', async (t) => {
  const toml = `
[[sinks.sink]]
target = "stdout"
categories = ["M"]
format = "json-lines"
[[sinks.sink]]
target = "file"
categories = ["L", "T", "L"]
format = "json-lines"
path = "/var/log/p.jsonl"
max_file_bytes = 1048576
max_files = 2
[[sinks.sink]]
target = "dataway"
url = "http://127.0.0.1:9529?token=tkn_x"
gzip = false
queue_max_points = 10
queue_max_bytes = 2000
timeout_ms = 300
retry_initial_ms = 40
retry_max_ms = 5000
retry_max_elapsed_ms = 60000
spool_dir = "spool/dw"
spool_max_bytes = 100000
drain_timeout_ms = 0
[[sinks.sink]]
target = "otlp"
url = "https://collector.example.com"
gzip = false
  [sinks.sink.headers]
  authorization = "Bearer x"
[[sinks.sink]]
target = "memory"
max_points = 7
max_bytes = 800
[[sinks.sink]]
target = "module"
path = "/opt/sinks/kafka.mjs"
  [sinks.sink.options]
  brokers = ["a:9092"]
  topic = "points"
`;
  t.strictSame(sinks(toml), [
    { target: 'stdout', categories: ['metric'], format: 'json-lines' },
    { target: 'file', categories: ['logging', 'tracing'], format: 'json-lines', path: '/var/log/p.jsonl', maxFileBytes: 1048576, maxFiles: 2 },
    {
      target: 'dataway',
      categories: ALL,
      url: 'http://127.0.0.1:9529?token=tkn_x',
      gzip: false,
      delivery: {
        queueMaxPoints: 10,
        queueMaxBytes: 2000,
        timeoutMs: 300,
        retryInitialMs: 40,
        retryMaxMs: 5000,
        retryMaxElapsedMs: 60000,
        spoolDir: 'spool/dw',
        spoolMaxBytes: 100000,
        drainTimeoutMs: 0,
      },
    },
    { target: 'otlp', categories: ALL, url: 'https://collector.example.com', headers: { authorization: 'Bearer x' }, gzip: false, delivery: DEFAULT_DELIVERY },
    { target: 'memory', categories: ALL, maxPoints: 7, maxBytes: 800 },
    { target: 'module', categories: ALL, path: '/opt/sinks/kafka.mjs', options: { brokers: ['a:9092'], topic: 'points' } },
  ]);
});

t.test("a key of another target is refused naming the target; unknown keys and missing required keys too", async (t) => {
  t.strictSame(errors('[[sinks.sink]]\ntarget = "stdout"\n[[sinks.sink]]\ntarget = "file"\npath = "x"\nspool_dir = "s"\ngzip = true\nspol_dir = "s"'), [
    'config text: sinks.sink[1].spool_dir: not used by target "file"',
    'config text: sinks.sink[1].gzip: not used by target "file"',
    'config text: sinks.sink[1].spol_dir: unknown key',
  ]);
  t.strictSame(errors('[[sinks.sink]]\ntarget = "stdout"\npath = "x"\noptions = {}'), [
    'config text: sinks.sink[0].path: not used by target "stdout"',
    'config text: sinks.sink[0].options: not used by target "stdout"',
  ]);
  t.strictSame(errors('[[sinks.sink]]\ntarget = "file"\n[[sinks.sink]]\ntarget = "otlp"\n[[sinks.sink]]\ntarget = "module"'), [
    'config text: sinks.sink[0].path: required when target = "file"',
    'config text: sinks.sink[1].url: required when target = "otlp"',
    'config text: sinks.sink[2].path: required when target = "module"',
  ]);
  t.strictSame(errors('[[sinks.sink]]\ntarget = "kafka"'), [
    'config text: sinks.sink[0].target: expected "stdout" or "file" or "dataway" or "otlp" or "memory" or "module", got "kafka"',
  ]);
});

t.test('values: URLs must be http(s), sizes and times positive integers, formats known', async (t) => {
  t.strictSame(errors('[[sinks.sink]]\ntarget = "otlp"\nurl = "collector:4318"\n[[sinks.sink]]\ntarget = "dataway"\nurl = "ftp://x"'), [
    'config text: sinks.sink[0].url: expected an http:// or https:// URL',
    'config text: sinks.sink[1].url: expected an http:// or https:// URL',
  ]);
  t.strictSame(errors('[[sinks.sink]]\ntarget = "dataway"\nurl = "http://x"\nqueue_max_points = 0\ndrain_timeout_ms = -1\nspool_dir = ""'), [
    'config text: sinks.sink[0].queue_max_points: expected an integer > 0, got 0',
    'config text: sinks.sink[0].spool_dir: expected a non-empty string, got ""',
    'config text: sinks.sink[0].drain_timeout_ms: expected an integer >= 0, got -1',
  ]);
  t.strictSame(errors('[[sinks.sink]]\ntarget = "file"\npath = "x"\nformat = "csv"\nmax_files = 0'), [
    'config text: sinks.sink[0].format: expected "line-protocol" or "json-lines", got "csv"',
    'config text: sinks.sink[0].max_files: expected an integer > 0, got 0',
  ]);
});

t.test('dataway without url: [dataway] urls[0], as DataKit itself; neither is an error', async (t) => {
  const urls = '[dataway]\nurls = ["https://a.example.com?token=tkn_1", "https://b.example.com?token=tkn_2"]\n';
  t.match(sinks(`${urls}[[sinks.sink]]\ntarget = "dataway"`), [{ target: 'dataway', url: 'https://a.example.com?token=tkn_1' }]);
  t.match(sinks(`${urls}[[sinks.sink]]\ntarget = "dataway"\nurl = "http://relay:9529"`), [{ url: 'http://relay:9529' }], 'its own url wins');
  t.strictSame(errors('[[sinks.sink]]\ntarget = "dataway"'), [
    'config text: sinks.sink[0].url: required when target = "dataway" and [dataway] urls is empty',
  ]);
  t.strictSame(errors('[dataway]\nurls = ["openway.example.com"]\n[[sinks.sink]]\ntarget = "stdout"\n[[sinks.sink]]\ntarget = "dataway"'), [
    'config text: dataway.urls[0]: expected an http:// or https:// URL (used by sinks.sink[1])',
  ]);
});

t.test('startup lines never print a token', async (t) => {
  t.equal(
    redactTokens('points go to dataway:https://openway.example.com?token=tkn_abc&x=1 (tracing), https://h?a=1&TOKEN=tkn_2'),
    'points go to dataway:https://openway.example.com?token=***&x=1 (tracing), https://h?a=1&TOKEN=***',
  );
});
