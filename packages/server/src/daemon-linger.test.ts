/**
 * The empty daemon's timers, in this process (startDaemon): the linger after its last session (DAEMON_IDLE_LINGER_MS)
 * and the exit of a daemon nobody used (DAEMON_UNUSED_EXIT_MS), with a real control socket and a real pty.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { requestControl } from './control.js';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { controlSocketPath } from './runtime-dir.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(process.platform !== 'linux')('an empty daemon', () => {
  it('that hosted a session lingers its whole linger: the unused-daemon exit no longer ends it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'tsm-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const runtimeDir = join(parent, 'rt');
    const lines: string[] = [];
    const unusedExitMs = 300;
    const running: RunningDaemon = await startDaemon({ runtimeDir, exitProcessWhenEmpty: true, idleLingerMs: 60_000, unusedExitMs, log: (line) => lines.push(line) });
    cleanups.push(() => running.close());
    let closed = false;
    void running.closed.then(() => (closed = true));
    // A session whose command exits at once and that no client reaches: it ends within the unused-exit time.
    await requestControl(controlSocketPath(runtimeDir), { op: 'new', request: { command: ['true'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '50' } } }, 10_000);
    await waitUntil(() => lines.some((line) => line.includes('no sessions left; exiting in 60000 ms')), 'the linger');
    // A timer armed now for the unused-exit time fires after the daemon's own, armed at its start for that time.
    await new Promise((resolve) => setTimeout(resolve, unusedExitMs));
    expect(lines.filter((line) => /no session requested within|exiting$/.test(line))).toEqual([]);
    expect(closed).toBe(false);
  });
});
