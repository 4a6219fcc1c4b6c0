import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Framebuffer } from '@tsmosh/terminal';
import { screenLines } from '@tsmosh/terminal';
import { PENDING_HIGH_WATER_BYTES, PtyHost, ptyEnvironment, type PtyHostInit } from './pty-host.js';

const hosts: PtyHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) {
    host.kill('SIGKILL');
    // Disposed first: a tail a test's history limit still holds (a check failed before the limit was lifted) would
    // keep the exit from being announced, and this clean-up hung out the hook's timeout instead of the check failing.
    host.dispose();
    await host.exited;
  }
});

function start(init: Partial<PtyHostInit> & { command: string }): PtyHost {
  const host = new PtyHost({ cols: 40, rows: 8, ...init });
  hosts.push(host);
  return host;
}

/** A node script run in the pty: the tests' programs, so no test depends on shell quirks. */
function nodeScript(source: string, overrides: Partial<PtyHostInit> = {}): PtyHost {
  return start({ command: process.execPath, args: ['-e', source], ...overrides });
}

function text(fb: Framebuffer): string {
  return screenLines(fb).join('\n');
}

/** Resolves once the mirror (not the offered snapshot) shows `needle`; checks after every parsed write. */
function mirrorShows(host: PtyHost, needle: string): Promise<void> {
  const term = host.mirror.terminal;
  const shows = () => text(host.mirror.snapshot()).includes(needle);
  return new Promise((resolve) => {
    if (shows()) return resolve();
    const sub = term.onWriteParsed(() => {
      if (shows()) {
        sub.dispose();
        resolve();
      }
    });
  });
}

/** ms an `until` waits: a hang detector well inside the 60 s test timeout, not a speed claim. */
const UNTIL_MS = 30_000;

