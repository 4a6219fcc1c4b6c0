/**
 * Capabilities as if local: the real client asks its terminal at start-up (XTVERSION, the kitty keyboard flags,
 * DECRQM 2026, DA1), tells the server in the input stream, and the program in the session gets the answers the
 * user's own terminal would give; the keyboard modes the program sets reach that terminal, and its keys come back.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PtyProgram, ROOT, TSMOSH_BIN, clientTestSuite, startClient } from './client-harness.js';
import { LocalTerminal } from './helpers/local-terminal.js';

const suite = clientTestSuite();
const QUERY_APP = [process.execPath, join(ROOT, 'test/apps/query-terminal.mjs')];

describe('capabilities as if local', () => {
  it("a kitty-like terminal: the program reads kitty's own XTVERSION and kitty flags, and Shift+Enter arrives as CSI 13;2u", async () => {
    const c = suite.track(startClient(suite.workspace(), await suite.workspace().newSession(QUERY_APP), { answerQueries: true }));
    const local = new LocalTerminal(c, { version: 'kitty(0.39.1)', kitty: true });
    await c.waitForText('READY');
    c.type('a');
    const lines = (await c.waitForText('ANSWERS:')).join('\n');
    expect(lines).toContain('ANSWERS:^[P>|kitty(0.39.1)^[\\^[[?0u^[[?1;2c');
    // The program pushes kitty flags: they reach the local terminal, which then encodes Shift+Enter for them.
    c.type('k');
    await c.waitForText('PUSHED');
    const deadline = Date.now() + 30_000;
    while (local.kittyFlags !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(local.kittyFlags, local.modeLog.join(', ')).toBe(1);
    expect(local.pressShiftEnter()).toBe('\x1b[13;2u');
    expect((await c.waitForText('KEY:^[[13;2u')).join('\n')).toContain('KEY:^[[13;2u');
    c.type('q');
    expect((await c.waitForExit()).exitCode).toBe(0);
    // The client popped what it pushed on the way out.
    expect(local.kittyFlags).toBe(0);
  });

  it('a terminal that knows neither: no XTVERSION, no kitty flags (never invented); DA1 still answered', async () => {
    const c = suite.track(startClient(suite.workspace(), await suite.workspace().newSession(QUERY_APP), { answerQueries: true }));
    const local = new LocalTerminal(c, { kitty: false });
    await c.waitForText('READY');
    c.type('a');
    const lines = (await c.waitForText('ANSWERS:')).join('\n');
    expect(lines).toMatch(/ANSWERS:\^\[\[\?1;2c$/m);
    c.type('m');
    await c.waitForText('MODKEYS');
    expect(local.pressShiftEnter()).toBe('\r');
    await c.waitForText('KEY:^M');
    c.type('q');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it("tsmosh asks the terminal before the session starts: the session's own command gets the answers from its first query", async () => {
    const c = suite.track(new PtyProgram({ args: [TSMOSH_BIN, '--local', '--', ...QUERY_APP, '--ask-at-start'], env: suite.workspace().env, answerQueries: true }));
    new LocalTerminal(c, { version: 'WezTerm 20240203-110809-5046fc22', kitty: true });
    const lines = (await c.waitForText('ANSWERS:')).join('\n');
    expect(lines).toContain('ANSWERS:^[P>|WezTerm 20240203-110809-5046fc22^[\\^[[?0u^[[?1;2c');
    c.type('q');
    expect((await c.waitForExit()).exitCode).toBe(0);

    // The same start from a terminal that knows neither: DA1 only.
    const plain = suite.track(new PtyProgram({ args: [TSMOSH_BIN, '--local', '--', ...QUERY_APP, '--ask-at-start'], env: suite.workspace().env, answerQueries: true }));
    new LocalTerminal(plain, { kitty: false });
    expect((await plain.waitForText('ANSWERS:')).join('\n')).toMatch(/ANSWERS:\^\[\[\?1;2c$/m);
    plain.type('q');
    expect((await plain.waitForExit()).exitCode).toBe(0);
  });

  it('tsmosh-server new --terminal-answers: a command that asks before any client attached gets those answers', async () => {
    const target = await suite.workspace().newSession([...QUERY_APP, '--ask-at-start'], ['--terminal-answers', '3:kitty(0.39.1)']);
    // No client for a while: the command asked at once, and its answers came from the option alone.
    await new Promise((r) => setTimeout(r, 1000));
    const c = suite.track(startClient(suite.workspace(), target, { answerQueries: true }));
    new LocalTerminal(c, { kitty: false });
    expect((await c.waitForText('ANSWERS:')).join('\n')).toContain('ANSWERS:^[P>|kitty(0.39.1)^[\\^[[?0u^[[?1;2c');
    // The client that attached reported its own terminal (neither kitty nor a name): later queries get its answers.
    c.type('a');
    await c.waitFor('the second answers', (lines) => lines.filter((l) => l.startsWith('ANSWERS:')).length === 2);
    expect((await c.screen()).filter((l) => l.startsWith('ANSWERS:'))[1]).toBe('ANSWERS:^[[?1;2c');
    c.type('q');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it("an iTerm2 name is not passed to tmux, whose left/right margins for it the mirror cannot draw: a split pane's scrolling stays right", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmosh-caps-tmux-'));
    const socket = join(dir, 'tmux.sock');
    const conf = join(dir, 'tmux.conf');
    writeFileSync(conf, 'set -g status off\n');
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
    try {
      const target = await suite.workspace().newSession(
        ['tmux', '-S', socket, '-f', conf, 'new', '-s', 'x', 'sh -c "seq -f L%g 1 30; exec sleep 60"'],
        ['--terminal-answers', '3:iTerm2 3.5.0'],
      );
      const c = suite.track(startClient(suite.workspace(), target, { answerQueries: true }));
      await c.waitForText('L30');
      tmux('split-window', '-h', 'sh -c "seq -f R%g 1 60; exec sleep 60"');
      await c.waitForText('R60');
      const left = (lines: string[]): string[] => lines.slice(0, 23).map((line) => line.slice(0, 39).trimEnd());
      const own = tmux('capture-pane', '-p', '-t', '0').split('\n');
      // With the name passed on, tmux scrolled the right pane with DECSLRM margins the mirror ignores, and 22 of
      // these rows differed; without it tmux scrolls the way the mirror draws.
      expect(left(await c.screen())).toEqual(left(own));
    } finally {
      try {
        tmux('kill-server');
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('modifyOtherKeys set by the program reaches the local terminal, and Shift+Enter arrives as CSI 27;2;13~', async () => {
    const c = suite.track(startClient(suite.workspace(), await suite.workspace().newSession(QUERY_APP), { answerQueries: true }));
    const local = new LocalTerminal(c, { version: 'XTerm(390)', kitty: true });
    await c.waitForText('READY');
    c.type('m');
    await c.waitForText('MODKEYS');
    const deadline = Date.now() + 30_000;
    while (local.modifyOtherKeys !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(local.modifyOtherKeys, local.modeLog.join(', ')).toBe(2);
    expect(local.pressShiftEnter()).toBe('\x1b[27;2;13~');
    await c.waitForText('KEY:^[[27;2;13~');
    c.type('q');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });
});
