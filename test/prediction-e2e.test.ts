/**
 * Predictive local echo as a user meets it: `tsmosh --local` through the lossy link at 300 ms RTT, typing into a
 * shell prompt at human pace, and typing at a password prompt.
 *
 * "Instant" here is judged causally, not by a stopwatch: with 150 ms of delay each way, the server's echo cannot
 * reach the client sooner than 300 ms after the key, so a character on screen within half that was drawn by the
 * prediction engine. The share under 5 ms (the benchmark's figure) is printed for information only; timing goals
 * belong to bench/, not to a shared, noisy test machine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientStatsFile } from '@tsmosh/client';
import { describe, expect, it } from 'vitest';
import { PtyProgram, TSMOSH_BIN, clientTestSuite } from './client-harness.js';

/** One-way delay (ms): a 300 ms round trip, the link the issue names. */
const ONE_WAY_DELAY_MS = 150;
/** Anything on screen sooner than this (ms) after its key cannot be the server's echo (which needs 2 × the delay). */
const BEFORE_ANY_ECHO_MS = ONE_WAY_DELAY_MS;
/** Human typing pace (ms between keys), about 100 words per minute. */
const KEY_INTERVAL_MS = 120;
const COMMAND = 'echo the quick brown fox jumps over the lazy dog';

const suite = clientTestSuite();

function tsmoshOver(link: string, extraEnv: Record<string, string> = {}): PtyProgram {
  return suite.track(new PtyProgram({ args: [TSMOSH_BIN, '--local', '--link', link, '--predict=adaptive', '--', 'bash', '--norc', '--noprofile'], env: { ...suite.workspace().env, ...extraEnv } }));
}

/** Polls the client's screen (every ~2 ms) until `test` holds; returns the elapsed ms, or undefined after `limitMs`. */
async function timeUntil(program: PtyProgram, test: (lines: string[]) => boolean, limitMs: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (test(await program.screen())) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return undefined;
}

async function typeAtHumanPace(program: PtyProgram, text: string): Promise<Array<number | undefined>> {
  const times: Array<number | undefined> = [];
  let typed = '';
  for (const char of text) {
    typed += char;
    const expected = `$ ${typed}`;
    program.type(char);
    // The text (trailing spaces are trimmed from screen lines) and the cursor just after it: a typed space shows
    // only as the cursor moving.
    const elapsed = await timeUntil(
      program,
      (lines) => lines.some((line) => line.startsWith(expected.trimEnd())) && program.terminal.buffer.active.cursorX === expected.length,
      KEY_INTERVAL_MS,
    );
    times.push(elapsed);
    if (elapsed !== undefined && elapsed < KEY_INTERVAL_MS) await new Promise((resolve) => setTimeout(resolve, KEY_INTERVAL_MS - elapsed));
  }
  return times;
}

describe.each([
  { loss: '0%', minimumShare: 0.8 },
  { loss: '29%', minimumShare: 0.6 },
])('prediction at 300 ms RTT and $loss loss each way', ({ loss, minimumShare }) => {
  it('shows most printable keystrokes before the server could have echoed them, and the command still runs', async () => {
    const statsFile = join(suite.workspace().runtimeDir, `prediction-stats-${loss.replace('%', '')}.json`);
    const t = tsmoshOver(`delay=${ONE_WAY_DELAY_MS}ms,loss=${loss}`, { TSMOSH_CLIENT_STATS_FILE: statsFile });
    await t.waitForText('$');
    // A first exchange so the RTT is measured and an epoch is confirmed, as in any session that has begun.
    t.type('true\r');
    await t.waitFor('a second prompt', (lines) => lines.filter((line) => line.startsWith('$')).length >= 2);
    const times = await typeAtHumanPace(t, COMMAND);
    const early = times.filter((ms) => ms !== undefined && ms < BEFORE_ANY_ECHO_MS).length / times.length;
    const within5 = times.filter((ms) => ms !== undefined && ms < 5).length / times.length;
    console.log(`loss ${loss}: ${(early * 100).toFixed(0)}% of ${times.length} keys shown before any echo could return; ${(within5 * 100).toFixed(0)}% within 5 ms (informational)`);
    expect(early).toBeGreaterThanOrEqual(minimumShare);
    t.type('\r');
    await t.waitFor('the command output', (lines) => lines.includes('the quick brown fox jumps over the lazy dog'));
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
    // The engine's own account: the command after the first one started at a prompt known to echo, so its first
    // keys were shown without waiting for a confirmation. Erasures are printed, not asserted: on a loaded machine
    // bash can take longer than the server's 50 ms echo timeout, and a guess judged before its echo is erased.
    const stats = (JSON.parse(readFileSync(statsFile, 'utf8')) as ClientStatsFile).prediction;
    console.log(`loss ${loss}: engine ${JSON.stringify(stats)}`);
    expect(stats.knownPromptEpochs).toBeGreaterThanOrEqual(1);
    // Issue 18: a typed key is drawn by the rows its guesses touch, not by a whole-screen build and diff; the whole
    // frame only when a server screen or a status line was waiting to be drawn with it.
    const keyDraws = (JSON.parse(readFileSync(statsFile, 'utf8')) as ClientStatsFile).keyDraws!;
    console.log(`loss ${loss}: keys drawn by their rows ${keyDraws.rows}, whole ${keyDraws.whole}`);
    expect(keyDraws.rows).toBeGreaterThanOrEqual(COMMAND.length / 2);
  });
});

