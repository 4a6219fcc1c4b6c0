import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import pty from 'node-pty';
import { sttySaysRaw, ttyStillRaw } from './terminal-mode.js';

// Real `stty -a` lines (Linux coreutils, macOS), trimmed to the local-mode flags that matter.
const LINUX_COOKED = 'speed 38400 baud; rows 24; columns 80; line = 0;\nisig icanon iexten echo echoe echok -echonl -noflsh -xcase -tostop -echoprt echoctl echoke -flusho -extproc\n';
const LINUX_RAW = 'speed 38400 baud; rows 24; columns 80; line = 0;\n-isig -icanon -iexten -echo echoe echok -echonl -noflsh -xcase -tostop -echoprt echoctl echoke -flusho -extproc\n';
// A line editor (readline) while it reads: canonical input and echo off, signals still on.
const READLINE = 'speed 38400 baud; rows 24; columns 80; line = 0;\nisig -icanon iexten -echo echoe echok -echonl\n';
const MACOS_RAW = 'lflags: -icanon -isig -iexten -echo echoe echok echoke -echonl echoctl\n\t-echoprt -altwerase -noflsh -tostop -flusho -pendin -nokerninfo\n';

describe('sttySaysRaw', () => {
  it('tells raw mode from a shell\'s modes, and says so when the text does not tell', () => {
    expect(sttySaysRaw(LINUX_RAW)).toBe(true);
    expect(sttySaysRaw(MACOS_RAW)).toBe(true);
    expect(sttySaysRaw(LINUX_COOKED)).toBe(false);
    expect(sttySaysRaw(READLINE)).toBe(false);
    expect(sttySaysRaw('stty: standard input: Inappropriate ioctl for device')).toBeUndefined();
  });

  it('reads a real tty: raw after stty raw, not after stty sane; unknown on a file', async () => {
    // The shell names its tty once it runs on it (before then /proc may show the parent's descriptors).
    const terminal = pty.spawn('sh', ['-c', 'tty; exec sleep 30'], { cols: 80, rows: 24 });
    try {
      const path = await new Promise<string>((resolve) => {
        let shown = '';
        terminal.onData((data) => {
          shown += data;
          const match = /(\/dev\/\S+)\r?\n/.exec(shown);
          if (match !== null) resolve(match[1]!);
        });
      });
      const fd = openSync(path, 'r+');
      try {
        execFileSync('stty', ['-F', path, 'raw', '-echo']);
        expect(ttyStillRaw(fd)).toBe(true);
        execFileSync('stty', ['-F', path, 'sane']);
        expect(ttyStillRaw(fd)).toBe(false);
      } finally {
        closeSync(fd);
      }
    } finally {
      terminal.kill();
    }
    const file = openSync('/dev/null', 'r');
    try {
      expect(ttyStillRaw(file)).toBeUndefined();
    } finally {
      closeSync(file);
    }
  });
});
