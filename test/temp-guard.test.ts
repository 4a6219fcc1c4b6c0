/**
 * The suite's temporary-folder guard (test/helpers/temp-guard.ts, temp-run.ts), run as CI runs it: a real vitest
 * over fixture files, one clean, one that leaves a folder in its TMPDIR, one whose "process" leaves one in the run's
 * folder. The leaky file fails (its tests passed), the run fails and says what was left, and nothing stays behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const fixtureDir = resolve(import.meta.dirname, 'fixtures/temp-leak');
const resultsDir = mkdtempSync(join(tmpdir(), 'tsmosh-temp-guard-'));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

describe('the temporary-folder guard', () => {
  it('fails the file that leaves a temporary folder and the run that ends with one, names them, and removes them', () => {
    // The fixtures' run makes its folder in this file's TMPDIR, beside resultsDir.
    const before = readdirSync(tmpdir());
    const vitest = resolve(import.meta.dirname, '../node_modules/vitest/vitest.mjs');
    const run = spawnSync(process.execPath, [vitest, 'run', '--root', fixtureDir, '--config', join(fixtureDir, 'vitest.config.ts')], {
      env: { ...process.env, TSMOSH_TEST_RESULTS_DIR: resultsDir },
      encoding: 'utf8',
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).not.toBe(0);
    const results = JSON.parse(readFileSync(join(resultsDir, 'results.json'), 'utf8')) as { numFailedTests: number; testResults: Array<{ name: string; status: string; message: string }> };
    expect(results.numFailedTests).toBe(0);
    const file = (name: string) => results.testResults.find((result) => result.name.endsWith(name));
    expect(file('clean.fixture.ts')?.status).toBe('passed');
    expect(file('leaks-run.fixture.ts')?.status).toBe('passed');
    expect(file('leaks-file.fixture.ts')?.status).toBe('failed');
    expect(file('leaks-file.fixture.ts')?.message).toMatch(/left temporary files behind \(removed now\): forgotten-\w{6}$/);
    expect(readFileSync(join(resultsDir, 'leaked-tmp.txt'), 'utf8')).toMatch(/^temporary files left at the end of the test run \(removed\): outlived-\w{6}\n$/);
    expect(readdirSync(tmpdir()).filter((name) => !before.includes(name))).toEqual([]);
  });
});
