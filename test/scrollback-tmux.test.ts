/**
 * Native scrollback end to end (issue 14), with tmux as the user's terminal: the real tsmosh-client runs in a tmux
 * pane, a named session's bash runs in the daemon, and `tmux capture-pane -S -` reads the pane's history plus its
 * screen. After a flood, slow output, a 5 s outage (the lossy proxy's blackout), two resizes (shorter, then
 * taller) and a reattach from a new client, every line is there exactly once, in order; vim leaves nothing behind.
 * A shorter window while the history is still catching up with the screen loses no line either, nor does one while
 * vim shows (drawn on the terminal's alternate screen, it leaves nothing in the history). Nor do suspensions: a
 * kill -STOP / -CONT nothing acted on, Ctrl-^ Ctrl-Z and `fg` from an interactive shell, and a kill -STOP the shell
 * acted on, continued in the background and then brought back with `fg`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startUdpProxy, type UdpProxy } from '@tsmosh/netem/udp';
import { CLIENT_BIN, SERVER_BIN, WAIT_MS, clientTestSuite } from './client-harness.js';

const run = promisify(execFile);
const suite = clientTestSuite();

/** A private tmux server (its own socket and config) standing in for the user's terminal. */
class Tmux {
  private readonly dir = mkdtempSync(join(tmpdir(), 'tsmosh-tmux-'));
  private readonly socket = join(this.dir, 'socket');
  private readonly config = join(this.dir, 'tmux.conf');

  constructor(private readonly env: Record<string, string>) {
    // A deep history, no status line (the pane is the whole window). (window-size manual in a config file makes
    // tmux 3.3a's server exit at start; resize-window sets it for its window anyway.)
    writeFileSync(this.config, 'set -g history-limit 100000\nset -g status off\n');
  }

