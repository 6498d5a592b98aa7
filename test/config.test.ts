/**
 * Configuration: the shipped configs, DataKit's defaults and spellings (datakit reference §1.2, Q15, Q46), ENV
 * overrides (§1.3, §11), `reg:` entries (§4.4, Q28), and the exact error and warning texts people will read.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import t from 'tap';
import {
  ConfigError,
  compileRe2,
  loadConfig,
  loadConfigWithWarnings,
  parseListen,
  type GatewayConfig,
  type OtelInputConfig,
} from '../src/config/index.js';
import { DEFAULT_HTTP, input } from './helpers/config-build.js';

const FIXTURES = 'test/fixtures/config';
const OPENLLMETRY_TAGS = [
  'llm.request.type',
  'traceloop.entity.path',
  'llm.is_streaming',
  'gen_ai.openai.api_base',
  'gen_ai.prompt.1.content',
  'gen_ai.response.model',
  'gen_ai.completion.0.content',
  'gen_ai.request.model',
  'gen_ai.request.temperature',
  'gen_ai.system',
  'traceloop.workflow.name',
];
const ALL_CATEGORIES = ['tracing', 'metric', 'logging'];

/** What a config file that sets nothing but one input table resolves to (§1.2), with the given overrides. */
const defaultConfig = (o: Partial<GatewayConfig>): GatewayConfig =>
  ({
    source: null,
    listen: { host: '127.0.0.1', port: 9529 },
    tls: null,
    hostname: hostname(),
    datakitVersion: '1.84.1',
    globalHostTags: {},
    io: { autoTimestampCorrection: true },
    limits: {
      maxRequestBytes: 67108864,
      maxDecompressedBytes: 67108864,
      maxJsonDepth: 100,
      maxConcurrentRequests: 4,
      maxQueuedRequests: 256,
      queueWaitMs: 200,
    },
    access: { authToken: null, cors: { allowedOrigins: [], allowedHeaders: [], maxAgeSeconds: 7200 }, rateLimit: { rps: 0, burst: 500 } },
    metrics: true,
    workers: 1,
    dataway: { urls: [] },
    inputs: [input()],
    sinks: [{ target: 'stdout', categories: ALL_CATEGORIES, format: 'line-protocol' }],
    ...o,
  }) as GatewayConfig;

/** One input table with the given keys, and the default routes. */
const inputToml = (keys = '', top = ''): string => `${top}\n[[inputs.opentelemetry]]\n${keys}\n[inputs.opentelemetry.http]\n`;
const firstInput = (keys: string, env: NodeJS.ProcessEnv = {}): OtelInputConfig => loadConfig({ text: inputToml(keys), env }).inputs[0];

