/**
 * The real Claude Code side by side: the same session run straight in a terminal and through `tsmosh --local` over a
 * lossy link, fed the same keys and the same window sizes, must leave the user's terminal showing the same thing,
 * screen and history, after typing (with a correction), a streamed answer, a smaller window and a larger one.
 *
 * The user's terminal is a tmux pane (one tmux server per side, so neither sees the other). This is how the
 * alternate-screen fix (b7fe1c1) was found: each screen matched, but every shorter window pushed rows of the
 * remote tmux's screen into the user's history through tsmosh and not straight. Comparing with the direct run
 * instead of with expected text keeps the test about tsmosh, not about what a given Claude Code version draws.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TSMOSH_BIN, WAIT_MS, Workspace, requireBuilt } from './client-harness.js';
import { claudeCodeEnvironment, ensureClaudeCode, longMarkdownAnswer, removeClaudeCodeDirectories, startMessagesStandIn, type MessagesStandIn } from './helpers/claude-code.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** The link tsmosh's side runs over: long enough that prediction shows keys before their echo, lossy enough to resend. */
const LINK = 'delay=50ms,loss=5%';
/** Gap between typed keys (ms): a quick typist, so keys overlap their echo on the 100 ms round trip. */
const KEY_GAP_MS = 70;
/** How long both sides must show the same thing before a step counts as compared (ms): out-waits a repaint in flight. */
const AGREE_FOR_MS = 600;

type Side = 'direct' | 'tsmosh';
const SIDES: readonly Side[] = ['direct', 'tsmosh'];

interface Terminal {
  readonly tmux: (...args: string[]) => string;
  readonly project: string;
}

/**
 * What may differ between two correct runs: each side's own project folder (same length, so wrapping matches), the
 * random verb and clock of Claude Code's "✻ Brewed for 0s · done 5:10 AM" line, and the clock on tmux's status line.
 */
function normalize(text: string, project: string): string {
  return text
    .split(project).join('<project>')
    .replace(/^✻ \S+ for .*$/gmu, '✻ <verb> for <time>')
    .replace(/\d\d:\d\d \d\d-[A-Z][a-z]{2}-\d\d$/gmu, '<clock>')
    .replace(/\s+$/u, '');
}

function rowDiff(direct: string, tsmosh: string): string {
  const a = direct.split('\n');
  const b = tsmosh.split('\n');
  const rows: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) rows.push(`row ${i}:\n  direct ${JSON.stringify(a[i] ?? '(none)')}\n  tsmosh ${JSON.stringify(b[i] ?? '(none)')}`);
  }
  return `${rows.length} of ${Math.max(a.length, b.length)} rows differ (first 12):\n${rows.slice(0, 12).join('\n')}`;
}