describe('prediction at a password prompt', () => {
  it('never shows a character typed at a prompt that does not echo (read -s)', async () => {
    const t = tsmoshOver(`delay=${ONE_WAY_DELAY_MS}ms`);
    await t.waitForText('$');
    t.type('true\r');
    await t.waitFor('a second prompt', (lines) => lines.filter((line) => line.startsWith('$')).length >= 2);
    t.type(`read -s -p 'Password: ' pw; echo "got \${#pw} characters"\r`);
    await t.waitFor('the password prompt', (lines) => lines.some((line) => line.endsWith('Password:')));
    // Letters that appear nowhere else on this screen; every sample of the screen is checked for them.
    const secret = 'QZQZVQ';
    const leaked: string[] = [];
    for (const char of secret) {
      t.type(char);
      const sampleUntil = performance.now() + KEY_INTERVAL_MS * 2;
      while (performance.now() < sampleUntil) {
        const lines = await t.screen();
        for (const line of lines) if (/[QZV]/.test(line)) leaked.push(line);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    // Long enough after the last key for any wrong guess to have been judged (two round trips).
    const settleUntil = performance.now() + 4 * ONE_WAY_DELAY_MS * 2;
    while (performance.now() < settleUntil) {
      for (const line of await t.screen()) if (/[QZV]/.test(line)) leaked.push(line);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(leaked).toEqual([]);
    t.type('\r');
    await t.waitForText(`got ${secret.length} characters`);
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
  });
});

describe('prediction in a new client of the same host', () => {
  /** Opens a session, runs one command (its echo teaches the prompt), and quits. */
  async function firstSession(env: Record<string, string>): Promise<void> {
    const t = tsmoshOver(`delay=${ONE_WAY_DELAY_MS}ms`, env);
    await t.waitForText('$');
    t.type('true\r');
    await t.waitFor('a second prompt', (lines) => lines.filter((line) => line.startsWith('$')).length >= 2);
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
  }

  /** A fresh session's first key at its first prompt: ms until it is on screen (cursor after it). */
  async function firstKeyMs(env: Record<string, string>): Promise<number | undefined> {
    const t = tsmoshOver(`delay=${ONE_WAY_DELAY_MS}ms`, env);
    await t.waitForText('$');
    // As a person does: the prompt has been there a moment (the client has its round trip) before the first key.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    t.type('e');
    const ms = await timeUntil(t, (lines) => lines.some((line) => line.startsWith('$ e')) && t.terminal.buffer.active.cursorX === 3, 2000);
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
    return ms;
  }

  it('shows the first key at once at the prompt an earlier client of this host learned; without that memory it waits for the echo', async () => {
    const stateDir = join(suite.workspace().runtimeDir, 'prompt-memory-test');
    await firstSession({ TSMOSH_STATE_DIR: stateDir });
    const remembered = await firstKeyMs({ TSMOSH_STATE_DIR: stateDir });
    expect(remembered).toBeLessThan(BEFORE_ANY_ECHO_MS);
    // The control: the same, with the memory off, is the server's echo, a round trip later.
    const forgotten = await firstKeyMs({ TSMOSH_STATE_DIR: stateDir, TSMOSH_PROMPT_MEMORY: 'off' });
    expect(forgotten).toBeGreaterThanOrEqual(2 * ONE_WAY_DELAY_MS);
  });
});
