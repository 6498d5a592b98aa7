/**
 * The Node flags the gateway runs with (README "Under load"): `npm start` and the package's bin (the shebang of
 * src/cli.ts, copied into dist/cli.js) must ask for the same ones, and the bench measures the gateway with them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startScriptNodeFlags } from '../bench/servers.js';
import { ROOT } from './helpers/cli.js';

const EXPECTED = ['--max-semi-space-size=32', '--no-allocation-site-pretenuring'];

t.test('npm start runs dist/cli.js with the young-generation and pretenuring flags', async (t) => {
  t.same(startScriptNodeFlags(), EXPECTED);
});

t.test("the bin's shebang asks for the same flags as npm start", async (t) => {
  const firstLine = readFileSync(join(ROOT, 'src', 'cli.ts'), 'utf8').split('\n')[0];
  t.equal(firstLine, `#!/usr/bin/env -S node ${EXPECTED.join(' ')}`);
});

t.test('this Node accepts every flag (a misspelt V8 flag would stop the gateway from starting)', async (t) => {
  const r = spawnSync(process.execPath, [...EXPECTED, '-e', 'process.stdout.write("started")'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'started');
});
