import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { SessionKey } from '@tsmosh/protocol';
import { CLIENT_BIN, PtyProgram, READY, SERVER_BIN, catWhenReady, clientTestSuite, runBin, startClient } from './client-harness.js';
import { waitUntil } from './server-helpers.js';

/**
 * tsmosh-client against a real tsmosh-server daemon over loopback UDP, driven in a real pty and read back through a
 * headless terminal: what a user at a terminal would see.
 */

const suite = clientTestSuite();

function client(target: { host?: string; port: number; key: string }, options: { cols?: number; rows?: number; env?: Record<string, string>; answerQueries?: boolean } = {}): PtyProgram {
  return suite.track(startClient(suite.workspace(), target, options));
}

describe('tsmosh-client with a real server', () => {
  it('runs a shell: typed commands run remotely and their output is painted', async () => {
    const c = client(await suite.workspace().newSession());
    await c.waitForText('$');
    c.type('echo "hello from $((6 * 7))"\r');
    await c.waitForText('hello from 42');
    c.type('exit\r');
    const { exitCode } = await c.waitForExit();
    expect(exitCode).toBe(0);
  });

  it('exits cleanly with the reason when the remote command exits, and leaves the terminal restored', async () => {
    const c = client(await suite.workspace().newSession(['sh', '-c', 'printf "last words\\n"; sleep 0.5']));
    const { exitCode } = await c.waitForExit();
    expect(exitCode).toBe(0);
    const text = await c.screenText();
    expect(text).toContain('last words');
    // As ssh: the command's end is told by the exit status alone.
    expect(text).not.toContain('tsmosh:');
    expect(c.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false, mouse: 'none', bracketedPaste: false });
  });

  it('sends window resizes: the remote program sees the new size', async () => {
    const c = client(await suite.workspace().newSession(), { cols: 80, rows: 24 });
    await c.waitForText('$');
    c.type('stty size\r');
    await c.waitForLine('24 80');
    c.resize(100, 30);
    c.type('clear; until [ "$(stty size)" = "30 100" ]; do sleep 0.1; done; stty size\r');
    // The loop's output, not the command line's own "30 100": its echo (drawn as typed, guesses being shown on a
    // fast link) is on screen before the shell has run the loop, and a resize sent then would leave the loop
    // waiting for a size that is gone, with the next command typed ahead on the tty.
    await c.waitForLine('30 100');
    c.resize(60, 20);
    // Keys typed at once can reach the client before the SIGWINCH of the resize (as in any terminal), so the command
    // waits for the size to arrive; it must arrive for the wait below to succeed.
    c.type('clear; until [ "$(tput cols)" = 60 ]; do sleep 0.1; done; tput cols; tput lines\r');
    await c.waitFor('60 columns and 20 lines', (lines) => lines.some((l) => l.trim() === '60') && lines.some((l) => l.trim() === '20'));
    c.type('exit\r');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it('shows a full-screen program (less) and restores the terminal after it', async () => {
    const c = client(await suite.workspace().newSession(['sh', '-c', 'seq 1 200 | less']), { cols: 80, rows: 24 });
    // less fills the screen with lines 1..23 and its prompt.
    await c.waitFor('less showing 1..23', (lines) => lines[0]!.trim() === '1' && lines[22]!.trim() === '23');
    c.type(' '); // next page
    await c.waitFor('the second page', (lines) => lines[0]!.trim() === '24' && lines[22]!.trim() === '46');
    c.type('G'); // end
    await c.waitForText('(END)');
    expect((await c.screen()).some((l) => l.trim() === '200')).toBe(true);
    c.type('q');
    expect((await c.waitForExit()).exitCode).toBe(0);
    expect(c.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false, applicationCursorKeys: false });
  });

  it('shows vim, whose screen and modes follow its keystrokes', async () => {
    const c = client(await suite.workspace().newSession(['vim', '-u', 'NONE', '-N', '-n', '-i', 'NONE']), { cols: 80, rows: 24 });
    await c.waitFor('vim ready', (lines) => lines.slice(1, 10).every((l) => l.startsWith('~')));
    c.type('itsmosh in vim\x1b');
    await c.waitFor('typed text on the first row', (lines) => lines[0] === 'tsmosh in vim');
    c.type(':q!\r');
    expect((await c.waitForExit()).exitCode).toBe(0);
    expect(c.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false, mouse: 'none' });
  });

  it('quits on Ctrl-^ . with the terminal restored and the reason shown; the escape key is configurable', async () => {
    const c = client(await suite.workspace().newSession());
    await c.waitForText('$');
    c.type('\x1e.');
    const { exitCode } = await c.waitForExit();
    expect(exitCode).toBe(0);
    expect(await c.screenText()).toContain('tsmosh: exiting on user request');
    expect(c.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false });

    // TSMOSH_ESCAPE_KEY=Ctrl-] : Ctrl-^ is now an ordinary key, Ctrl-] . quits.
    const d = client(await suite.workspace().newSession(catWhenReady('-v')), { env: { TSMOSH_ESCAPE_KEY: '\x1d' } });
    await d.waitForText(READY);
    d.type('a\x1e^b\r');
    await d.waitForText('a^^^b'); // cat -v shows the Ctrl-^ that passed through as ^^
    d.type('\x1d.');
    expect((await d.waitForExit()).exitCode).toBe(0);
  });

  it('Ctrl-^ ^ sends a literal Ctrl-^ and Ctrl-^ x sends both bytes', async () => {
    const c = client(await suite.workspace().newSession(catWhenReady('-v')));
    await c.waitForText(READY);
    c.type('[\x1e^]\r');
    await c.waitForText('[^^]');
    c.type('<\x1ex>\r');
    await c.waitForText('<^^x>');
    c.type('\x1e.');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it('Ctrl-L repaints the whole local terminal, wiping what the client did not draw', async () => {
    const c = client(await suite.workspace().newSession(catWhenReady()));
    await c.waitForText(READY);
    // Something else scribbles on the user's terminal; the client's screen model does not know.
    await new Promise<void>((resolve) => c.terminal.write('\x1b7\x1b[12;5HSCRIBBLE\x1b8', resolve));
    c.type('x\r');
    await c.waitFor('cat echoing x', (lines) => lines.filter((l) => l === 'x').length === 2);
    expect(await c.screenText()).toContain('SCRIBBLE'); // a differential frame leaves it alone
    c.type('\x0c'); // cat's tty echoes ^L and nothing else redraws: only the client's full repaint can clear it
    await c.waitFor('the scribble gone', (lines) => !lines.join('\n').includes('SCRIBBLE'));
    c.type('\x1e.');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it('runs two sessions on the same daemon port at once without crossing them', async () => {
    const first = await suite.workspace().newSession();
    const second = await suite.workspace().newSession();
    expect(second.port).toBe(first.port);
    expect(second.key).not.toBe(first.key);
    const a = client(first);
    const b = client(second);
    await a.waitForText('$');
    await b.waitForText('$');
    a.type('echo session-A-$((1+1))\r');
    b.type('echo session-B-$((2+2))\r');
    await a.waitForText('session-A-2');
    await b.waitForText('session-B-4');
    expect(await a.screenText()).not.toContain('session-B');
    expect(await b.screenText()).not.toContain('session-A');
    a.type('exit\r');
    expect((await a.waitForExit()).exitCode).toBe(0);
    // B lives on after A has gone.
    b.type('echo still-here\r');
    await b.waitForText('still-here');
    b.type('exit\r');
    expect((await b.waitForExit()).exitCode).toBe(0);
  });

  it('suspends on Ctrl-^ Ctrl-Z with the terminal restored, and repaints on SIGCONT', async () => {
    const c = client(await suite.workspace().newSession());
    await c.waitForText('$');
    c.type('echo before-suspend\r');
    await c.waitForText('before-suspend');
    c.type('\x1e\x1a');
    await c.waitForText('[tsmosh is suspended.]');
    await waitUntil(() => processState(c.pid) === 'T', 'the client to be stopped');
    expect(c.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false });
    process.kill(c.pid, 'SIGCONT');
    c.type('clear; echo after-resume-$((5*5))\r');
    await c.waitForText('after-resume-25');
    expect(await c.screenText()).not.toContain('[tsmosh is suspended.]'); // repainted over
    c.type('exit\r');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it('repaints the whole terminal when continued after a stop it did not ask for (kill -STOP, a job-control shell)', async () => {
    const c = client(await suite.workspace().newSession(catWhenReady()));
    await c.waitForText(READY);
    c.type('before-stop\r');
    await c.waitFor('cat echoing the line', (lines) => lines.filter((l) => l === 'before-stop').length === 2);
    process.kill(c.pid, 'SIGSTOP'); // not Ctrl-^ Ctrl-Z: the client had no chance to restore the terminal
    await waitUntil(() => processState(c.pid) === 'T', 'the client to be stopped');
    // Meanwhile the shell that owns the terminal writes on it, as bash does ("[1]+  Stopped", its prompt, `fg`).
    await new Promise<void>((resolve) => c.terminal.write('\r\n[1]+  Stopped    tsmosh SCRIBBLE\r\nbash$ fg\r\n', resolve));
    // and may leave the terminal in its own cooked mode, where Ctrl-^ . below would wait in the line buffer.
    execFileSync('stty', ['-F', readlinkSync(`/proc/${c.pid}/fd/0`), 'sane']);
    process.kill(c.pid, 'SIGCONT');
    await c.waitFor('the shell\'s lines painted over', (lines) => !lines.join('\n').includes('SCRIBBLE') && lines.filter((l) => l === 'before-stop').length === 2);
    c.type('after\r');
    await c.waitFor('cat echoing after the stop', (lines) => lines.filter((l) => l === 'after').length === 2);
    c.type('\x1e.');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it('ends as on SIGHUP when its terminal hangs up and no SIGHUP reaches it (its session leader ignores it)', async () => {
    const workspace = suite.workspace();
    const target = await workspace.newSession(catWhenReady());
    const statusFile = join(workspace.runtimeDir, 'client-status');
    // sh is the pty's session leader, the one process the kernel sends SIGHUP when the terminal hangs up; it ignores
    // it, so the client (its child, not a leader) only reads EOF, as under a wrapper or `nohup` in a closed window.
    const terminal = pty.spawn('sh', ['-c', `trap '' HUP; "${process.execPath}" "${CLIENT_BIN}" 127.0.0.1 ${target.port}; echo $? > "${statusFile}"`], {
      env: { ...workspace.env, TSMOSH_KEY: target.key },
      cols: 80,
      rows: 24,
    });
    let shown = '';
    terminal.onData((data) => (shown += data));
    await waitUntil(() => shown.includes(READY), 'the session on screen');
    (terminal as unknown as { destroy(): void }).destroy(); // the window closes: the pty's master side is closed (node-pty's destroy, untyped)
    await waitUntil(() => existsSync(statusFile) && readFileSync(statusFile, 'utf8') !== '', 'the client to exit');
    expect(readFileSync(statusFile, 'utf8')).toBe(`${128 + 1}\n`);
    // It said goodbye: the unnamed session ended with it rather than staying attached to a client with no terminal.
    const id = SessionKey.parse(target.key).sessionIdHex;
    const listed = async (): Promise<boolean> => (JSON.parse((await runBin([SERVER_BIN, 'list', '--json'], workspace.env)).stdout) as Array<{ sessionId: string }>).some((session) => session.sessionId === id);
    await waitUntil(async () => !(await listed()), 'the session to end');
  });

  it('passes the window title, the bell and OSC 52 clipboard writes through to the terminal', async () => {
    const c = client(await suite.workspace().newSession());
    const titles: string[] = [];
    let bells = 0;
    c.terminal.onTitleChange((title) => titles.push(title));
    c.terminal.onBell(() => bells++);
    await c.waitForText('$');
    c.type("printf '\\033]0;tsmosh title test\\007'; printf '\\a'; printf '\\033]52;c;aGVsbG8=\\007'; echo done-$((1+1))\r");
    await c.waitForText('done-2');
    await waitUntil(() => titles.includes('tsmosh title test'), 'the title');
    await waitUntil(() => bells > 0, 'the bell');
    // The client holds this write (connect().screen.clipboard has it); if this wait fails, check that the Renderer
    // emits a session's first write, i.e. treats "no clipboard yet" in the previous frame as generation 0.
    await waitUntil(() => c.raw.includes('\x1b]52;c;aGVsbG8='), 'the clipboard write');
    c.type('exit\r');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  it('wraps repaints in synchronized output (DEC 2026) only when the terminal answered that it supports it', async () => {
    // A terminal that answers DECRQM (xterm.js reports 2026 as known, currently reset).
    const answering = client(await suite.workspace().newSession(), { answerQueries: true });
    await answering.waitForText('$');
    answering.type('echo synced-$((2+3))\r');
    await answering.waitForText('synced-5');
    expect(answering.raw).toContain('\x1b[?2026$p');
    expect(answering.raw).toMatch(/\x1b\[\?2026h[^]*synced-5[^]*\x1b\[\?2026l/);
    // The answer was the terminal's, not typing: nothing of it reached the shell.
    expect((await answering.logicalLines()).join('\n')).not.toContain('2026');
    answering.type('exit\r');
    expect((await answering.waitForExit()).exitCode).toBe(0);

    // A terminal that stays silent gets the question once and never a wrapped frame.
    const silent = client(await suite.workspace().newSession());
    await silent.waitForText('$');
    silent.type('echo plain-$((2+3))\r');
    await silent.waitForText('plain-5');
    expect(silent.raw).toContain('\x1b[?2026$p');
    expect(silent.raw).not.toContain('\x1b[?2026h');
    silent.type('exit\r');
    expect((await silent.waitForExit()).exitCode).toBe(0);
  });

  it('takes the key on a file descriptor (TSMOSH_KEY_FD), so it is never in its /proc environment', async () => {
    const target = await suite.workspace().newSession(['sh', '-c', 'echo key-fd-$((3*4)); exec cat']);
    const child = spawn(process.execPath, [CLIENT_BIN, '127.0.0.1', String(target.port)], {
      env: { ...suite.workspace().env, TSMOSH_KEY_FD: '3' },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    try {
      const keyPipe = child.stdio[3] as import('node:stream').Writable;
      keyPipe.end(`${target.key}\n`);
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      await waitUntil(() => output.includes('key-fd-12'), 'the session over the key from the descriptor');
      const environ = readFileSync(`/proc/${child.pid}/environ`, 'latin1');
      expect(environ).toContain('TSMOSH_KEY_FD=3');
      expect(environ).not.toContain(target.key);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('connects over IPv6 loopback too (the socket family follows the server address)', async () => {
    const target = await suite.workspace().newSession();
    const c = client({ ...target, host: '::1' });
    await c.waitForText('$');
    c.type('echo over-v6\r');
    await c.waitForText('over-v6');
    c.type('exit\r');
    expect((await c.waitForExit()).exitCode).toBe(0);
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`restores the terminal on ${signal} and says why`, async () => {
      const c = client(await suite.workspace().newSession(['vim', '-u', 'NONE', '-N', '-n', '-i', 'NONE']));
      await c.waitFor('vim ready', (lines) => lines.slice(1, 10).every((l) => l.startsWith('~')));
      // vim's keypad-transmit mode reached the local terminal (application cursor keys), so there is a mode to undo.
      await waitUntil(() => c.terminalModes().applicationCursorKeys, 'application cursor keys on');
      process.kill(c.pid, signal);
      const { exitCode } = await c.waitForExit();
      expect(exitCode).not.toBe(0);
      expect(await c.screenText()).toContain(`tsmosh: exiting on ${signal}.`);
      expect(c.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false, applicationCursorKeys: false });
    });
  }
});

/** The process state letter from /proc (T = stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}

