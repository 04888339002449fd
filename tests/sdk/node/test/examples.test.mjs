// The README's quickstarts (examples/node/*_quickstart.mjs) run unchanged against dtu serve.
// Each is copied next to this suite's node_modules, so it resolves the pinned SDKs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDtu } from '../helpers/dtu.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const suiteDir = path.resolve(here, '..');
const examplesDir = path.resolve(suiteDir, '../../../examples/node');
const run = promisify(execFile);

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});

const scripts = (await readdir(examplesDir)).filter((f) => f.endsWith('_quickstart.mjs')).sort();

test('there are quickstarts', () => {
  assert.ok(scripts.length > 0);
});

for (const script of scripts) {
  test(`quickstart ${script} runs`, async () => {
    const copy = path.join(suiteDir, `.example-${script}`);
    await copyFile(path.join(examplesDir, script), copy);
    try {
      const { stdout } = await run(process.execPath, [copy], {
        env: { ...process.env, DTU_CONTROL_URL: dtu.controlUrl, DTU_ADMIN_TOKEN: dtu.adminToken },
        timeout: 60_000,
      });
      assert.match(stdout, /connected to/);
      assert.match(stdout, /as on /);
    } finally {
      await rm(copy, { force: true });
    }
  });
}