  async run(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.socket, '-f', this.config, ...args], { env: this.env, timeout: WAIT_MS });
    return stdout;
  }

  /** A detached session `name` of cols×rows running the client for `target`. */
  async startClient(name: string, target: { host: string; port: number; key: string }, cols: number, rows: number): Promise<void> {
    const command = [process.execPath, CLIENT_BIN, target.host, String(target.port)].map((word) => `'${word}'`).join(' ');
    await this.run('new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), '-e', `TSMOSH_KEY=${target.key}`, '-e', 'TSMOSH_PREDICTION_DISPLAY=never', command);
  }

  /** History and screen, soft-wrapped lines joined, trailing blank lines dropped. */
  async capture(name: string): Promise<string[]> {
    const lines = (await this.run('capture-pane', '-p', '-J', '-S', '-', '-t', name)).split('\n').map((line) => line.trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  async waitFor(name: string, what: string, test: (lines: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + WAIT_MS;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = await this.capture(name);
      if (test(lines)) return lines;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`tmux pane ${name} never showed ${what}; it shows:\n${lines.slice(-30).join('\n')}`);
  }

  async type(name: string, line: string): Promise<void> {
    await this.run('send-keys', '-t', name, '-l', line);
    await this.run('send-keys', '-t', name, 'Enter');
  }

  async dispose(): Promise<void> {
    await this.run('kill-server').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The pid of the client process a pane runs (its own, or its child's when the pane's shell forked it). */
async function clientPid(tmux: Tmux, name: string): Promise<number> {
  const pane = Number((await tmux.run('display-message', '-p', '-t', name, '#{pane_pid}')).trim());
  const isClient = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(CLIENT_BIN);
    } catch {
      return false;
    }
  };
  if (isClient(pane)) return pane;
  const { stdout } = await run('pgrep', ['-P', String(pane)]);
  const child = stdout.split('\n').map(Number).find((pid) => pid > 0 && isClient(pid));
  if (child === undefined) throw new Error(`no client process under pane ${name} (pid ${pane})`);
  return child;
}

/** Lines the remote loop prints. */
const TICKS = 150;
/**
 * The remote loop: a `tick N` line every 50 ms or so, then `loop-done`. It ends by itself: a Ctrl-C typed just
 * after a stop and continue was lost now and then, before this change too (noted in docs/sessions.md).
 */
const TICK_LOOP = `for i in $(seq 1 ${TICKS}); do echo tick $i; sleep 0.05; done; echo loop-done`;
const ticksIn = (lines: readonly string[]): number[] => lines.filter((line) => /^tick \d+$/.test(line)).map((line) => Number(line.slice(5)));

const numbersIn = (lines: readonly string[]): number[] => lines.filter((line) => /^\d+$/.test(line)).map(Number);
const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const hasLine = (line: string) => (lines: string[]) => lines.includes(line);

/** A new unnamed session running bash: the daemon's `TSMOSH CONNECT` line, port in [1], key in [2]. */
async function newBash(env: Record<string, string>): Promise<RegExpExecArray> {
  const { stdout } = await run(process.execPath, [SERVER_BIN, 'new', '--', 'bash', '--norc', '--noprofile'], { env, timeout: WAIT_MS });
  const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(stdout);
  if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}`);
  return match;
}

/**
 * A pane `name` whose interactive bash (job control, prompt `local$`) runs the client for the session `match`
 * (newBash), which runs TICK_LOOP: returns once a screenful of ticks shows.
 */
async function ticksUnderShell(pane: Tmux, name: string, match: RegExpExecArray): Promise<void> {
  await pane.run('new-session', '-d', '-s', name, '-x', '80', '-y', '24', 'bash --norc --noprofile -i');
  await pane.type(name, 'PS1="local$ "');
  const client = [process.execPath, CLIENT_BIN, '127.0.0.1', match[1]!].map((word) => `'${word}'`).join(' ');
  await pane.type(name, `TSMOSH_KEY=${match[2]} TSMOSH_PREDICTION_DISPLAY=never ${client}`);
  await pane.waitFor(name, 'the remote prompt', (lines) => lines.at(-1) === '$');
  await pane.type(name, TICK_LOOP);
  await pane.waitFor(name, 'a screenful of ticks', hasLine('tick 30'));
}

/**
 * Waits for the remote TICK_LOOP's end and checks the pane: every tick once and in order, the command line once.
 * Returns the pane's lines.
 */
async function endTicks(pane: Tmux, name: string): Promise<string[]> {
  const lines = await pane.waitFor(name, 'the end of the loop', hasLine('loop-done'));
  expect(ticksIn(lines)).toEqual(oneTo(TICKS));
  expect(lines.filter((line) => line === `$ ${TICK_LOOP}`).length).toBe(1);
  return lines;
}

describe('native scrollback in tmux', () => {
  let tmux: Tmux | undefined;
  let proxy: UdpProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
    await tmux?.dispose();
  });

  it('holds every line exactly once, in order, through a flood, slow output, an outage and a reattach', async () => {
    const workspace = suite.workspace();
    await workspace.ensureDaemon();
    const newNamed = async (): Promise<{ port: number; key: string }> => {
      const { stdout } = await run(process.execPath, [SERVER_BIN, 'new', '--name', 'history', '--', 'bash', '--norc', '--noprofile'], { env: workspace.env, timeout: WAIT_MS });
      const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(stdout);
      if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}`);
      return { port: Number(match[1]), key: match[2]! };
    };
    const first = await newNamed();
    proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: first.port }, profile: 'loss=2%,delay=2ms', seed: 14 });
    tmux = new Tmux(workspace.env);
    await tmux.startClient('one', { host: proxy.address.host, port: proxy.address.port, key: first.key }, 80, 24);
    await tmux.waitFor('one', 'the prompt', (lines) => lines.some((line) => line.startsWith('$')));

    // A flood at full speed.
    await tmux.type('one', 'seq 1 2000; echo done-1');
    await tmux.waitFor('one', 'the end of the flood', hasLine('done-1'));
    // Slow output.
    await tmux.type('one', 'for i in $(seq 2001 2040); do echo $i; sleep 0.02; done; echo done-2');
    await tmux.waitFor('one', 'the end of the slow output', hasLine('done-2'));
    // A 5 s outage in the middle of output.
    await tmux.type('one', 'for i in $(seq 2041 2640); do echo $i; sleep 0.01; done; echo done-3');
    await tmux.waitFor('one', 'output under way', hasLine('2060'));
    proxy.setBlackout(true);
    await new Promise((r) => setTimeout(r, 5000));
    proxy.setBlackout(false);
    await tmux.waitFor('one', 'the end of the output across the outage', hasLine('done-3'));
    // The history follows the screen a window at a time after the outage: resized before it has caught up, the
    // shorter window pushes screen rows into a history that lacks the lines before them (docs/sessions.md, known
    // limits; CI lost 8 lines and doubled 8 so). A person's resize a moment later is the case tested here.
    await tmux.waitFor('one', 'the history caught up', (lines) => numbersIn(lines).length >= 2640);
    // A shorter window, more output, then a taller one and more output: tmux pushes lines into its history and
    // pulls them back as the daemon's mirror does, and the client writes each line once all the same.
    await tmux.run('resize-window', '-t', 'one', '-x', '80', '-y', '16');
    // As after the taller resize below: output in the same instant as the shrink can race it (docs/sessions.md, known
    // limits). Typed at once, one CI run in about six lost the 14 lines the shrink pushed up and wrote 14 later ones twice.
    await new Promise((r) => setTimeout(r, 1000));
    await tmux.type('one', 'seq 2641 2700; echo done-4');
    await tmux.waitFor('one', 'the output in the shorter window', hasLine('done-4'));
    await tmux.run('resize-window', '-t', 'one', '-x', '80', '-y', '30');
    // A person looks at the taller window before typing; output in the same instant as the resize can race it
    // (docs/sessions.md, known limits).
    await new Promise((r) => setTimeout(r, 1000));
    await tmux.type('one', 'echo taller');
    await tmux.waitFor('one', 'the taller window', hasLine('taller'));
    await tmux.type('one', 'seq 2701 2800; echo done-5');
    const firstPane = await tmux.waitFor('one', 'the last output', hasLine('done-5'));
    expect(numbersIn(firstPane)).toEqual(oneTo(2800));

    // A new client attaches (the first is taken over): the session's history comes before its screen.
    const second = await newNamed();
    await tmux.startClient('two', { host: '127.0.0.1', port: second.port, key: second.key }, 80, 24);
    // The history follows a few hundred lines a state (history-window.ts LOG_LINES_PER_STATE): wait until it is all there.
    const secondPane = await tmux.waitFor('two', 'the session with its history', (lines) => hasLine('done-5')(lines) && numbersIn(lines).length >= 2800);
    expect(numbersIn(secondPane)).toEqual(oneTo(2800));

    // A full-screen program leaves nothing in the history, as in a local terminal: drawn on the terminal's alternate
    // screen, a shorter window pushes none of its rows into the history (only the normal screen's below it, which
    // the daemon's mirror pushes too), and a taller one pulls them back.
    await tmux.type('two', 'vim -u NONE -i NONE');
    await tmux.waitFor('two', 'vim', (lines) => lines.filter((line) => line === '~').length > 5);
    await tmux.run('resize-window', '-t', 'two', '-x', '80', '-y', '16');
    await tmux.waitFor('two', 'vim in the shorter window', (lines) => lines.filter((line) => line === '~').length === 14);
    await new Promise((r) => setTimeout(r, 1000));
    await tmux.run('resize-window', '-t', 'two', '-x', '80', '-y', '24');
    await tmux.waitFor('two', 'vim in the taller window', (lines) => lines.filter((line) => line === '~').length === 22);
    await new Promise((r) => setTimeout(r, 1000));
    await tmux.type('two', ':q');
    // Typed before vim is gone, the next line would be vim's typeahead, read and dropped as it exits (one CI run lost
    // `echo done-6` so): a person waits for the prompt too.
    await tmux.waitFor('two', 'the shell back from vim', (lines) => !lines.includes('~') && lines.at(-1) === '$' && lines.at(-2) === '$ vim -u NONE -i NONE');
    await tmux.type('two', 'echo done-6');
    const afterVim = await tmux.waitFor('two', 'the prompt after vim', hasLine('done-6'));
    expect(afterVim.filter((line) => line === '~')).toEqual([]);
    expect(numbersIn(afterVim)).toEqual(oneTo(2800));
  }, 120_000);

  it('a shorter window while the history is still catching up loses no line; the pushed rows show once more above the gap', async () => {
    const workspace = suite.workspace();
    await workspace.ensureDaemon();
    const { stdout } = await run(process.execPath, [SERVER_BIN, 'new', '--name', 'lagging', '--', 'bash', '--norc', '--noprofile'], { env: workspace.env, timeout: WAIT_MS });
    const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(stdout);
    if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}`);
    // A 300 ms round trip: after the outage the history follows the screen one window (history-window.ts) per round
    // trip, so 6000 lines take seconds to catch up while the screen is there at once.
    const slow = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: Number(match[1]) }, profile: 'delay=150ms', seed: 15 });
    const pane = new Tmux(workspace.env);
    try {
      await pane.startClient('lag', { host: slow.address.host, port: slow.address.port, key: match[2]! }, 80, 24);
      await pane.waitFor('lag', 'the prompt', (lines) => lines.some((line) => line.startsWith('$')));
      // The command is typed, then the link goes dark while it runs.
      await pane.type('lag', 'sleep 1; seq 1 6000; echo done-lag');
      await pane.waitFor('lag', 'the command line', hasLine('$ sleep 1; seq 1 6000; echo done-lag'));
      slow.setBlackout(true);
      await new Promise((r) => setTimeout(r, 3000));
      slow.setBlackout(false);
      const atResize = await pane.waitFor('lag', 'the screen after the outage', hasLine('done-lag'));
      await pane.run('resize-window', '-t', 'lag', '-x', '80', '-y', '16');
      // The case under test: the screen is back, its history not yet (otherwise this test shows nothing).
      expect(numbersIn(atResize).length).toBeLessThan(6000 - 200);
      const after = await pane.waitFor('lag', 'the history caught up', (lines) => new Set(numbersIn(lines)).size >= 6000);
      const numbers = numbersIn(after);
      // None lost. The rows the shorter window pushed (8: 24 → 16 rows, the prompt's row among them) landed after
      // the lines written so far, so they show twice: first out of place, then in order with the rest.
      const seen = new Set<number>();
      const firstCopies = numbers.filter((n) => (seen.has(n) ? false : (seen.add(n), numbers.indexOf(n) !== numbers.lastIndexOf(n))));
      expect(firstCopies.length).toBeLessThanOrEqual(8);
      const inPlace = numbers.filter((n, i) => !(firstCopies.includes(n) && numbers.indexOf(n) === i));
      expect(inPlace).toEqual(oneTo(6000));
    } finally {
      await slow.close();
      await pane.dispose();
    }
  }, 120_000);

  it('a stop and continue from outside (kill -STOP, -CONT) leaves every line once: the screen is not pushed up again', async () => {
    const workspace = suite.workspace();
    await workspace.ensureDaemon();
    const match = await newBash(workspace.env);
    const pane = new Tmux(workspace.env);
    try {
      // The pane runs the client itself: nothing takes the terminal while it is stopped.
      await pane.startClient('stop', { host: '127.0.0.1', port: Number(match[1]), key: match[2]! }, 80, 24);
      await pane.waitFor('stop', 'the prompt', (lines) => lines.some((line) => line.startsWith('$')));
      await pane.type('stop', TICK_LOOP);
      await pane.waitFor('stop', 'a screenful of ticks', hasLine('tick 30'));
      const pid = await clientPid(pane, 'stop');
      process.kill(pid, 'SIGSTOP');
      // The loop goes on remotely, scrolling lines off the remote screen.
      await new Promise((r) => setTimeout(r, 2000));
      process.kill(pid, 'SIGCONT');
      await endTicks(pane, 'stop');
    } finally {
      await pane.dispose();
    }
  }, 60_000);

  it('Ctrl-^ Ctrl-Z, the local shell, then fg: the remote lines once, the note and the shell\'s lines kept in place', async () => {
    const workspace = suite.workspace();
    await workspace.ensureDaemon();
    const match = await newBash(workspace.env);
    const pane = new Tmux(workspace.env);
    try {
      // An interactive shell with job control runs the client, as a user's terminal does.
      await ticksUnderShell(pane, 'fg', match);
      await pane.run('send-keys', '-t', 'fg', 'C-^');
      await pane.run('send-keys', '-t', 'fg', 'C-z');
      await pane.waitFor('fg', 'the local prompt', (lines) => lines.at(-1) === 'local$' && lines.includes('[tsmosh is suspended.]'));
      await pane.type('fg', 'echo local-$((6*7))');
      await pane.waitFor('fg', 'the local output', hasLine('local-42'));
      await pane.type('fg', 'fg');
      const lines = await endTicks(pane, 'fg');
      // The note and the shell's lines once each, where they were written: after the ticks the screen showed at the
      // suspension, before the ticks printed after fg.
      const note = lines.indexOf('[tsmosh is suspended.]');
      const local = lines.indexOf('local-42');
      const fg = lines.indexOf('local$ fg');
      expect([lines.filter((line) => line === '[tsmosh is suspended.]').length, lines.filter((line) => line === 'local-42').length]).toEqual([1, 1]);
      expect(note).toBeGreaterThan(lines.indexOf('tick 30'));
      expect(local).toBeGreaterThan(note);
      expect(fg).toBeGreaterThan(local);
      expect(fg).toBeLessThan(lines.indexOf(`tick ${TICKS}`));
    } finally {
      await pane.dispose();
    }
  }, 60_000);

  it('kill -STOP under an interactive shell, kill -CONT, then fg: the remote lines once, the shell\'s lines in place', async () => {
    const workspace = suite.workspace();
    await workspace.ensureDaemon();
    const match = await newBash(workspace.env);
    const pane = new Tmux(workspace.env);
    try {
      // The lead's case: the client's parent is an interactive bash, which takes the terminal when the client stops.
      await ticksUnderShell(pane, 'job', match);
      const pid = await clientPid(pane, 'job');
      process.kill(pid, 'SIGSTOP');
      await pane.waitFor('job', 'the shell saying so', (lines) => lines.some((line) => line.startsWith('[1]+  Stopped')) && lines.at(-1) === 'local$');
      // A person's pause: a stop of under a second (QUIET_BEFORE_DRAW_TURN_MS) may have the shell's lines painted over.
      await new Promise((r) => setTimeout(r, 2000));
      // Continued in the background (it stops again as soon as it takes the terminal's modes), then brought back.
      process.kill(pid, 'SIGCONT');
      await new Promise((r) => setTimeout(r, 1500));
      await pane.type('job', 'fg');
      const lines = await endTicks(pane, 'job');
      expect(lines.indexOf('local$ fg')).toBeGreaterThan(lines.findIndex((line) => line.startsWith('[1]+  Stopped')));
      expect(lines.indexOf('local$ fg')).toBeLessThan(lines.indexOf(`tick ${TICKS}`));
    } finally {
      await pane.dispose();
    }
  }, 60_000);

  it("keeps what the user's terminal showed before the client started: it goes up into the history, not under the first frame", async () => {
    const workspace = suite.workspace();
    await workspace.ensureDaemon();
    const match = await newBash(workspace.env);
    const pane = new Tmux(workspace.env);
    try {
      await pane.run('new-session', '-d', '-s', 'before', '-x', '80', '-y', '12', 'bash --norc --noprofile');
      await pane.type('before', 'PS1="local$ "; for i in 1 2 3; do echo local-line-$i; done');
      await pane.waitFor('before', 'the local output', hasLine('local-line-3'));
      const client = [process.execPath, CLIENT_BIN, '127.0.0.1', match[1]!].map((word) => `'${word}'`).join(' ');
      await pane.type('before', `TSMOSH_KEY=${match[2]} ${client}`);
      await pane.type('before', 'echo remote-says-hi');
      const lines = await pane.waitFor('before', 'the remote output', hasLine('remote-says-hi'));
      // Above the remote screen, in order: the local lines and the command that started the client, each once.
      const local = lines.filter((line) => /^local-line-\d$/.test(line));
      expect(local).toEqual(['local-line-1', 'local-line-2', 'local-line-3']);
      expect(lines.indexOf('local-line-3')).toBeLessThan(lines.indexOf('remote-says-hi'));
      expect(lines.filter((line) => line.startsWith('local$ TSMOSH_KEY=')).length).toBe(1);
    } finally {
      await pane.dispose();
    }
  }, 60_000);
});
