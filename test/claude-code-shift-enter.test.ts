/**
 * Shift+Enter in the real Claude Code through tsmosh, as the project's users run it (`tmux new -A -s cc` in the
 * daemon's session, the real tsmosh-client drawing on a stand-in for the user's terminal, test/helpers/local-terminal.ts):
 * - a terminal that speaks the kitty keyboard protocol and modifyOtherKeys: Shift+Enter inserts a newline in the
 *   prompt and nothing is submitted; through tmux the key travels as modifyOtherKeys (tmux 3.3 asks its outer
 *   terminal, the mirror, for it with `extended-keys on` and the `extkeys` terminal feature), without tmux as kitty
 *   flags that Claude Code pushes itself because the client passed on TERM_PROGRAM=kitty;
 * - a terminal that knows neither: Shift+Enter is a plain Enter, and the prompt is submitted (the control case), and
 *   Claude Code is not told of a kitty protocol the terminal lacks;
 * - the terminal's XTVERSION reaches Claude Code inside a tmux started with the session (tmux asks its terminal once,
 *   at its start, before any client: `tsmosh-server new --terminal-answers`, which tsmosh passes after asking).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PtyProgram, TSMOSH_BIN, clientTestSuite, startClient } from './client-harness.js';
import { claudeCodeEnvironment, ensureClaudeCode, removeClaudeCodeDirectories, startMessagesStandIn, type MessagesStandIn } from './helpers/claude-code.js';
import { LocalTerminal, type LocalTerminalProfile } from './helpers/local-terminal.js';

const suite = clientTestSuite();
/** What a user puts in ~/.tmux.conf for Shift+Enter and other modified keys to reach programs (docs/claude-code.md). */
const TMUX_CONF = "set -g extended-keys on\nset -as terminal-features 'xterm*:extkeys'\n";
/** ms: a failure detector for a heavy program on a loaded machine, not a speed claim. */
const CLAUDE_WAIT_MS = 90_000;
const KITTY: LocalTerminalProfile = { version: 'kitty(0.39.1)', kitty: true };
const PLAIN: LocalTerminalProfile = { kitty: false };

/**
 * Claude Code's debug log once it shows `pattern`: its probe of the terminal ends with a line about XTVERSION (it
 * waits for the kitty query's answer before that). Throws with the log's tail after CLAUDE_WAIT_MS.
 */