/** Resolves once `condition()` holds, looked at every few ms; fails naming `what` and the host's counters. */
async function until(condition: () => boolean, what: string, host: PtyHost): Promise<void> {
  const deadline = Date.now() + UNTIL_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${UNTIL_MS} ms; log end ${host.scrollback().end}, stats ${JSON.stringify(host.stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function nextFrame(host: PtyHost): Promise<void> {
  return new Promise((resolve) => {
    const off = host.onFrame(() => {
      off();
      resolve();
    });
  });
}

describe('ptyEnvironment', () => {
  it('sets TERM and ensures a UTF-8 character locale without losing other locale settings', () => {
    expect(ptyEnvironment({ LANG: 'en_US.UTF-8', HOME: '/h', X: undefined }, 'xterm-256color')).toEqual({
      LANG: 'en_US.UTF-8',
      HOME: '/h',
      TERM: 'xterm-256color',
    });
    expect(ptyEnvironment({ LC_ALL: 'C' }, 'xterm')).toEqual({ LANG: 'C', LC_CTYPE: 'C.UTF-8', TERM: 'xterm' });
    expect(ptyEnvironment({}, 'xterm')).toEqual({ LC_CTYPE: 'C.UTF-8', TERM: 'xterm' });
  });
});

describe('PtyHost', () => {
  it('mirrors a program, reports its exit code after its last output, and sets TERM and size', async () => {
    const host = start({ command: '/bin/sh', args: ['-c', 'printf "\\033[31mred\\033[0m $TERM $(stty size)\\n"; exit 7'] });
    const exit = await host.exited;
    expect(exit).toEqual({ exitCode: 7, signal: undefined });
    const fb = host.snapshot();
    expect(text(fb)).toContain('red xterm-256color 8 40');
    expect(fb.lines[0]!.cells[0]!.fg).toBe(0x1000000 | 1);
    expect(host.exit).toEqual(exit);
  });

  it('writes terminal replies back into the pty (the program reads its DA1 answer)', async () => {
    const host = nodeScript(`
      process.stdin.setRawMode(true);
      let got = '';
      process.stdin.on('data', (d) => { got += d; if (got.endsWith('c')) { console.log('reply=' + JSON.stringify(got)); process.exit(0); } });
      process.stdout.write('\\x1b[c');`);
    await host.exited;
    expect(text(host.snapshot())).toContain('reply="\\u001b[?1;2c"');
    expect(host.stats.replyBytes).toBe('\x1b[?1;2c'.length);
  });

  it('delivers input and resizes (SIGWINCH reaches the program); resize, write and kill after exit are harmless', async () => {
    const host = nodeScript(`
      process.stdin.setRawMode(true);
      process.stdout.on('resize', () => console.log('size ' + process.stdout.columns + 'x' + process.stdout.rows));
      process.stdin.on('data', (d) => { console.log('key ' + JSON.stringify(String(d))); if (String(d) === 'q') process.exit(3); });
      console.log('ready');`);
    await mirrorShows(host, 'ready');
    host.resize(50, 10);
    await mirrorShows(host, 'size 50x10');
    expect([host.snapshot().cols, host.snapshot().rows]).toEqual([50, 10]);
    host.write(new TextEncoder().encode('x'));
    await mirrorShows(host, 'key "x"');
    host.write('q');
    expect(await host.exited).toEqual({ exitCode: 3, signal: undefined });
    expect(() => host.resize(30, 6)).not.toThrow();
    host.write('ignored');
    host.kill();
    expect(host.snapshot().cols).toBe(30);
  });

  it('starts the program with the echo off when asked (a script\'s text session): its answer shows, the input does not', async () => {
    // `sed` answers each line it reads; with the pty's echo on, the input shows above each answer.
    for (const echo of [true, false]) {
      const host = start({ command: 'sed', args: ['-u', 's/^/got:/'], ...(echo ? {} : { echo: false }) });
      host.write('typed-line\n'); // at once: held until the echo is off
      await mirrorShows(host, 'got:typed-line');
      expect(host.echoError).toBeUndefined();
      const lines = text(host.snapshot()).split('\n').filter(Boolean);
      expect(lines).toEqual(echo ? ['typed-line', 'got:typed-line'] : ['got:typed-line']);
    }
  });

  it('gives the program started with the echo off its own pid, argv, environment, exit status and signals', async () => {
    // /proc/PID/environ is the block the process was exec'd with, whatever its shell exports later; cmdline its argv.
    const dir = mkdtempSync(join(tmpdir(), 'tsmosh-echo-off-'));
    try {
      const seen: Record<string, { pid: string; cmdline: string; environ: string; exit: unknown }> = {};
      for (const echo of [true, false]) {
        const out = join(dir, 'out'); // the same path both times: it is in the program's argv
        const host = start({
          command: 'sh',
          args: ['-c', 'echo $$ > "$1.pid"; cat /proc/$$/cmdline > "$1.cmdline"; cat /proc/$$/environ > "$1.environ"; echo ready; read x; exit 7', 'argv0 with space', out, '', '=x'],
          // The names a shell would reset or drop: given back by env (echo-off-start.ts).
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nowhere', 'ODD NAME': 'a=b c', EMPTY: '', IFS: ':', OPTIND: '5', PPID: '3', 'BASH_FUNC_f%%': '() {  echo f\n}', 'dotted.name': 'x' },
          cwd: dir,
          ...(echo ? {} : { echo: false }),
        });
        await mirrorShows(host, 'ready');
        expect(host.echoError).toBeUndefined();
        host.write('\n');
        const exit = await host.exited;
        const read = (suffix: string): string => readFileSync(`${out}.${suffix}`, 'latin1');
        seen[String(echo)] = { pid: read('pid').trim(), cmdline: read('cmdline'), environ: read('environ'), exit };
        expect(seen[String(echo)]!.pid).toBe(String(host.pid));
      }
      expect(seen.false!.exit).toEqual({ exitCode: 7, signal: undefined });
      expect(seen.false!.cmdline).toBe(seen.true!.cmdline);
      expect(seen.false!.cmdline.split('\0')).toContain('argv0 with space');
      // The same entries (their order is the shell's: no program can tell).
      const entries = (environ: string): string[] => environ.split('\0').sort();
      expect(entries(seen.false!.environ)).toEqual(entries(seen.true!.environ));
      expect(entries(seen.false!.environ)).toEqual(expect.arrayContaining(['ODD NAME=a=b c', 'IFS=:', 'OPTIND=5', 'PPID=3', 'BASH_FUNC_f%%=() {  echo f\n}', 'dotted.name=x']));
      // node-pty sets PWD to the cwd; a shell around the program would add its own (and bash SHLVL).
      expect(seen.false!.environ.split('\0').filter((entry) => /^(PWD|SHLVL)=/.test(entry))).toEqual([`PWD=${dir}`]);
      // A signal ends the program itself, not a shell around it.
      const host = start({ command: 'sh', args: ['-c', 'echo up; sleep 30'], echo: false });
      await mirrorShows(host, 'up');
      host.kill('SIGTERM');
      expect(await host.exited).toEqual({ exitCode: 0, signal: 15 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds input until the echo is off even while reading is held, and leaves no process behind', async () => {
    // The reverted stty beside a program spun in the kernel when a flood held the tty's write lock while the daemon
    // did not read. Here the flood starts after the echo is off; its reads are held by the history limit.
    const host = start({ command: 'sh', args: ['-c', 'seq 1 20000; read line; echo "read:$line"'], echo: false });
    host.setHistoryLimit(1000);
    host.write('after-flood\n');
    await until(() => host.stats.historyHolds > 0, 'hold', host);
    host.setHistoryLimit(undefined);
    await mirrorShows(host, 'read:after-flood');
    expect(host.echoError).toBeUndefined();
    expect(text(host.snapshot())).not.toMatch(/^after-flood$/m);
    await host.exited;
    expect(processAlive(host.pid)).toBe(false);
  });

  it('keeps the last output of a program that floods and exits at once (node-pty tail loss)', async () => {
    const host = start({ command: 'seq', args: ['1', '20000'] });
    await host.exited;
    expect(host.stats.bytesRead).toBe(128_894); // `seq 1 20000 | wc -c` plus one CR per line from the pty's ONLCR
    expect(text(host.snapshot()).split('\n').filter(Boolean).at(-1)).toBe('20000');
  });

  it('keeps every line: reading stops short of the history limit, goes on as it rises, and keeps the tail of a program that exits meanwhile', async () => {
    const host = start({ command: 'seq', args: ['1', '20000'] });
    host.setHistoryLimit(1000);
    await until(() => host.stats.historyHolds > 0, 'hold at the first limit', host);
    // Held: the log stays short of the end, and the program waits in its write.
    const heldAt = host.scrollback().end;
    expect(heldAt).toBeLessThan(19_000);
    expect(processAlive(host.pid)).toBe(true);
    // Raised to 1,000 lines short of the end: seq writes its last lines into the kernel's buffer and exits, while the
    // history holds them back. node-pty destroys the master's stream 200 ms after the exit; the tail must outlive it.
    // One read of the pty (up to 4 KiB: 586 of these 7-byte lines) may pass the limit (docs/protocol.md §10.4); the
    // output read and not yet parsed counts as the lines it may add (line-bound.ts), no longer a line a byte.
    host.setHistoryLimit(19_000);
    await until(() => !processAlive(host.pid), 'exit of seq once the limit rose', host);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(host.scrollback().end).toBeLessThanOrEqual(19_000 + Math.ceil(4096 / 7));
    host.setHistoryLimit(undefined);
    await host.exited;
    expect(host.stats.bytesRead).toBe(128_894); // every byte, as when nothing holds it (the tail-loss test above)
    const log = host.scrollback();
    expect(log.plainText(log.end - 1)).toBe(String(20000 - 7)); // 8 rows: the last 7 lines and the cursor's row on screen
    expect(text(host.snapshot()).split('\n').filter(Boolean).at(-1)).toBe('20000');
  });

  it('keeps every line without holding the screen mid-write while reading waits for the client (the wait would only lengthen)', async () => {
    // seq's writes fill whole reads, so each read ends mid-write and its screen would be held up to
    // MID_WRITE_MAX_HOLD_MS: once reading stops for the history, the program's next write waits for the client's
    // acknowledgement of this very screen. Watched at every turn of the event loop from the hold on.
    const host = start({ command: 'seq', args: ['1', '20000'] });
    host.setHistoryLimit(1000);
    let heldMidWrite = 0;
    let turns = 0;
    const watchUntil = Date.now() + 500;
    while (Date.now() < watchUntil) {
      if (host.heldMidWriteForHistory) heldMidWrite++;
      turns++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(host.stats.historyHolds).toBeGreaterThan(0);
    expect({ heldMidWrite, turns: turns > 50 }).toEqual({ heldMidWrite: 0, turns: true });
    host.setHistoryLimit(undefined);
    await host.exited;
  });

  it('reports the exit once disposed, even of a program whose last output the history limit still holds', async () => {
    // The exit is announced once the tail is in the mirror, which waits for the limit to rise: after a dispose that
    // never comes. A clean-up awaiting it (this file's afterEach, after a failed check) hung for its whole timeout.
    const host = start({ command: 'seq', args: ['1', '20000'] });
    host.setHistoryLimit(1000);
    await until(() => host.stats.historyHolds > 0, 'hold', host);
    host.kill('SIGKILL');
    await until(() => !processAlive(host.pid), 'exit of the killed seq', host);
    host.dispose();
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([host.exited, new Promise<'none'>((resolve) => (timer = setTimeout(() => resolve('none'), UNTIL_MS)))]);
    clearTimeout(timer);
    expect(exit).toEqual({ exitCode: 0, signal: 9 });
  });

  it('says output is pending while a flood outruns its reads, and not once the program has gone quiet (outputPending)', async () => {
    // 100,000 lines in one write, then quiet (alive, so the pty stays open).
    const host = nodeScript(`let s = ''; for (let i = 1; i <= 100000; i++) s += i + '\\n'; process.stdout.write(s + 'END'); setTimeout(() => {}, 5000);`);
    let seenPending = false;
    host.onFrame(() => (seenPending ||= host.outputPending));
    await mirrorShows(host, 'END');
    await new Promise((resolve) => setImmediate(resolve)); // the parse's own callback, after xterm's
    expect(seenPending).toBe(true);
    expect(host.outputPending).toBe(false);
  });

  it('reports the signal that ended the program', async () => {
    const host = start({ command: '/bin/sh', args: ['-c', 'echo up; sleep 30'] });
    await mirrorShows(host, 'up');
    host.kill('SIGTERM');
    expect(await host.exited).toEqual({ exitCode: 0, signal: 15 });
  });

  it('keeps a half-drawn synchronized frame back until the program ends it', async () => {
    const host = nodeScript(
      `
      process.stdin.setRawMode(true);
      process.stdout.write('before\\r\\n');
      let step = 0;
      process.stdin.on('data', () => {
        step++;
        if (step === 1) process.stdout.write('\\x1b[?2026hHALF');
        else process.stdout.write(' DONE\\x1b[?2026l');
      });`,
      // A generous bound: this test is about the hold itself, not its timeout, and must not race a slow machine.
      { synchronizedOutputMaxHoldMs: 60_000 },
    );
    await mirrorShows(host, 'before');
    expect(text(host.snapshot())).toContain('before');
    host.write('1');
    await mirrorShows(host, 'HALF');
    expect(host.holdingFrame).toBe(true);
    const held = text(host.snapshot());
    expect(held).toContain('before');
    expect(held).not.toContain('HALF');
    const frame = nextFrame(host);
    host.write('2');
    await frame;
    expect(host.holdingFrame).toBe(false);
    expect(text(host.snapshot())).toContain('HALF DONE');
    expect(host.stats.synchronizedOutputTimeouts).toBe(0);
  });

  it('bounds the wait when a program never ends its synchronized frame', async () => {
    const host = nodeScript(`process.stdout.write('\\x1b[?2026hSTUCK'); setTimeout(() => {}, 60000);`, { synchronizedOutputMaxHoldMs: 50 });
    await mirrorShows(host, 'STUCK');
    if (host.stats.synchronizedOutputTimeouts === 0) await nextFrame(host);
    expect(host.stats.synchronizedOutputTimeouts).toBe(1);
    expect(host.holdingFrame).toBe(false);
    expect(text(host.snapshot())).toContain('STUCK');
  });

  it('pauses the pty while the mirror is behind and resumes it, losing nothing', async () => {
    // Here xterm parses faster than the pty delivers (50–85 MiB/s measured, faster than a pty delivers), so small marks make the mechanism engage.
    const flowControl = { highWaterBytes: 2048, lowWaterBytes: 512 };
    const count = 200_000;
    const host = start({ command: 'seq', args: ['1', String(count)], flowControl });
    await host.exited;
    expect(text(host.snapshot()).split('\n').filter(Boolean).at(-1)).toBe(String(count));
    expect(host.stats.pauses).toBeGreaterThan(0);
    // Once paused no read arrives, so the backlog exceeds the mark by at most the read that crossed it.
    expect(host.stats.maxPendingBytes).toBeLessThanOrEqual(flowControl.highWaterBytes + 65536);
    expect(host.pendingBytes).toBe(0);
    expect(host.isPaused).toBe(false);
  });

  it('keeps the last output of a program that exits while reading waits for the mirror (a loaded daemon)', async () => {
    // About 7 KB: the first read passes the high-water mark and reading pauses, and with a low-water mark of 0 it
    // stays paused: the mirror never catches up, as in a daemon too loaded to parse before node-pty lets go of the
    // stream 200 ms after the exit. The rest fits the kernel's buffer, so the program exits meanwhile; its output
    // still in the kernel or the stream must be taken at the exit, or it is gone.
    const flowControl = { highWaterBytes: 2048, lowWaterBytes: 0 };
    const host = start({ command: 'seq', args: ['1', '1500'], flowControl });
    await host.exited;
    expect(host.stats.pauses).toBeGreaterThan(0);
    expect(host.stats.bytesRead).toBe(7_893); // `seq 1 1500 | wc -c` plus one CR per line from the pty's ONLCR
    expect(text(host.snapshot()).split('\n').filter(Boolean).at(-1)).toBe('1500');
  });

  it('reads a tmux-paced flood at intervals, whole and in order, and polls again at input and when it ends', async () => {
    // ~40 numbered lines (~300 bytes) a write, a write every half millisecond for 1.5 s: tmux's pace beside `seq`.
    const host = nodeScript(`
      const fs = require('fs');
      const pause = new Int32Array(new SharedArrayBuffer(4));
      let n = 0;
      const end = Date.now() + 1500;
      while (Date.now() < end) {
        let s = '';
        for (let i = 0; i < 40; i++) s += ++n + '\\n';
        fs.writeSync(1, s);
        Atomics.wait(pause, 0, 0, 0.5);
      }
      fs.writeSync(1, 'DONE ' + n + '\\n');
      setTimeout(() => {}, 300);
    `, { cols: 40, rows: 8 });
    // What the mirror is given, in order: the reads exactly as the host handed them on.
    const given: Uint8Array[] = [];
    const writeThen = host.mirror.writeThen.bind(host.mirror);
    host.mirror.writeThen = (data, parsed, answer) => {
      given.push(data.slice());
      writeThen(data, parsed, answer);
    };
    // Input while the flood is read at intervals: the master is polled again at once, for the input's answer.
    let sawIntervals = false;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (host.readingAtIntervals && !sawIntervals) {
          sawIntervals = true;
          host.write('x');
          expect(host.readingAtIntervals).toBe(false);
        }
        if (text(host.mirror.snapshot()).includes('DONE')) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    await host.exited;
    expect(sawIntervals).toBe(true);
    expect(host.stats.floodWakes).toBeGreaterThan(0);
    expect(host.stats.floodBytes).toBeGreaterThan(0);
    expect(host.readingAtIntervals).toBe(false);
    const out = Buffer.concat(given).toString('latin1');
    // The pty's echo of each 'x' (cooked mode) lands between two of the program's writes; the rest is the flood.
    const lines = out.replace(/x/g, '').split('\r\n');
    const done = lines.findIndex((line) => line.startsWith('DONE '));
    const count = Number(lines[done]!.slice(5));
    expect(count).toBeGreaterThan(1000);
    expect(lines.slice(0, done)).toEqual(Array.from({ length: count }, (_, i) => String(i + 1)));
    expect(host.stats.bytesRead).toBe(Buffer.concat(given).length);
  });

  it('keeps the backlog bounded while `yes` floods ten megabytes through the default marks', async () => {
    const host = start({ command: 'yes', args: ['tsmosh flood'] });
    await new Promise<void>((resolve) => {
      const off = host.onFrame(() => {
        if (host.stats.bytesRead > 40 * PENDING_HIGH_WATER_BYTES) {
          off();
          resolve();
        }
      });
    });
    expect(host.stats.maxPendingBytes).toBeLessThanOrEqual(PENDING_HIGH_WATER_BYTES + 65536);
    // The mirror's screen, not the offered one: the test resumes after the frame's task, in which the drain may have
    // parsed a further read that ended mid-write; snapshot() then gives the last screen taken, and this test takes
    // none before, so it was the blank first screen (one loaded CI run, session 20).
    expect(text(host.mirror.snapshot()), `offer held back: ${host.offerHeldBack}`).toContain('tsmosh flood');
    host.kill('SIGKILL');
    expect((await host.exited).signal).toBe(9);
  });
});
