/**
 * The suite's stuck-worker watchdog (test/helpers/stuck-worker-watchdog.ts), run as CI runs it: a real vitest over
 * fixture files, one of which loops synchronously for ever. Without the watchdog that run never ends.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const fixtureDir = resolve(import.meta.dirname, 'fixtures/stuck-worker');
const resultsDir = mkdtempSync(join(tmpdir(), 'tsmosh-watchdog-'));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

describe('the stuck-worker watchdog', () => {
  it('names the test whose thread never yields, kills its worker, and the run goes on to the next file', () => {
    const vitest = resolve(import.meta.dirname, '../node_modules/vitest/vitest.mjs');
    const run = spawnSync(process.execPath, [vitest, 'run', '--root', fixtureDir, '--config', join(fixtureDir, 'vitest.config.ts')], {
      env: { ...process.env, TSMOSH_TEST_STUCK_AFTER_MS: '2000', TSMOSH_TEST_RESULTS_DIR: resultsDir },
      encoding: 'utf8',
      // Far beyond the watchdog's 2 s: reaching it means the watchdog did not work.
      timeout: 50_000,
    });
    expect(run.signal, `vitest was still running after 50 s:\n${run.stdout}\n${run.stderr}`).toBeNull();
    expect(run.status).not.toBe(0);
    const stuck = readdirSync(resultsDir).filter((name) => name.startsWith('stuck-'));
    expect(stuck).toHaveLength(1);
    const report = readFileSync(join(resultsDir, stuck[0]!), 'utf8');
    expect(report).toMatch(/^stuck test: .*spins\.fixture\.ts > loops synchronously for ever \(its thread gave no heartbeat for \d+ s; the worker was killed\)\n$/);
    const results = JSON.parse(readFileSync(join(resultsDir, 'results.json'), 'utf8')) as { numTotalTests: number; numPassedTests: number; testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string }> }> };
    const fine = results.testResults.find((file) => file.name.endsWith('fine.fixture.ts'));
    expect(fine?.assertionResults.map((test) => test.status)).toEqual(['passed']);
    // The stuck test is neither passed nor failed in vitest's report: .ci/run counts such tests as failed.
    expect(results.numTotalTests - results.numPassedTests).toBeGreaterThan(0);
  });
});
