/** The summarised warn line for 5xx refusals (src/otlp/refusal-log.ts), on an injected clock. */
import t from 'tap';
import { RefusalLog } from '../src/otlp/refusal-log.js';

t.test('one line per key and interval; the next one says how many were left out', async (t) => {
  let now = 0;
  const log = new RefusalLog(10_000, () => now);
  t.equal(log.line('503 overloaded', 'busy'), 'busy');
  now = 100;
  t.equal(log.line('503 overloaded', 'busy'), null);
  t.equal(log.line('503 closing', 'shutting down'), 'shutting down', 'another key has its own interval');
  now = 9_999;
  t.equal(log.line('503 overloaded', 'busy'), null);
  now = 12_000;
  t.equal(log.line('503 overloaded', 'busy again'), 'busy again (2 more refused like it in the 12 s before, not logged one by one)');
  now = 30_000;
  t.equal(log.line('503 overloaded', 'busy'), 'busy', 'nothing left out since: the plain message');
});