async function debugLogShowing(log: string, pattern: RegExp, what: string): Promise<string> {
  const deadline = Date.now() + CLAUDE_WAIT_MS;
  for (;;) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`Claude Code's debug log never showed ${what}:\n${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Shift+Enter and the terminal\'s name in the real Claude Code through tsmosh', () => {
  let api: MessagesStandIn | undefined;
  const dirs: string[] = [];
  const sockets: string[] = [];
  afterAll(async () => {
    for (const socket of sockets) {
      try {
        execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    }
    await api?.close();
    await removeClaudeCodeDirectories(dirs);
  });

  /** Starts Claude Code in a session (in tmux or not) and a client on a local terminal of `profile`. */
  async function start(
    profile: LocalTerminalProfile,
    options: { tmux: boolean; clientEnv?: Record<string, string>; serverArgs?: string[]; claudeArgs?: string[]; viaCli?: boolean },
  ): Promise<{ client: PtyProgram; local: LocalTerminal; requestsBefore: number; home: string }> {
    const bin = ensureClaudeCode();
    api ??= await startMessagesStandIn({ chunkDelayMs: 5 });
    const project = mkdtempSync(join(tmpdir(), 'tsmosh-cc-project-'));
    const { home, env } = claudeCodeEnvironment(api.baseUrl, project);
    dirs.push(project, home);
    // The machine's own terminal identity must not leak into the session; only serverArgs' -e says who the terminal is.
    const envWords = ['-u', 'TERM_PROGRAM', '-u', 'TERM_PROGRAM_VERSION', '-u', 'LC_TERMINAL', '-u', 'LC_TERMINAL_VERSION', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
    const claude = [bin, ...(options.claudeArgs ?? [])].map((word) => `'${word}'`).join(' ');
    let command: string;
    if (options.tmux) {
      const socket = join(home, 'tmux.sock');
      const conf = join(home, 'tmux.conf');
      writeFileSync(conf, TMUX_CONF);
      sockets.push(socket);
      command = `cd '${project}' && exec tmux -S '${socket}' -f '${conf}' new -A -s cc "${claude}"`;
    } else {
      command = `cd '${project}' && exec ${claude}`;
    }
    let client: PtyProgram;
    if (options.viaCli === true) {
      // As a user runs it: `tsmosh --local -- …`, which asks the terminal, starts the session and draws it.
      const args = [TSMOSH_BIN, '--local', '--', 'env', ...envWords, 'sh', '-c', command];
      client = suite.track(new PtyProgram({ args, env: { ...suite.workspace().env, ...options.clientEnv }, answerQueries: true, cols: 100, rows: 30 }));
    } else {
      const target = await suite.workspace().newSession(['env', ...envWords, 'sh', '-c', command], options.serverArgs ?? []);
      client = suite.track(startClient(suite.workspace(), target, { answerQueries: true, cols: 100, rows: 30, ...(options.clientEnv ? { env: options.clientEnv } : {}) }));
    }
    const local = new LocalTerminal(client, profile);
    await client.waitFor("Claude Code's prompt box", (lines) => lines.some((l) => /^\s*[>❯](\s|$)/.test(l)) && !lines.join('\n').match(/trust/i), CLAUDE_WAIT_MS);
    return { client, local, requestsBefore: api.requests.length, home };
  }

  /** Types two lines joined by Shift+Enter; returns the bytes the local terminal sent for it. */
  async function typeTwoLines(client: PtyProgram, local: LocalTerminal): Promise<string> {
    client.type('first line');
    await client.waitForText('first line', CLAUDE_WAIT_MS);
    const sent = local.pressShiftEnter();
    client.type('second line');
    await client.waitForText('second line', CLAUDE_WAIT_MS);
    return sent;
  }

  /** Rows of the screen holding `text`. */
  const rowOf = (lines: string[], text: string): number => lines.findIndex((l) => l.includes(text));

  it('through tmux, a kitty-like terminal: Shift+Enter inserts a newline (modifyOtherKeys), Enter then submits both lines', async () => {
    const { client, local, requestsBefore } = await start(KITTY, { tmux: true });
    // tmux asked the mirror for modifyOtherKeys; the client set it on the local terminal.
    const deadline = Date.now() + CLAUDE_WAIT_MS;
    while (local.modifyOtherKeys === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(local.modifyOtherKeys, local.modeLog.join(', ')).toBeGreaterThan(0);
    expect(await typeTwoLines(client, local)).toBe('\x1b[27;2;13~');
    const lines = await client.screen();
    expect(rowOf(lines, 'second line'), lines.join('\n')).toBe(rowOf(lines, 'first line') + 1);
    expect(api!.requests.length).toBe(requestsBefore);
    client.type('\r');
    await client.waitForText('paragraph 12 of a long answer', CLAUDE_WAIT_MS);
    expect(JSON.stringify(api!.requests.slice(requestsBefore))).toContain('first line\\nsecond line');
  }, 240_000);

  it('without tmux, a kitty-like terminal named by TERM_PROGRAM: Claude Code pushes kitty flags and Shift+Enter inserts a newline', async () => {
    const { client, local, requestsBefore } = await start(KITTY, { tmux: false, serverArgs: ['-e', 'TERM_PROGRAM=kitty'] });
    const deadline = Date.now() + CLAUDE_WAIT_MS;
    while ((local.kittyFlags & 1) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(local.kittyFlags & 1, local.modeLog.join(', ')).toBe(1);
    expect(await typeTwoLines(client, local)).toBe('\x1b[13;2u');
    const lines = await client.screen();
    expect(rowOf(lines, 'second line'), lines.join('\n')).toBe(rowOf(lines, 'first line') + 1);
    expect(api!.requests.length).toBe(requestsBefore);
  }, 240_000);

  it("through tmux started with the session, Claude Code names the local terminal from its XTVERSION (tsmosh-server new --terminal-answers, as tsmosh passes it)", async () => {
    const named = async (serverArgs: string[]): Promise<string> => {
      const log = join(mkdtempSync(join(tmpdir(), 'tsmosh-cc-log-')), 'debug.txt');
      dirs.push(dirname(log));
      await start(KITTY, { tmux: true, serverArgs, claudeArgs: ['--debug-file', log] });
      const identified = /XTVERSION: terminal identified as "([^"]*)"/;
      return identified.exec(await debugLogShowing(log, identified, 'the terminal named'))![1]!;
    };
    // tmux asked its terminal (the mirror) at its start, before any client: the option's answer reached it.
    expect(await named(['--terminal-answers', '3:kitty(0.39.1)'])).toBe('kitty(0.39.1)');
    // Without it, nothing is invented: tmux knows no name for its terminal, and Claude Code is left with tmux's own.
    expect(await named([])).toMatch(/^tmux /);
  }, 240_000);

  it('as a user runs it, tsmosh --local -- tmux new -A -s cc claude on a kitty-like terminal: Claude Code names kitty, Shift+Enter inserts a newline', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'tsmosh-cc-log-')), 'debug.txt');
    dirs.push(dirname(log));
    const { client, local, requestsBefore } = await start(KITTY, { tmux: true, viaCli: true, clientEnv: { TERM_PROGRAM: 'kitty' }, claudeArgs: ['--debug-file', log] });
    const deadline = Date.now() + CLAUDE_WAIT_MS;
    const text = await debugLogShowing(log, /XTVERSION: (no reply|terminal identified)/, "its probe's end");
    expect(text).toContain('XTVERSION: terminal identified as "kitty(0.39.1)"');
    while (local.modifyOtherKeys === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await typeTwoLines(client, local)).toBe('\x1b[27;2;13~');
    const lines = await client.screen();
    expect(rowOf(lines, 'second line'), lines.join('\n')).toBe(rowOf(lines, 'first line') + 1);
    expect(api!.requests.length).toBe(requestsBefore);
  }, 240_000);

  it('without tmux, a terminal that knows neither: Claude Code is not told of a kitty protocol it lacks, pushes nothing, and Shift+Enter submits', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'tsmosh-cc-log-')), 'debug.txt');
    dirs.push(dirname(log));
    // What tsmosh passes for an xterm.js-like terminal: DEC 2026 known, no kitty answer, no XTVERSION.
    const { client, local, requestsBefore } = await start(PLAIN, { tmux: false, serverArgs: ['--terminal-answers', '2:'], claudeArgs: ['--debug-file', log] });
    const text = await debugLogShowing(log, /XTVERSION: (no reply|terminal identified)/, "its probe's end");
    expect(text).toContain('XTVERSION: no reply');
    client.type('first line');
    await client.waitForText('first line', CLAUDE_WAIT_MS);
    expect(local.modeLog.filter((mode) => mode.startsWith('push'))).toEqual([]);
    expect(local.pressShiftEnter()).toBe('\r');
    await client.waitForText('paragraph 12 of a long answer', CLAUDE_WAIT_MS);
    expect(api!.requests.length).toBeGreaterThan(requestsBefore);
  }, 240_000);

  it('through tmux, a terminal that knows neither: Shift+Enter is Enter and submits (the control case)', async () => {
    const { client, local, requestsBefore } = await start(PLAIN, { tmux: true });
    client.type('first line');
    await client.waitForText('first line', CLAUDE_WAIT_MS);
    expect(local.pressShiftEnter()).toBe('\r');
    await client.waitForText('paragraph 12 of a long answer', CLAUDE_WAIT_MS);
    expect(api!.requests.length).toBeGreaterThan(requestsBefore);
  }, 240_000);
});
