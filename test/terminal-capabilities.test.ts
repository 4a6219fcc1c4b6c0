/**
 * Capabilities as if local: the real client asks its terminal at start-up (XTVERSION, the kitty keyboard flags,
 * DECRQM 2026, DA1), tells the server in the input stream, and the program in the session gets the answers the
 * user's own terminal would give; the keyboard modes the program sets reach that terminal, and its keys come back.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, clientTestSuite, startClient } from './client-harness.js';
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
