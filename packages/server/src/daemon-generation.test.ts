/**
 * A daemon of another wire generation in the way of `new` (daemon-generation.ts). The stand-in is a real process
 * listening on a real control socket and answering `status` as a daemon of that generation would (an older version
 * of tsmosh cannot be installed here); it exits on SIGTERM as the daemon does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@tsmosh/protocol';
import { WAIT_BOUND_MS, stopProcess } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { clearOtherGeneration } from './daemon-generation.js';
import { controlSocketPath } from './runtime-dir.js';

const CONTROL_MODULE = new URL('../dist/control.js', import.meta.url).href;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A new temporary folder, removed after the test. */
function scratch(): string {
  const parent = mkdtempSync(join(tmpdir(), 'tsm-gen-'));
  cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
  return parent;
}

/** Starts a stand-in daemon answering status with `status` (its pid filled in); resolves once it listens. */
async function standIn(status: { version: string; sessions: number; protocol?: number }): Promise<{ socketPath: string; child: ChildProcess }> {
  const dir = join(scratch(), 'rt');
  mkdirSync(dir, { mode: 0o700 });
  const socketPath = controlSocketPath(dir);
  const script = `
    const { listenControl } = await import(${JSON.stringify(CONTROL_MODULE)});
    const status = { ...${JSON.stringify(status)}, pid: process.pid, endpoints: [] };
    const server = await listenControl(${JSON.stringify(socketPath)}, async (request) => {
      if (request.op === 'status') return status;
      throw new Error('the stand-in answers status only');
    });
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
    process.stdout.write('listening\\n');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => stopProcess(child.pid!));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stand-in daemon did not start')), WAIT_BOUND_MS);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { socketPath, child };
}

const exited = (child: ChildProcess): Promise<void> => (child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve())));

describe('clearOtherGeneration', () => {
  it('does nothing when no daemon runs, or when the running one speaks this protocol', async () => {
    await clearOtherGeneration(join(scratch(), 'no-such.sock'));
    const same = await standIn({ version: '0.1.0', sessions: 0, protocol: PROTOCOL_VERSION });
    await clearOtherGeneration(same.socketPath);
    expect(same.child.exitCode).toBeNull();
    expect(existsSync(same.socketPath)).toBe(true);
  });

  it('ends an idle daemon of an older generation (one that reports no protocol), so a new one can start', async () => {
    const old = await standIn({ version: '0.0.9', sessions: 0 });
    await clearOtherGeneration(old.socketPath);
    await exited(old.child);
    expect(old.child.exitCode).toBe(0);
  });

  it('leaves a daemon of another generation that holds sessions running, and says in one line what to do', async () => {
    const busy = await standIn({ version: '0.2.0', sessions: 2, protocol: PROTOCOL_VERSION + 1 });
    const refusal = clearOtherGeneration(busy.socketPath);
    await expect(refusal).rejects.toThrow(
      new RegExp(`^tsmosh-server: the daemon running here \\(pid ${busy.child.pid}, tsmosh 0\\.2\\.0\\) speaks protocol ${PROTOCOL_VERSION + 1} and still holds 2 session\\(s\\); this tsmosh-server speaks protocol ${PROTOCOL_VERSION}\\. .*tsmosh-server kill NAME\\), and retry$`),
    );
    await expect(refusal).rejects.toMatchObject({ code: 'daemon-generation' });
    expect(busy.child.exitCode).toBeNull();
  });
});
