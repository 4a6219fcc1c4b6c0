import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tsmosh/netem';
import { TSMOSH_BIN, WAIT_MS, clientTestSuite } from './client-harness.js';

/**
 * A 200 KB paste through `tsmosh --local --link delay=100ms` (the in-process link proxy, real UDP, real ptys), over UDP
 * only: before the client's input window (input-window.ts) the paste went as one ~150-datagram burst, which the link
 * proxy's socket could not take while its process was still sending; every resend was the same burst, and the remote
 * program's file stopped growing at ~4 KB for good (with --transport=auto, until the fallback to TCP ~50 s later).
 */

const suite = clientTestSuite();

/** Lines of 0-120 characters, some of two and three UTF-8 bytes, CR-ended as a terminal pastes them. */
function pasteText(bytes: number): string {
  const random = new SeededRandom(7);
  const alphabet = [...'abcdefghij klmnopqrstuvwxyz0123456789éü漢'];
  const lines: string[] = [];
  let length = 0;
  while (length < bytes) {
    let line = '';
    for (let i = random.nextBytes(1)[0]! % 121; i > 0; i--) line += alphabet[random.nextBytes(1)[0]! % alphabet.length];
    lines.push(line + '\r');
    length += Buffer.byteLength(line) + 1;
  }
  return lines.join('');
}

const run = promisify(execFile);

describe('a large paste through tsmosh --local over a delayed link', () => {
  it('arrives at the remote program complete and in order', async () => {
    const text = pasteText(200_000);
    const size = Buffer.byteLength(text);
    const { env, runtimeDir } = suite.workspace();
    const file = join(runtimeDir, 'pasted');
    const source = join(runtimeDir, 'paste-source');
    writeFileSync(source, text);
    // tmux is the user's terminal: `paste-buffer` writes the whole paste into the client's pty at once, so the client
    // reads it in 64 KB reads, as from a real terminal (a PtyProgram's writes trickle in a few KB at a time).
    const socket = join(runtimeDir, 'tmux.sock');
    const tmux = (...args: string[]) => run('tmux', ['-S', socket, '-f', '/dev/null', ...args], { env, timeout: WAIT_MS });
    suite.track({ kill: () => void tmux('kill-server').catch(() => undefined) });
    // Echo on, as `cat > file` at a shell prompt: the echo floods the screen while the paste comes in. The pty's
    // icrnl makes the paste's CRs LFs.
    const script = `stty -icanon; echo READY-$((40+2)); head -c ${size} > "$0"; echo "GOT $(wc -c < "$0") BYTES"; sleep 60`;
    const command = [process.execPath, TSMOSH_BIN, '--local', '--transport=udp', '--link', process.env.PASTE_LINK ?? 'delay=100ms', '--', 'sh', '-c', script, file];
    await tmux('new-session', '-d', '-s', 'paste', '-x', '100', '-y', '30', command.map((word) => `'${word}'`).join(' '));
    const screen = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', 'paste')).stdout;
    const waitForScreen = async (wanted: string, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!(await screen()).includes(wanted)) {
        if (Date.now() > deadline) throw new Error(`the pane never showed ${wanted}; it shows:\n${await screen()}\n(the remote file has ${statSync(file, { throwIfNoEntry: false })?.size ?? 0} of ${size} bytes)`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await waitForScreen('READY-42', WAIT_MS);
    await tmux('load-buffer', source);
    await tmux('paste-buffer', '-t', 'paste');
    await waitForScreen(`GOT ${size} BYTES`, 60_000);
    expect(readFileSync(file).equals(Buffer.from(text.replaceAll('\r', '\n')))).toBe(true);
  }, 120_000);
});
