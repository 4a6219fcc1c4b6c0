/**
 * A vitest setup file (vitest.config.ts): each test file runs with its own empty TMPDIR, inside the run's folder
 * (test/helpers/temp-run.ts), and fails in its last afterAll if anything is left in it: a temporary folder the test
 * (or the code under test, or a process it started) made and did not remove. The leftovers are named in the error
 * and removed, so one leak is reported once and /tmp stays clean. A test that makes temporary files removes them
 * itself, in afterEach/afterAll or a finally, so they go on failure too.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { RUN_TMP_VARIABLE } from './temp-run.js';

// os.tmpdir() reads TMPDIR at each call, and children inherit it: everything the file starts uses this folder.
const folder = mkdtempSync(join(process.env[RUN_TMP_VARIABLE] ?? tmpdir(), 'f-'));
// Passable by other users, as /tmp is (temp-run.ts).
chmodSync(folder, 0o711);
process.env.TMPDIR = folder;

// Registered before the file's own hooks, so (vitest runs after-hooks in reverse) it runs after all of them.
afterAll(() => {
  const left = readdirSync(folder);
  rmSync(folder, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`this test file left temporary files behind (removed now): ${left.join(', ')}`);
});
