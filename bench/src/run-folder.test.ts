import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { processesOfRun, removeDeadRunFolders } from './run-folder.js';

/** The built module, as the benches run it (plain node from dist/). */
const BUILT = fileURLToPath(new URL('../dist/run-folder.js', import.meta.url));

const parents: string[] = [];
afterEach(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true });
});
function freshParent(): string {
  const parent = mkdtempSync(join(tmpdir(), 'tsmosh-run-folder-'));
  parents.push(parent);
  return parent;
}

/** A bench process in `parent` that makes a temp folder as the sshd helper does, prints its path, then exits or waits. */
async function startBenchProcess(parent: string, wait: boolean): Promise<{ folder: string; child: ChildProcess; ended: Promise<NodeJS.Signals | null> }> {
  // With `wait`, it also leaves a process running as a scenario's daemon would: detached, its own session, with the
  // run's environment; a bench killed mid-scenario never stops it itself.
  const program = `
    const { benchTempDir } = await import(${JSON.stringify(BUILT)});
    const folder = benchTempDir('tsmosh-bench-sshd-');
    ${wait ? "(await import('node:child_process')).spawn('sleep', ['600'], { detached: true, stdio: 'ignore', cwd: '/' }).unref();" : ''}
    console.log(folder);
    ${wait ? 'setInterval(() => {}, 1000);' : ''}`;
  const { TSMOSH_BENCH_RUN_FOLDER: _inherited, ...env } = process.env;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { env: { ...env, TMPDIR: parent }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const folder = await new Promise<string>((resolve) => child.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(line.trim())));
  return { folder, child, ended };
}

describe('benchTempDir', () => {
  it('makes its folders in one folder of the run, removed when the process exits', async () => {
    const parent = freshParent();
    const { folder, ended } = await startBenchProcess(parent, false);
    expect(folder.startsWith(join(parent, 'tsmosh-bench-run-'))).toBe(true);
    expect(folder).toMatch(/\/tsmosh-bench-sshd-\w{6}$/);
    await ended;
    expect(readdirSync(parent)).toEqual([]);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`removes the run's folder on ${signal} and still dies of it`, async () => {
      const parent = freshParent();
      const { folder, child, ended } = await startBenchProcess(parent, true);
      expect(existsSync(folder)).toBe(true);
      const runFolder = dirname(folder);
      expect(processesOfRun(runFolder)).toHaveLength(1); // the process it left (the bench's own environ predates the variable)
      child.kill(signal);
      expect(await ended).toBe(signal);
      expect(readdirSync(parent)).toEqual([]);
      expect(processesOfRun(runFolder)).toEqual([]);
    });
  }
});

describe('removeDeadRunFolders', () => {
  it("removes the run folders of bench processes that are gone, never a live one's or anything else", () => {
    const parent = freshParent();
    for (const name of ['tsmosh-bench-run-111-aaaaaa', 'tsmosh-bench-run-222-bbbbbb', 'tsmosh-bench-sshd-cccccc']) mkdirSync(join(parent, name, 'inner'), { recursive: true });
    expect(removeDeadRunFolders(parent, (pid) => pid === 222)).toEqual(['tsmosh-bench-run-111-aaaaaa']);
    expect(readdirSync(parent).sort()).toEqual(['tsmosh-bench-run-222-bbbbbb', 'tsmosh-bench-sshd-cccccc']);
  });
});