/** The ConfigError lines for a config given as text. */
function errorLines(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig({ text, env });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** The error `fn` throws (tap's `t.throws` matches messages as substrings; these tests compare whole texts). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

t.test('datakit.conf.example (also the embedded default) resolves to DataKit defaults + OpenLLMetry tags', async (t) => {
  const expected = defaultConfig({
    source: resolve('datakit.conf.example'),
    inputs: [input({ customerTags: OPENLLMETRY_TAGS })],
    sinks: [
      { target: 'stdout', categories: ALL_CATEGORIES, format: 'console' },
      { target: 'memory', categories: ALL_CATEGORIES, maxPoints: 100000, maxBytes: 268435456 },
    ],
  } as Partial<GatewayConfig>);
  const fromFile = loadConfigWithWarnings({ file: 'datakit.conf.example', env: {} });
  t.strictSame(fromFile, { config: expected, warnings: [] });
  t.strictSame(loadConfig({ env: {} }), { ...expected, source: null }, 'no file, no text: the embedded example');
  t.strictSame(loadConfig({ file: 'datakit.conf.example', env: {} }), expected, 'loadConfig = the config part');
});

t.test('config/strict-datakit.conf is the example with strict_datakit = true', async (t) => {
  const strict = loadConfig({ file: 'config/strict-datakit.conf', env: {} });
  const example = loadConfig({ env: {} });
  t.equal(strict.inputs[0].strictDatakit, true);
  t.strictSame(
    { ...strict, source: null, inputs: [{ ...strict.inputs[0], strictDatakit: false }] },
    example,
    'everything else is the same',
  );
});

t.test('config/ci-fixture.conf fixes everything that varies between machines', async (t) => {
  const c = loadConfig({ file: 'config/ci-fixture.conf', env: {} });
  t.strictSame(
    { listen: c.listen, hostname: c.hostname, version: c.datakitVersion, io: c.io, inputs: c.inputs, sinks: c.sinks },
    {
      listen: { host: '127.0.0.1', port: 0 },
      hostname: 'ci-host',
      version: '1.84.1',
      io: { autoTimestampCorrection: false },
      inputs: [input()],
      sinks: [{ target: 'file', categories: ALL_CATEGORIES, format: 'line-protocol', path: './telemetry.lp', maxFileBytes: 0, maxFiles: 5 }],
    },
  );
});

t.test('defaults from a minimal file', async (t) => {
  const file = `${FIXTURES}/minimal.conf`;
  t.strictSame(loadConfigWithWarnings({ file, env: {} }), {
    config: defaultConfig({ source: resolve(file) }),
    warnings: [],
  });
});

t.test('every file setting is read', async (t) => {
  const c = loadConfig({
    env: {},
    text: `
[http_api]
listen = "[::1]:4318"
[environments]
ENV_HOSTNAME = "gw-01"
[global_host_tags]
zone = "b"
cluster = "prod"
[io]
auto_timestamp_correction = false
[gateway]
datakit_version = "1.80.0"
max_request_bytes = 1000
max_decompressed_bytes = 2000
max_json_depth = 10
max_concurrent_requests = 8
max_queued_requests = 16
queue_wait_ms = 50
workers = 2
auth_token = "s3cret"
cors_allowed_origins = ["https://*.example.com", "http://localhost:3000"]
cors_allowed_headers = ["X-Requested-With"]
cors_max_age = 600
rate_limit_rps = 2.5
rate_limit_burst = 10
metrics = false
[dataway]
urls = ["https://openway.example.com?token=tkn_xxx"]
[[inputs.opentelemetry]]
customer_tags = ["a.b", "reg:^x_"]
customer_tags_all = true
keep_rare_resource = true
omit_err_status = ["404"]
compatible_ddtrace = true
compatible_zhaoshang = true
spilt_service_name = false
del_message = true
clean_message = false
log_max = 2
jmarshaler = ""
tracing_metric_enable = true
tracing_metric_tag_blacklist = []
tracing_metric_tag_whitelist = ["k8s.pod"]
strict_datakit = true
pipelines = {}
ignore_attribute_keys = ["x"]
  [inputs.opentelemetry.http]
  http_status_ok = 202
  trace_api = "/t"
  metric_api = ""
  logs_api = "/l"
  [inputs.opentelemetry.grpc]
  addr = "127.0.0.1:4317"
  max_payload = 0
  [inputs.opentelemetry.tags]
  z = "1"
  a = "2"
  [inputs.opentelemetry.close_resource]
  "*" = ["^GET /healthz$"]
  [inputs.opentelemetry.sampler]
  sampling_rate = 0.3
  [inputs.opentelemetry.threads]
  buffer = 100
  threads = 8
  [inputs.opentelemetry.storage]
  path = "./q"
  capacity = 5120
  [inputs.opentelemetry.expected_headers]
  ex_version = "1.2.3"
[[sinks.sink]]
target = "file"
path = "/tmp/out.lp"
categories = ["L", "T", "L"]
[[sinks.sink]]
target = "stdout"
categories = ["M"]
format = "line-protocol"
`,
  });
  t.strictSame(c, {
    source: null,
    listen: { host: '::1', port: 4318 },
    tls: null,
    hostname: 'gw-01',
    datakitVersion: '1.80.0',
    globalHostTags: { zone: 'b', cluster: 'prod' },
    io: { autoTimestampCorrection: false },
    limits: { maxRequestBytes: 1000, maxDecompressedBytes: 2000, maxJsonDepth: 10, maxConcurrentRequests: 8, maxQueuedRequests: 16, queueWaitMs: 50 },
    access: {
      authToken: 's3cret',
      cors: { allowedOrigins: ['https://*.example.com', 'http://localhost:3000'], allowedHeaders: ['X-Requested-With'], maxAgeSeconds: 600 },
      rateLimit: { rps: 2.5, burst: 10 },
    },
    metrics: false,
    workers: 2,
    dataway: { urls: ['https://openway.example.com?token=tkn_xxx'] },
    inputs: [
      {
        customerTags: ['a.b', 'reg:^x_'],
        customerTagsAll: true,
        keepRareResource: true,
        omitErrStatus: ['404'],
        compatibleDdtrace: true,
        compatibleZhaoshang: true,
        splitServiceName: false,
        delMessage: true,
        cleanMessage: false,
        logMax: 2,
        jmarshaler: 'protojson',
        tracingMetricEnable: true,
        tracingMetricTagBlacklist: [],
        tracingMetricTagWhitelist: ['k8s.pod'],
        strictDatakit: true,
        tags: { z: '1', a: '2' },
        closeResource: { '*': ['^GET /healthz$'] },
        expectedHeaders: { ex_version: '1.2.3' },
        http: { httpStatusOk: 202, traceApi: '/t', metricApi: '/otel/v1/metrics', logsApi: '/l' },
        grpc: { addr: '127.0.0.1:4317', maxPayload: 16777216 },
        sampler: { samplingRate: 0.3 },
        threads: { buffer: 100, threads: 8 },
        storage: { path: './q', capacity: 5120 },
      },
    ],
    sinks: [
      { target: 'file', categories: ['logging', 'tracing'], format: 'line-protocol', path: '/tmp/out.lp', maxFileBytes: 0, maxFiles: 5 },
      { target: 'stdout', categories: ['metric'], format: 'line-protocol' },
    ],
  });
  t.strictSame(Object.keys(c.inputs[0].tags), ['z', 'a'], 'tags keep file order');
});

t.test('service split: DataKit reads spilt_service_name (Q15); split_service_name is accepted too', async (t) => {
  t.equal(firstInput('').splitServiceName, true, 'default true, as the code (Q16)');
  t.equal(firstInput('spilt_service_name = false').splitServiceName, false, "DataKit's spelling");
  t.equal(firstInput('split_service_name = false').splitServiceName, false, 'the documented spelling');
  t.equal(firstInput('spilt_service_name = false\nsplit_service_name = false').splitServiceName, false, 'both, agreeing');
  t.strictSame(errorLines(inputToml('spilt_service_name = true\nsplit_service_name = false')), [
    "config text: inputs.opentelemetry[0].split_service_name: is false but spilt_service_name (DataKit's spelling, Q15) is true; set only one",
  ]);
});

t.test('customer_tags_all: either spelling set to true turns it on', async (t) => {
  t.equal(firstInput('costomer_tags_all = true').customerTagsAll, true);
  t.equal(firstInput('customer_tags_all = true').customerTagsAll, true);
  t.equal(firstInput('customer_tags_all = false\ncostomer_tags_all = true').customerTagsAll, true);
  t.equal(firstInput('customer_tags_all = false\ncostomer_tags_all = false').customerTagsAll, false);
});

t.test('log_max must be an integer > 0 (Q46)', async (t) => {
  for (const [value, got] of [
    ['0', '0'],
    ['-1', '-1'],
    ['1.5', '1.5'],
    ['"500"', '"500"'],
  ]) {
    t.strictSame(errorLines(inputToml(`log_max = ${value}`)), [
      `config text: inputs.opentelemetry[0].log_max: expected an integer > 0, got ${got}`,
    ]);
  }
  t.equal(firstInput('log_max = 1').logMax, 1);
});

t.test('jmarshaler: any string is accepted; an unknown one is warned about', async (t) => {
  const gojson = loadConfigWithWarnings({ text: inputToml('jmarshaler = "gojson"'), env: {} });
  t.equal(gojson.config.inputs[0].jmarshaler, 'gojson');
  t.strictSame(gojson.warnings, ['config text: inputs.opentelemetry[0].jmarshaler: "gojson" is not emulated, span messages are written as protojson']);
  const { config, warnings } = loadConfigWithWarnings({ text: inputToml('jmarshaler = "fast"'), env: {} });
  t.equal(config.inputs[0].jmarshaler, 'fast');
  t.strictSame(warnings, ['config text: inputs.opentelemetry[0].jmarshaler: unknown value "fast", protojson is used (as in DataKit)']);
});

t.test('reg: entries compile at load time; an invalid one is refused, naming the entry (Q28)', async (t) => {
  t.strictSame(firstInput('customer_tags = ["reg:^gen_ai\\\\.", "plain"]').customerTags, ['reg:^gen_ai\\.', 'plain']);
  t.strictSame(errorLines(inputToml('customer_tags = ["ok", "reg:a(b", "reg:(?<=x)y"]')), [
    'config text: inputs.opentelemetry[0].customer_tags[1]: invalid regular expression "reg:a(b": Unterminated group',
    'config text: inputs.opentelemetry[0].customer_tags[2]: invalid regular expression "reg:(?<=x)y": lookbehind (?<= is not supported by RE2 (DataKit would refuse the pattern)',
  ]);
  t.strictSame(
    errorLines(inputToml(), { ENV_INPUT_OTEL_CUSTOMER_TAGS: '["reg:\\\\1"]' }),
    ['config text: inputs.opentelemetry[0].customer_tags[0]: invalid regular expression "reg:\\\\1": backreference \\1 is not supported by RE2 (DataKit would refuse the pattern)'],
    'also when the entry comes from the environment',
  );
});

t.test('close_resource: an invalid regex is skipped with a warning (§1.4)', async (t) => {
  const { config, warnings } = loadConfigWithWarnings({
    text: inputToml('[inputs.opentelemetry.close_resource]\n"my.svc" = ["^ok$", "(x"]'),
    env: {},
  });
  t.strictSame(config.inputs[0].closeResource, { 'my.svc': ['^ok$', '(x'] }, 'kept as written; the filter skips it');
  t.strictSame(warnings, [
    'config text: inputs.opentelemetry[0].close_resource."my.svc"[1]: invalid regular expression "(x" is skipped (as DataKit does): Unterminated group',
  ]);
});

t.test('compileRe2 translates RE2-only syntax and refuses what RE2 refuses', async (t) => {
  const same = (pattern: string, source: string, flags: string): void => {
    const re = compileRe2(pattern);
    t.strictSame([re.source, re.flags], [source, flags], pattern);
  };
  same('(?P<name>x)\\z', '(?<name>x)$', 'u');
  same('(?i)abc', 'abc', 'iu');
  same('(?is)a.b', 'a.b', 'isu');
  same('[[:alpha:]][[:digit:]]+', '[A-Za-z][0-9]+', 'u');
  same('key_*', 'key_*', 'u');
  t.equal(compileRe2('key_*').test('my_key'), true, 'unanchored search, as Go (Q28)');
  t.equal(compileRe2('(?i)^GEN_AI').test('gen_ai.system'), true);
  const refused = (pattern: string, message: string): void => {
    t.equal(thrown(() => compileRe2(pattern)).message, message, pattern);
  };
  refused('(?=x)', 'lookahead (?= is not supported by RE2 (DataKit would refuse the pattern)');
  refused('(?!x)', 'lookahead (?! is not supported by RE2 (DataKit would refuse the pattern)');
  refused('(?<!x)', 'lookbehind (?<! is not supported by RE2 (DataKit would refuse the pattern)');
  refused('(a)\\1', 'backreference \\1 is not supported by RE2 (DataKit would refuse the pattern)');
  refused('(?<n>a)\\k<n>', 'named backreference \\k<…> is not supported by RE2 (DataKit would refuse the pattern)');
  refused('a(?i)b', 'inline flags "(?i)" are only supported at the very start of the pattern, as in "(?i)abc"');
  refused('[[:^alpha:]]', 'negated POSIX class [:^alpha:] is not supported; use [^[:alpha:]]');
  refused('[[:foo:]]', 'unknown POSIX class [:foo:]');
});

t.test('access-control keys are validated', async (t) => {
  const gateway = (keys: string) => errorLines(`${inputToml()}\n[gateway]\n${keys}`);
  t.strictSame(gateway('cors_allowed_origins = ["https://*.*.example.com", ""]'), [
    'config text: gateway.cors_allowed_origins[0]: expected at most one "*" in an origin',
    'config text: gateway.cors_allowed_origins[1]: expected a non-empty string, got ""',
  ]);
  t.strictSame(gateway('rate_limit_rps = -1\nrate_limit_burst = 0\ncors_max_age = 1.5\nauth_token = ""'), [
    'config text: gateway.auth_token: expected a non-empty string, got ""',
    'config text: gateway.cors_max_age: expected an integer, got 1.5',
    'config text: gateway.rate_limit_rps: expected a number >= 0, got -1',
    'config text: gateway.rate_limit_burst: expected an integer > 0, got 0',
  ]);
});

t.test('unknown keys are refused, naming the key', async (t) => {
  t.strictSame(errorLines(`${inputToml()}\n[gateway]\nmax_requst_bytes = 1\n[foo]\nx = 1`), [
    'config text: gateway.max_requst_bytes: unknown key',
    'config text: foo: unknown key',
  ]);
  t.strictSame(errorLines(`${inputToml()}\n[[sinks.sink]]\ntarget = "stdout"\ncategory = ["T"]`), [
    'config text: sinks.sink[0].category: unknown key',
  ]);
});

t.test('unknown keys inside [[inputs.opentelemetry]] are accepted with a warning naming file and line', async (t) => {
  const file = `${FIXTURES}/unknown-input-key.conf`;
  const { config, warnings } = loadConfigWithWarnings({ file, env: {} });
  t.strictSame(warnings, [
    `${file}:4: unknown key inputs.opentelemetry[0].foo is ignored (DataKit ignores it too)`,
    `${file}:10: unknown key inputs.opentelemetry[0].http.enable is ignored (DataKit ignores it too)`,
    `${file}:14: unknown key inputs.opentelemetry[1].customr_tags_all is ignored (DataKit ignores it too)`,
  ]);
  t.strictSame(config.inputs, [
    input({ logMax: 100, http: { ...DEFAULT_HTTP, traceApi: '/a/traces', metricApi: '/a/metrics', logsApi: '/a/logs' } }),
    input({ customerTags: ['x'] }),
  ]);
});

t.test('sinks: category letters, file path, defaults', async (t) => {
  t.strictSame(errorLines(`${inputToml()}\n[[sinks.sink]]\ntarget = "stdout"\ncategories = ["T", "X"]`), [
    'config text: sinks.sink[0].categories[1]: expected "T" or "M" or "L", got "X"',
  ]);
  t.strictSame(errorLines(`${inputToml()}\n[[sinks.sink]]\ntarget = "stdout"\n[[sinks.sink]]\ntarget = "file"`), [
    'config text: sinks.sink[1].path: required when target = "file"',
  ]);
  t.strictSame(errorLines(`${inputToml()}\n[[sinks.sink]]\ntarget = "stdout"\npath = "x"`), [
    'config text: sinks.sink[0].path: not used by target "stdout"',
  ]);
  // An unknown or missing target is the one problem reported: the other keys depend on it.
  t.strictSame(errorLines(`${inputToml()}\n[[sinks.sink]]\ntarget = "tcp"\nformat = "json"`), [
    'config text: sinks.sink[0].target: expected "stdout" or "file" or "dataway" or "otlp" or "memory" or "module", got "tcp"',
  ]);
  t.strictSame(errorLines(`${inputToml()}\n[[sinks.sink]]\ncategories = []`), [
    'config text: sinks.sink[0].target: expected "stdout" or "file" or "dataway" or "otlp" or "memory" or "module", got nothing',
    'config text: sinks.sink[0].categories: expected at least 1 entry, got []',
  ]);
  t.strictSame(errorLines(`${inputToml()}\n[[sinks.sink]]\ntarget = "stdout"\nformat = "json"`), [
    'config text: sinks.sink[0].format: expected "console" or "line-protocol" or "json-lines", got "json"',
  ]);
});

t.test('inputs: none at all, none with HTTP, route collisions', async (t) => {
  const nothing = 'config text: inputs.opentelemetry: nothing to receive: add an [[inputs.opentelemetry]] table with [inputs.opentelemetry.http]';
  t.strictSame(errorLines(''), [nothing]);
  t.strictSame(errorLines('[inputs.opentelemetry]\nlog_max = 1\n[sinks.sink]\ntarget = "stdout"'), [
    'config text: inputs.opentelemetry: expected [[inputs.opentelemetry]] tables (double brackets), got a table',
    'config text: sinks.sink: expected [[sinks.sink]] tables (double brackets), got a table',
  ]);
  t.strictSame(errorLines('[[inputs.opentelemetry]]\nlog_max = 1'), [
    'config text: inputs.opentelemetry: nothing to receive: no input has an [inputs.opentelemetry.http] table',
  ]);
  const two = `${inputToml()}\n[[inputs.opentelemetry]]\n[inputs.opentelemetry.http]\ntrace_api = "/b/traces"\nmetric_api = "/otel/v1/metrics"\nlogs_api = "/b/traces"`;
  t.strictSame(errorLines(two), [
    'config text: inputs.opentelemetry[1].http.metric_api: route "/otel/v1/metrics" is already used by inputs.opentelemetry[0].http.metric_api',
    'config text: inputs.opentelemetry[1].http.logs_api: route "/b/traces" is already used by inputs.opentelemetry[1].http.trace_api',
  ]);
  const { config, warnings } = loadConfigWithWarnings({ text: `${inputToml()}\n[[inputs.opentelemetry]]\nlog_max = 7`, env: {} });
  const { http: _absent, ...withoutHttp } = input({ logMax: 7 });
  t.strictSame(config.inputs[1], withoutHttp, 'no http key at all');
  t.strictSame(warnings, [
    'config text: inputs.opentelemetry[1] has no [inputs.opentelemetry.http] table: it registers no routes (as in DataKit)',
  ]);
  t.strictSame(errorLines('[[inputs.opentelemetry]]\n[inputs.opentelemetry.http]\ntrace_api = "otel"'), [
    'config text: inputs.opentelemetry[0].http.trace_api: expected a path starting with "/" ("" = the default route), got "otel"',
  ]);
});

t.test('every problem is reported at once, one per line', async (t) => {
  try {
    loadConfig({ text: inputToml('log_max = 0\ndel_message = "yes"', '[gateway]\nmax_json_depth = -2'), env: {} });
    t.fail('expected a ConfigError');
  } catch (e) {
    t.ok(e instanceof ConfigError);
    const err = e as ConfigError;
    t.equal(err.file, null);
    t.equal(
      err.message,
      [
        'config text: gateway.max_json_depth: expected an integer > 0, got -2',
        'config text: inputs.opentelemetry[0].del_message: expected a boolean, got "yes"',
        'config text: inputs.opentelemetry[0].log_max: expected an integer > 0, got 0',
      ].join('\n'),
    );
  }
});

t.test('a TOML syntax error names the file, line and column', async (t) => {
  const file = `${FIXTURES}/syntax-error.conf`;
  const err = thrown(() => loadConfig({ file, env: {} }));
  t.ok(err instanceof ConfigError);
  t.strictSame(
    { file: (err as ConfigError).file, message: err.message },
    { file: resolve(file), message: `${file}:4:3: TOML syntax error: Expected "#", ",", "\\n", "\\r", "]", or [ \\t] but "[" found.` },
  );
  t.equal(
    thrown(() => loadConfig({ text: 'a = 1\na = 2', env: {} })).message,
    "config text:2:1: TOML syntax error: Cannot redefine existing key 'a'.",
  );
  t.equal(
    thrown(() => loadConfig({ file: `${FIXTURES}/missing.conf`, env: {} })).message,
    `${FIXTURES}/missing.conf: cannot read the file: ENOENT: no such file or directory, open '${resolve(FIXTURES, 'missing.conf')}'`,
  );
});

t.test('ENV_INPUT_OTEL_* override every input (§1.3)', async (t) => {
  const env = {
    ENV_INPUT_OTEL_CUSTOMER_TAGS: '["a.b","reg:^c"]',
    ENV_INPUT_OTEL_CUSTOMER_TAGS_ALL: 'T',
    ENV_INPUT_OTEL_KEEP_RARE_RESOURCE: '1',
    ENV_INPUT_OTEL_OMIT_ERR_STATUS: '["404","500"]',
    ENV_INPUT_OTEL_CLOSE_RESOURCE: '{"svc":["^GET /x$"],"*":[]}',
    ENV_INPUT_OTEL_SAMPLER: '0.25',
    ENV_INPUT_OTEL_TAGS: '{"k1":"v1","k2":"v2"}',
    ENV_INPUT_OTEL_THREADS: '{"buffer":1000,"threads":100}',
    ENV_INPUT_OTEL_STORAGE: '{"path":"./otel_storage","capacity":5120}',
    ENV_INPUT_OTEL_HTTP: '{"enable":true,"http_status_ok":200,"trace_api":"/e/traces","metric_api":"/e/metrics"}',
    ENV_INPUT_OTEL_GRPC: '{"addr":"127.0.0.1:4317","max_payload":-1}',
    ENV_INPUT_OTEL_EXPECTED_HEADERS: '{"ex_version":"1.2.3"}',
    ENV_INPUT_OTEL_DEL_MESSAGE: 'TRUE',
    ENV_INPUT_OTEL_COMPATIBLE_DDTRACE: 'True',
    ENV_INPUT_OTEL_SPLIT_SERVICE_NAME: 'f',
    ENV_INPUT_OTEL_CLEAN_MESSAGE: 'False',
    ENV_INPUT_OTEL_TRACING_METRIC_ENABLE: 't',
    ENV_INPUT_OTEL_TRACING_METRIC_TAG_BLACKLIST: '[]',
    ENV_INPUT_OTEL_TRACING_METRIC_TAG_WHITELIST: '["k8s.pod"]',
  };
  const expected = input({
    customerTags: ['a.b', 'reg:^c'],
    customerTagsAll: true,
    keepRareResource: true,
    omitErrStatus: ['404', '500'],
    closeResource: { svc: ['^GET /x$'], '*': [] },
    sampler: { samplingRate: 0.25 },
    tags: { k1: 'v1', k2: 'v2' },
    threads: { buffer: 1000, threads: 100 },
    storage: { path: './otel_storage', capacity: 5120 },
    http: { httpStatusOk: 200, traceApi: '/e/traces', metricApi: '/e/metrics', logsApi: '/otel/v1/logs' },
    grpc: { addr: '127.0.0.1:4317', maxPayload: 16777216 },
    expectedHeaders: { ex_version: '1.2.3' },
    delMessage: true,
    compatibleDdtrace: true,
    splitServiceName: false,
    cleanMessage: false,
    tracingMetricEnable: true,
    tracingMetricTagBlacklist: [],
    tracingMetricTagWhitelist: ['k8s.pod'],
    logMax: 3,
  });
  // No [inputs.opentelemetry.http] in the file: ENV_INPUT_OTEL_HTTP creates it.
  const { config, warnings } = loadConfigWithWarnings({
    text: '[[inputs.opentelemetry]]\nlog_max = 3\ntags = { old = "x" }\nspilt_service_name = true',
    env,
  });
  t.strictSame(config.inputs, [expected]);
  t.strictSame(warnings, [
    'config text: inputs.opentelemetry[0].grpc: gRPC is not served by this gateway; use OTLP/HTTP',
    'config text: inputs.opentelemetry[0].tracing_metric_enable: the tracing_metrics measurement is not emulated yet',
    "config text: inputs.opentelemetry[0]: threads/storage (DataKit's asynchronous trace mode, Q42) are ignored: every request is decoded before it is answered",
  ], 'settings read but not emulated are named');

  // With two inputs, ENV_INPUT_OTEL_HTTP would give both the same routes (refused), so they keep the file's.
  const two = loadConfig({ text: `${inputToml('log_max = 3')}\n[[inputs.opentelemetry]]\nlog_max = 3`, env: { ...env, ENV_INPUT_OTEL_HTTP: undefined } });
  t.strictSame(two.inputs.map((i) => i.tags), [{ k1: 'v1', k2: 'v2' }, { k1: 'v1', k2: 'v2' }], 'applied to every input');
  t.not(two.inputs[0].tags, two.inputs[1].tags, 'each input has its own copy');
});

t.test('an ENV value that does not parse is ignored with a warning, as DataKit does', async (t) => {
  const { config, warnings } = loadConfigWithWarnings({
    text: inputToml('del_message = true\n[inputs.opentelemetry.sampler]\nsampling_rate = 0.5'),
    env: {
      ENV_INPUT_OTEL_DEL_MESSAGE: 'yes',
      ENV_INPUT_OTEL_CLEAN_MESSAGE: '',
      ENV_INPUT_OTEL_SAMPLER: 'abc',
      ENV_INPUT_OTEL_TAGS: '{x',
      ENV_INPUT_OTEL_THREADS: '{"buffer":"x","threads":1.5}',
      ENV_INPUT_OTEL_CUSTOMER_TAGS: '{"a":1}',
      ENV_IO_AUTO_TIMESTAMP_CORRECTION: 'no',
    },
  });
  t.strictSame(config.inputs, [input({ delMessage: true, sampler: { samplingRate: 0.5 } })]);
  t.equal(config.io.autoTimestampCorrection, true);
  const BOOL = 'expected a boolean (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)';
  t.strictSame(warnings, [
    `ENV_IO_AUTO_TIMESTAMP_CORRECTION='no': ${BOOL}; ignored (DataKit ignores it too)`,
    `ENV_INPUT_OTEL_CUSTOMER_TAGS='{"a":1}': expected an array, got a table; ignored (DataKit ignores it too)`,
    "ENV_INPUT_OTEL_SAMPLER='abc': expected a decimal number; ignored (DataKit ignores it too)",
    "ENV_INPUT_OTEL_TAGS='{x': not valid JSON (Expected property name or '}' in JSON at position 1); ignored (DataKit ignores it too)",
    `ENV_INPUT_OTEL_THREADS='{"buffer":"x","threads":1.5}': buffer: expected an integer, got "x"; threads: expected an integer, got 1.5; ignored (DataKit ignores it too)`,
    `ENV_INPUT_OTEL_DEL_MESSAGE='yes': ${BOOL}; ignored (DataKit ignores it too)`,
    `ENV_INPUT_OTEL_CLEAN_MESSAGE='': ${BOOL}; ignored (DataKit ignores it too)`,
  ]);
});

t.test('ENV_IO_AUTO_TIMESTAMP_CORRECTION overrides [io]', async (t) => {
  const text = inputToml('', '[io]\nauto_timestamp_correction = true');
  t.equal(loadConfig({ text, env: { ENV_IO_AUTO_TIMESTAMP_CORRECTION: '0' } }).io.autoTimestampCorrection, false);
  t.equal(loadConfig({ text, env: {} }).io.autoTimestampCorrection, true);
});

t.test('hostname: process ENV_HOSTNAME, then [environments] ENV_HOSTNAME, then the machine', async (t) => {
  const withFile = inputToml('', '[environments]\nENV_HOSTNAME = "from-file"');
  t.equal(loadConfig({ text: withFile, env: { ENV_HOSTNAME: 'from-env' } }).hostname, 'from-env');
  t.equal(loadConfig({ text: withFile, env: { ENV_HOSTNAME: '' } }).hostname, 'from-file', 'empty = unset');
  t.equal(loadConfig({ text: withFile, env: {} }).hostname, 'from-file');
  t.equal(loadConfig({ text: inputToml(), env: {} }).hostname, hostname());
  t.equal(loadConfig({ text: inputToml(), env: { ENV_HOSTNAME: 'from-env' } }).hostname, 'from-env');
});

t.test('parseListen', async (t) => {
  t.strictSame(parseListen('127.0.0.1:9529'), { host: '127.0.0.1', port: 9529 });
  t.strictSame(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  t.strictSame(parseListen('[::1]:4318'), { host: '::1', port: 4318 });
  t.strictSame(parseListen(':9529'), { host: '0.0.0.0', port: 9529 }, "Go's all-interfaces form");
  const hint = 'expected "host:port" (IPv6 as "[::1]:9529", port 0 = any free port)';
  for (const bad of ['::1:4318', 'localhost', 'host:-1', 'host:x', '[::1]', '', 'a b:1']) {
    t.equal(thrown(() => parseListen(bad)).message, `${hint}, got ${JSON.stringify(bad)}`, bad);
  }
  t.equal(thrown(() => parseListen('host:65536')).message, 'port 65536 is above 65535, got "host:65536"');
  t.strictSame(errorLines(inputToml('', '[http_api]\nlisten = "9529"')), [`config text: http_api.listen: ${hint}, got "9529"`]);
});
