import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientStatsFile } from '@tsmosh/client';
import { clientTestSuite, startClient, WAIT_MS } from './client-harness.js';

/**
 * TSMOSH_CLIENT_STATS_FILE: the real tsmosh-client, a real server, a real pty. The benchmark reads the prediction
 * engine's own counts from this file to cross-check what it sees on screen, so the file must hold the counts of what
 * was really typed, on SIGUSR2 while the session runs and again at exit.
 */

const suite = clientTestSuite();


async function waitForFile(path: string): Promise<ClientStatsFile> {
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} was not written within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return JSON.parse(readFileSync(path, 'utf8')) as ClientStatsFile;
}

describe('TSMOSH_CLIENT_STATS_FILE', () => {
  it('holds the prediction counters on SIGUSR2 during the session and again when the client exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmosh-stats-test-'));
    const path = join(dir, 'stats.json');
    try {
      // always: guesses are made and shown on loopback too, so the counts do not depend on the measured RTT.
      const c = suite.track(startClient(suite.workspace(), await suite.workspace().newSession(), { env: { TSMOSH_CLIENT_STATS_FILE: path, TSMOSH_PREDICTION_DISPLAY: 'always' } }));
      await c.waitForText('$');
      expect(existsSync(path)).toBe(false);
      // A first command confirms an epoch; then ten printable keys, each one a guess the server's echo confirms.
      c.type('true\r');
      await c.waitFor('a second prompt', (lines) => lines.filter((line) => line.startsWith('$')).length >= 2);
      const typed = 'echo 12345';
      const typedAt: number[] = [];
      for (const char of typed) {
        typedAt.push(Number(process.hrtime.bigint()) / 1e6);
        c.type(char);
        await new Promise((r) => setTimeout(r, 30));
      }
      await c.waitFor('the typed command, echoed', (lines) => lines.some((line) => line === `$ ${typed}`));

      process.kill(c.pid, 'SIGUSR2');
      const during = await waitForFile(path);
      expect(during.reason).toBe('SIGUSR2');
      expect(during.predictionMode).toBe('always');
      expect(during.prediction.predicted).toBeGreaterThanOrEqual(typed.length + 'true'.length);
      expect(during.prediction.erased).toBe(0);
      // The transport's counters come along: every key went out in a data frame, and a clean loopback resends none.
      expect(during.transport?.dataFrames).toBeGreaterThanOrEqual(typed.length);
      expect(during.transport?.datagramsSent).toBeGreaterThanOrEqual(during.transport!.dataFrames);
      expect(during.transport?.resends).toBe(0);
      // Each key's read and draw, on the clock this process reads too: every typed key was read after it was typed
      // (and before now), and drawn after it was read.
      const { readAt, drawnAt } = during.keyTimes!;
      expect(readAt.length).toBe(drawnAt.length);
      readAt.forEach((at, i) => expect(drawnAt[i]!).toBeGreaterThanOrEqual(at));
      const readNow = Number(process.hrtime.bigint()) / 1e6;
      for (const at of typedAt) expect(readAt.some((read) => read >= at && read <= readNow)).toBe(true);
      // A loaded machine may deliver two keys in one read: at most one read per key, each drawn once.
      const reads = readAt.filter((read) => read >= typedAt[0]!).length;
      expect(reads).toBeGreaterThanOrEqual(1);
      expect(reads).toBeLessThanOrEqual(typed.length);
      // The client is still running: the signal only wrote the file.
      c.type('\r');
      await c.waitForText(/^12345$/m);

      rmSync(path);
      c.type('\x1e.');
      expect((await c.waitForExit()).exitCode).toBe(0);
      const atExit = JSON.parse(readFileSync(path, 'utf8')) as ClientStatsFile;
      expect(atExit.reason).toBe('exit');
      expect(atExit.prediction.predicted).toBeGreaterThanOrEqual(during.prediction.predicted);
      // Every guess of `echo 12345` was the shell's echo: judged right once the echo came back.
      expect(atExit.prediction.confirmed).toBeGreaterThanOrEqual(typed.length);
      expect(atExit.prediction.erased).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says after the session when the file cannot be written, and exits as it would have', async () => {
    const path = join(tmpdir(), 'tsmosh-no-such-dir', 'sub', 'stats.json');
    const c = suite.track(startClient(suite.workspace(), await suite.workspace().newSession(), { env: { TSMOSH_CLIENT_STATS_FILE: path } }));
    await c.waitForText('$');
    c.type('exit\r');
    expect((await c.waitForExit()).exitCode).toBe(0);
    expect((await c.logicalLines()).join('\n')).toMatch(/tsmosh: TSMOSH_CLIENT_STATS_FILE: could not write \S+stats\.json \(.*ENOENT.*\); check the path/);
  });
});
