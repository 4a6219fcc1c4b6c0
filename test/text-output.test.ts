import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PtyProgram, TSMOSH_BIN, clientTestSuite, runBin } from './client-harness.js';

/**
 * `tsmosh --local -- cmd` with standard output a pipe (runBin: stdin /dev/null, stdout and stderr pipes), as a script
 * runs it: the output is the command's text, each line once and in order, with no escape sequence (client
 * text-output.ts); what tsmosh has to say goes to stderr.
 */

const suite = clientTestSuite();
/** Generous for a loaded 2-core machine: a failure detector, not a speed claim (ms). */
const SCRIPT_WAIT_MS = 120_000;

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runBin([TSMOSH_BIN, '--local', ...args], suite.workspace().env, SCRIPT_WAIT_MS);
}

/** `seq 1 count`'s output. */
function seqText(count: number): string {
  let text = '';
  for (let i = 1; i <= count; i++) text += `${i}\n`;
  return text;
}

describe('tsmosh with standard output not a terminal', () => {
  it('writes the text, exactly, and exits with the command\'s status', async () => {
    expect(await run(['--', 'sh', '-c', 'printf "a\\nb\\n"'])).toEqual({ code: 0, stdout: 'a\nb\n', stderr: '' });
    const failed = await run(['--', 'sh', '-c', 'printf "last words"; exit 7']);
    expect(failed).toEqual({ code: 7, stdout: 'last words\n', stderr: '' });
  });

  it('writes a wide character once, joins a long line the screen wrapped, and drops colours', async () => {
    // 200 columns of digits on an 80-column screen: three rows, one line. "表" is two columns wide.
    const long = `${'0123456789'.repeat(20)}`;
    const result = await run(['--', 'sh', '-c', `printf '\\033[31m表示 wide\\033[m and 日本語\\n${long}\\nend   \\n'`]);
    expect(result).toEqual({ code: 0, stdout: `表示 wide and 日本語\n${long}\nend\n`, stderr: '' });
  });

  it('writes nothing of a full-screen program\'s alternate screen, only the normal screen\'s lines', async () => {
    const script = 'printf "before\\n"; printf "\\033[?1049h\\033[Hon the alternate screen\\n"; printf "\\033[?1049l"; printf "after\\n"';
    expect(await run(['--', 'sh', '-c', script])).toEqual({ code: 0, stdout: 'before\nafter\n', stderr: '' });
  });

  it('writes every line of a flood once and in order, on loopback and over a lossy, slow link', async () => {
    // 20,000 lines: twice the history the daemon keeps, written far faster than the history follows the screen (a
    // window of 256 lines per acknowledged state). A text client asks the daemon to keep every line (new
    // --keep-every-line): seq waits in its write, as behind ssh, rather than the history dropping lines it never sent.
    // And the command ends with thousands of lines still on their way, which its client must get before the end.
    for (const link of [[], ['--link', 'delay=50ms,loss=10%']]) {
      const result = await run([...link, '--', 'seq', '1', '20000']);
      expect({ link, stderr: result.stderr, code: result.code }).toEqual({ link, stderr: '', code: 0 });
      expect(result.stdout === seqText(20000)).toBe(true);
    }
  });

  it('stops quietly when the reader of its output goes (`| head -3`), as ssh does: no hang-up line, no lost-lines notice', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tsmosh-head-'));
    try {
      const errors = join(directory, 'stderr');
      // tsmosh's status, as the pipe's first command: PIPESTATUS, printed after head's three lines.
      const script = `"${process.execPath}" "${TSMOSH_BIN}" --local -- seq 1 1000000 2>"${errors}" | head -3; echo "status \${PIPESTATUS[0]}"`;
      const result = await new Promise<{ code: number | null; stdout: string }>((resolveRun, reject) => {
        const child = spawn('bash', ['-c', script], { env: suite.workspace().env, stdio: ['ignore', 'pipe', 'inherit'] });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`tsmosh | head -3 did not end within ${SCRIPT_WAIT_MS} ms; stdout so far: ${stdout}`));
        }, SCRIPT_WAIT_MS);
        child.once('close', (code) => {
          clearTimeout(timer);
          resolveRun({ code, stdout });
        });
      });
      expect(result).toEqual({ code: 0, stdout: '1\n2\n3\nstatus 255\n' });
      expect(readFileSync(errors, 'utf8')).toBe('');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('leaves a terminal on its input in its own modes, and takes its Ctrl-D as the input\'s end, not a hang-up', async () => {
    // `tsmosh host -- cmd | cat` typed at a terminal: standard input the terminal (a pty here), output a pipe.
    const parent = `const child = require('node:child_process').spawn(process.execPath, ${JSON.stringify([TSMOSH_BIN, '--local', '--', 'sh', '-c', 'sleep 1; echo after-eof'])}, { stdio: ['inherit', 'pipe', 'inherit'] });
      let out = ''; child.stdout.on('data', (d) => (out += d));
      child.on('close', (code) => process.stdout.write('RESULT ' + JSON.stringify({ code, out }) + '\\n'));`;
    const t = suite.track(new PtyProgram({ args: ['-e', parent], env: suite.workspace().env }));
    t.type('\x04'); // Ctrl-D at the start of a line, in the terminal's canonical mode: end of input
    await t.waitForText('RESULT');
    const line = (await t.logicalLines()).find((l) => l.startsWith('RESULT '))!;
    expect(JSON.parse(line.slice('RESULT '.length))).toEqual({ code: 0, out: 'after-eof\n' });
    // Never put in raw mode: the terminal still echoes and edits lines.
    expect(t.terminalModes().cursorHidden).toBe(false);
  });

  it('gives a piped input to the command as behind ssh: nothing of it echoed into the text, its end read as end of file', async () => {
    // The command starts with its pty's echo off (server echo-off-start.ts); with the echo on, sort's text was
    // `b a a b` (the input's echo, then sort's answer), where ssh writes `a b`.
    const env = suite.workspace().env;
    expect(await runBin([TSMOSH_BIN, '--local', '--', 'sort'], env, SCRIPT_WAIT_MS, 'b\na\n')).toEqual({ code: 0, stdout: 'a\nb\n', stderr: '' });
    const read = await runBin([TSMOSH_BIN, '--local', '--', 'sh', '-c', 'read line; echo "got:$line"; exit 3'], env, SCRIPT_WAIT_MS, 'x y\n');
    expect(read).toEqual({ code: 3, stdout: 'got:x y\n', stderr: '' });
  });

  it('gives a text client that attaches to a named session every line from the attach on, in order', async () => {
    // A terminal's client starts the session and leaves; a script attaches with its output a pipe and starts a flood
    // of three times the history the daemon keeps. The text client's attach keeps every line (new --keep-every-line
    // on attach): before, the log dropped what the client had not taken (a window of 256 lines a state), and the
    // text lacked thousands of lines.
    const env = suite.workspace().env;
    const first = suite.track(new PtyProgram({ args: [TSMOSH_BIN, '--local', '--session', 'text-attach', '--', 'sh', '-c', 'echo waiting; read go; seq 1 30000; echo "done:$go"'], env }));
    await first.waitForText('waiting');
    first.type('\x1e.'); // Ctrl-^ . : this client leaves, the named session stays
    expect((await first.waitForExit()).exitCode).toBe(0);
    const attached = await runBin([TSMOSH_BIN, '--local', '--session', 'text-attach'], env, SCRIPT_WAIT_MS, 'go\n');
    expect({ code: attached.code, stderr: attached.stderr }).toEqual({ code: 0, stderr: '' });
    // The screen at the attach (its `waiting`, then the input echoed: the pty is the running program's, echo on).
    const lines = attached.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual(['waiting', 'go']);
    expect(lines.slice(2).join('\n') === `${seqText(30000)}done:go\n`).toBe(true);
  });

  it('lets a named session\'s program run on once its text client is gone without quitting, its output in the history', async () => {
    // `tsmosh --local --session NAME -- cmd | cat`, its client SIGKILLed mid-flood: the program waited in its writes
    // for the dead client (4,096 lines ahead of what it had taken) until another client took over. Once the client is
    // no longer heard (as `--list` stops calling it attached), the program runs on and its output goes into the
    // history, whose last lines the next client gets.
    const env = suite.workspace().env;
    const scratch = mkdtempSync(join(tmpdir(), 'tsmosh-text-lost-'));
    try {
      const done = join(scratch, 'done');
      const command = ['--local', '--session', 'text-lost', '--', 'sh', '-c', `seq 1 60000; touch ${done}; read go; echo "after:$go"`];
      // Its input a pipe left open: at the input's end the client would send the program an end of file.
      const script = spawn(process.execPath, [TSMOSH_BIN, ...command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      suite.track({ kill: () => script.kill('SIGKILL') });
      let seen = '';
      await new Promise<void>((resolve, reject) => {
        script.stdout.on('data', (data: Buffer) => {
          seen += data.toString();
          if (seen.includes('\n1000\n')) resolve();
        });
        script.once('close', () => reject(new Error(`the text client ended before its first lines: ${seen.slice(-200)}`)));
      });
      script.kill('SIGKILL');
      // Not a timing claim: the program finishes once the daemon stops waiting for the dead client (15 s of silence).
      const deadline = Date.now() + SCRIPT_WAIT_MS;
      while (!existsSync(done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(done)).toBe(true);
      // A script takes the session back: the history the daemon kept (its last lines, the earlier ones counted on
      // stderr), then the program's answer to its input.
      const back = await runBin([TSMOSH_BIN, '--local', '--session', 'text-lost'], env, SCRIPT_WAIT_MS, 'go\n');
      expect({ code: back.code, stderr: back.stderr.replace(/\d+/, 'N') }).toEqual({ code: 0, stderr: expect.stringMatching(/^tsmosh: N lines of output lost here/) });
      const lines = back.stdout.split('\n');
      // The session was made by a script (input a pipe): the program's terminal does not echo `go`.
      expect(lines.slice(-4)).toEqual(['59999', '60000', 'after:go', '']);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 3 * SCRIPT_WAIT_MS);

  it('draws the screen into the pipe with --output=terminal, and refuses an unknown --output', async () => {
    const drawn = await run(['--output=terminal', '--', 'sh', '-c', 'printf "a\\nb\\n"']);
    expect(drawn.code).toBe(0);
    expect(drawn.stdout).toContain('\x1b[');
    const bad = await run(['--output=html', '--', 'true']);
    expect(bad).toMatchObject({ code: 255, stdout: '' });
    expect(bad.stderr).toMatch(/^tsmosh: --output must be one of auto, text, terminal, got "html"/);
  });
});