describe('the real Claude Code, straight and through tsmosh --local, side by side', () => {
  let api: MessagesStandIn | undefined;
  const workspace = (() => { requireBuilt(); return new Workspace(); })();
  const dirs: string[] = [];
  const sockets: string[] = [];
  afterAll(async () => {
    for (const socket of sockets) { try { execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' }); } catch { /* gone */ } }
    await workspace.dispose();
    await api?.close();
    await removeClaudeCodeDirectories(dirs);
  });

  /** One terminal per side, 100x30, running `remote` (a shell command) straight or through tsmosh. */
  function openTerminals(remote: (project: string, home: string) => string, baseUrl: string): Record<Side, Terminal> {
    const terminals = {} as Record<Side, Terminal>;
    for (const side of SIDES) {
      // Same-length prefixes: the project path shows in Claude Code's header, and its length decides the wrapping.
      const project = mkdtempSync(join(tmpdir(), `tsmosh-ccside-${side}-`));
      const { home, env } = claudeCodeEnvironment(baseUrl, project);
      const user = mkdtempSync(join(tmpdir(), 'tsmosh-ccside-user-'));
      dirs.push(project, home, user);
      const socket = join(user, 'tmux.sock');
      sockets.push(socket, join(home, 'tmux.sock'));
      // TMUX unset: Claude Code reads it to hint about the user's tmux, which only the direct side would inherit.
      const envWords = Object.entries(env).map(([name, value]) => `${name}='${value}'`).join(' ');
      const inner = `cd '${project}' && exec env -u TMUX -u TMUX_PANE ${envWords} ${remote(project, home)}`;
      const command = side === 'direct'
        ? `sh -c "${inner}"`
        : `'${process.execPath}' '${TSMOSH_BIN}' --local --link ${LINK} -- sh -c "${inner}"`;
      const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: workspace.env });
      tmux('new-session', '-d', '-s', 'user', '-x', '100', '-y', '30', command);
      terminals[side] = { tmux, project };
    }
    return terminals;
  }

  function view(terminal: Terminal, history: boolean): string {
    return normalize(terminal.tmux('capture-pane', '-p', ...(history ? ['-S', '-'] : []), '-t', 'user'), terminal.project);
  }

  /**
   * Waits until the direct side shows `milestone`, then until both show the same screen and history for
   * AGREE_FOR_MS; fails with the rows that differ.
   */
  async function agree(terminals: Record<Side, Terminal>, step: string, milestone: (screen: string) => boolean): Promise<string> {
    const deadline = Date.now() + 3 * WAIT_MS;
    while (!milestone(view(terminals.direct, false))) {
      if (Date.now() > deadline) throw new Error(`${step}: the direct side never showed its milestone; it shows:\n${view(terminals.direct, false)}`);
      await sleep(100);
    }
    let direct = '';
    let tsmosh = '';
    let sameSince: number | undefined;
    while (Date.now() < deadline) {
      direct = view(terminals.direct, true);
      tsmosh = view(terminals.tsmosh, true);
      if (direct === tsmosh) {
        sameSince ??= Date.now();
        if (Date.now() >= sameSince + AGREE_FOR_MS) return direct;
      } else {
        sameSince = undefined;
      }
      await sleep(100);
    }
    expect.fail(`${step}: through tsmosh the terminal does not show what it shows straight; ${rowDiff(direct, tsmosh)}`);
  }

  async function typeSlowly(terminals: Record<Side, Terminal>, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      for (const side of SIDES) terminals[side].tmux('send-keys', '-t', 'user', ...(key.length === 1 ? ['-l', key] : [key]));
      await sleep(KEY_GAP_MS);
    }
  }

  function resize(terminals: Record<Side, Terminal>, columns: number, rows: number): void {
    for (const side of SIDES) terminals[side].tmux('resize-window', '-t', 'user', '-x', String(columns), '-y', String(rows));
  }

  // Claude Code's prompt marker is followed by a no-break space, hence \s rather than ' '.
  const promptBox = (screen: string): boolean => /^❯(\s|$)/mu.test(screen) && !/trust/iu.test(screen);
  const answered = (screen: string): boolean => /^✻ <verb> for <time>$/mu.test(screen) && screen.includes('paragraph 6 of a long answer');

  async function converse(terminals: Record<Side, Terminal>): Promise<void> {
    await agree(terminals, 'at start', promptBox);
    await typeSlowly(terminals, [...'Explain teh', 'BSpace', 'BSpace', ...'he link please']);
    const typed = await agree(terminals, 'the typed prompt, corrected', (screen) => /❯\s+Explain the link please/u.test(screen));
    expect(typed).toContain('Explain the link please');
    await typeSlowly(terminals, ['Enter']);
    await sleep(1000);
    await typeSlowly(terminals, [...'and a second question']);
    const answer = await agree(terminals, 'the streamed answer, a second prompt typed during it', (screen) => answered(screen) && /❯\s+and a second question/u.test(screen));
    expect(answer).toContain('paragraph 6 of a long answer');
    resize(terminals, 80, 24);
    await agree(terminals, 'a smaller window (80x24)', (screen) => answered(screen) && screen.split('\n').length <= 24);
    resize(terminals, 120, 40);
    await agree(terminals, 'a larger window (120x40)', (screen) => answered(screen) && screen.includes('─'.repeat(110)));
  }

  it('Claude Code on the normal screen (as it draws without tmux): screen and history agree at every step', async () => {
    const bin = ensureClaudeCode();
    api ??= await startMessagesStandIn({ chunkDelayMs: 5, answer: longMarkdownAnswer(6) });
    await converse(openTerminals(() => `'${bin}'`, api.baseUrl));
  }, 300_000);

  it('Claude Code in tmux new -A -s cc (the alternate screen): screen and history agree at every step', async () => {
    const bin = ensureClaudeCode();
    api ??= await startMessagesStandIn({ chunkDelayMs: 5, answer: longMarkdownAnswer(6) });
    await converse(openTerminals((_project, home) => `tmux -S '${join(home, 'tmux.sock')}' -f /dev/null new -A -s cc '${bin}'`, api.baseUrl));
  }, 300_000);
});
