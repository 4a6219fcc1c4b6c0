// Fidelity on real programs in a real pty: PtyHost → mirror snapshot → ScreenState diff → apply → Renderer →
// a second @xterm/headless terminal (the user's). At every checkpoint the user's terminal equals the mirror cell for
// cell, with cursor and modes; between checkpoints every frame the host announces also goes through the chain, so
// incremental renders (not just full repaints) are what gets checked.
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Framebuffer } from '@tsmosh/terminal';
import { PtyHost } from '@tsmosh/server';
import { FidelityChain } from './fidelity-chain.js';
import { screenText } from './fidelity-support.js';

const here = dirname(fileURLToPath(import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'tsmosh-fidelity-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** A test per program, skipped with the reason when the program is not installed (CI installs them all). */
function programTest(binary: string, title: string, body: (path: string) => Promise<void>): void {
  const path = findBinary(binary);
  if (path === undefined) it.skip(`${title} (skipped: \`${binary}\` is not installed on this machine)`, () => {});
  else it(title, () => body(path));
}

const programEnv: Record<string, string> = (() => {
  const env: Record<string, string> = {};
  // The programs stand for what a person runs in a terminal, not a CI job: Ink (like many CLIs) sees CI, CI_* or
  // CONTINUOUS_INTEGRATION and then draws only its final frame, so under .ci/run (CI=true) it never drew at all.
  const ciVariable = (k: string) => k === 'CI' || k === 'CONTINUOUS_INTEGRATION' || k.startsWith('CI_');
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TMUX') && !k.startsWith('VITEST') && !ciVariable(k)) env[k] = v;
  return { ...env, HOME: home, LANG: 'C.UTF-8', PS1: '$ ', COLORTERM: 'truecolor', XDG_CONFIG_HOME: join(home, '.config') };
})();

interface Session {
  host: PtyHost;
  chain: FidelityChain;
  /** Resolves when the mirror's screen satisfies `predicate`; fails with the screen when it never does. */
  waitFor(predicate: (screen: string[]) => boolean, what: string, limitMs?: number): Promise<void>;
  waitForText(needle: string): Promise<void>;
  /** Runs the chain on the current screen and requires the user's terminal to equal the mirror. */
  checkpoint(label: string): Promise<Framebuffer>;
  type(keys: string): void;
  resize(cols: number, rows: number): Promise<void>;
}

const live: { host: PtyHost; chain: FidelityChain; checkpoints: () => number }[] = [];
afterEach(async () => {
  for (const { host, chain, checkpoints } of live.splice(0)) {
    // Intermediate frames went through the chain too, not only the checkpoint screens.
    expect(chain.steps).toBeGreaterThan(checkpoints());
    host.kill('SIGKILL');
    await host.exited;
    host.dispose();
    chain.dispose();
  }
});

/** How long a program may take to show what a step waits for before the test fails with its screen (ms). */
const WAIT_LIMIT_MS = 20_000;

async function startProgram(command: string, args: string[], cols = 80, rows = 24, extraEnv: Record<string, string> = {}): Promise<Session> {
  const host = new PtyHost({ command, args, cols, rows, cwd: home, env: { ...programEnv, ...extraEnv } });
  const chain = new FidelityChain(cols, rows);
  let checkpoints = 0;
  live.push({ host, chain, checkpoints: () => checkpoints });
  await chain.enter();
  const frameFailures: string[] = [];
  let frameQueued = false;
  host.onFrame(() => {
    if (frameQueued) return;
    frameQueued = true;
    // Take the snapshot after the current burst so the chain sees a realistic frame rate, not one per read.
    setImmediate(() => {
      frameQueued = false;
      if (host.exit !== undefined) return;
      void chain.step(host.snapshot()).then((check) => {
        if (check.differences.length > 0 && frameFailures.length < 3) frameFailures.push(check.differences.join('\n'));
      });
    });
  });

  const session: Session = {
    host,
    chain,
    waitFor(predicate, what, limitMs = WAIT_LIMIT_MS) {
      const term = host.mirror.terminal;
      const holds = () => predicate(screenText(host.mirror.snapshot()));
      return new Promise<void>((resolve, reject) => {
        if (holds()) return resolve();
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error(`waited ${limitMs} ms for ${what}; the screen shows:\n${screenText(host.mirror.snapshot()).join('\n')}`));
        }, limitMs);
        const sub = term.onWriteParsed(() => {
          if (holds()) {
            clearTimeout(timer);
            sub.dispose();
            resolve();
          }
        });
      });
    },
    waitForText(needle) {
      return session.waitFor((screen) => screen.some((line) => line.includes(needle)), JSON.stringify(needle));
    },
    async checkpoint(label) {
      checkpoints++;
      const check = await chain.step(host.snapshot());
      expect(check.differences, `${label}: the user's terminal differs from the mirror`).toEqual([]);
      expect(frameFailures, `${label}: an intermediate frame differed`).toEqual([]);
      return check.wanted;
    },
    type(keys) {
      host.write(keys);
    },
    async resize(cols, rows) {
      await chain.resizeUserTerminal(cols, rows);
      host.resize(cols, rows);
    },
  };
  return session;
}

describe('fidelity: real programs through the whole chain', () => {
  programTest('bash', 'bash with coloured output, wide characters, scrolling and a resize', async (bash) => {
    const s = await startProgram(bash, ['--norc', '--noprofile', '-i']);
    await s.waitForText('$');
    await s.checkpoint('prompt');
    s.type(`printf '\\e[1;31mred\\e[0m \\e[38;5;202morange\\e[0m \\e[38;2;10;200;30mtrue\\e[0m \\e[4;3munder\\e[0m \\e[7minv\\e[0m\\n'; echo MARK$((1))\r`);
    await s.waitFor((screen) => screen.includes('MARK1'), 'MARK1');
    await s.checkpoint('colours');
    s.type(`for i in $(seq 1 60); do printf '\\e[3%dm%03d 宽字 😀 e\\xcc\\x81 \\e[48;5;%dm bg \\e[0m\\n' $((i%8)) $i $((i*4)); done; echo END$((2))\r`);
    await s.waitFor((screen) => screen.includes('END2'), 'END2');
    await s.checkpoint('scrolled');
    s.type(`printf '%s' "$(printf 'w%.0s' $(seq 1 130))"; echo; echo WRAP$((3))\r`);
    await s.waitFor((screen) => screen.includes('WRAP3'), 'WRAP3');
    await s.checkpoint('soft-wrapped line');
    await s.resize(100, 30);
    s.type(`echo "size $(tput cols)x$(tput lines)"\r`);
    await s.waitForText('size 100x30');
    await s.checkpoint('after resize');
    s.type('exit\r');
    await s.host.exited;
  });

  programTest('vim', 'vim: syntax colours, status line, insert mode, splits', async (vim) => {
    const file = join(home, 'sample.c');
    writeFileSync(file, Array.from({ length: 40 }, (_, i) => `int f${i}(void) { return ${i}; } /* 宽 ${i} */`).join('\n') + '\n');
    const s = await startProgram(vim, ['-Nu', 'NONE', '-i', 'NONE', '-c', 'syntax on', '-c', 'set number ruler laststatus=2', file]);
    await s.waitForText('int f0(void)');
    await s.checkpoint('file shown');
    s.type('Go/* added 😀 */\x1b');
    await s.waitForText('added 😀');
    await s.checkpoint('after insert');
    s.type(':set cursorline\r:vsplit\r');
    await s.waitFor((screen) => (screen.at(-2)!.match(/sample\.c/g) ?? []).length === 2, 'two windows');
    await s.checkpoint('vertical split');
    s.type('\x1b:qa!\r');
    await s.host.exited;
  });

  programTest('less', 'less: paging, search highlight, end of file', async (less) => {
    const file = join(home, 'pager.txt');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => `\x1b[3${i % 8}mline ${i}\x1b[0m ${'·'.repeat(i % 50)} 宽`).join('\n') + '\n');
    const s = await startProgram(less, ['-R', file]);
    await s.waitForText('line 0');
    await s.checkpoint('first page');
    s.type(' ');
    await s.waitFor((screen) => screen[0]!.includes('line 23'), 'second page');
    await s.checkpoint('second page');
    s.type('/line 150\r');
    await s.waitForText('line 150');
    await s.checkpoint('search');
    s.type('G');
    await s.waitForText('(END)');
    await s.checkpoint('end');
    s.type('q');
    await s.host.exited;
  });

  programTest('htop', 'htop: meters, colours, process list, tree view', async (htop) => {
    const s = await startProgram(htop, [], 100, 30);
    await s.waitFor((screen) => screen.some((l) => l.includes('Load average')) && screen.some((l) => l.includes('PID')), 'the htop header');
    await s.checkpoint('htop');
    s.type('t');
    await s.waitFor((screen) => screen.some((l) => /[├└]─/.test(l)), 'tree view');
    await s.checkpoint('tree view');
    s.type('q');
    await s.host.exited;
  });

  programTest('tmux', 'tmux: status line, split panes, programs in both', async (tmux) => {
    // A socket path in the test's own folder: tmux 3.3 leaves its socket file behind after kill-server, and a `-L`
    // name would leave it in /tmp/tmux-UID, outside the folder the run checks and removes.
    const socket = join(home, 'tmux.sock');
    // tmux takes keys that come less than `assume-paste-time` (1 ms) after the key before them for a paste and binds
    // none of them. This test types at machine speed: Ctrl-B % written the moment the shell's output shows can land
    // within 1 ms of the command line's Enter, and then both keys went to bash (`bash-5.2# %`, seen in loaded CI runs).
    // A person's keys are never that close, so the test turns the heuristic off instead of pausing.
    const config = join(home, 'tmux.conf');
    writeFileSync(config, 'set -g assume-paste-time 0\n');
    const s = await startProgram(tmux, ['-S', socket, '-f', config, 'new-session', '-s', 'fid', 'bash --norc --noprofile -i']);
    try {
      await s.waitFor((screen) => screen.at(-1)!.includes('[fid]') && /[$#] ?$/.test(screen[0]!), 'tmux with a prompt');
      await s.checkpoint('tmux started');
      s.type(`printf '\\e[1;32mleft pane\\e[0m 宽\\n'\r`);
      await s.waitForText('left pane 宽');
      s.type('\x02%');
      await s.waitFor((screen) => screen.filter((l) => l.includes('│')).length > 10, 'a vertical split');
      s.type(`printf '\\e[38;2;200;100;0mright pane\\e[0m\\n'; seq 101 110\r`);
      await s.waitFor((screen) => screen.some((l) => l.includes('right pane')) && screen.some((l) => l.endsWith('│110')), 'the right pane output');
      await s.checkpoint('split panes');
      s.type('\x02"');
      await s.waitFor((screen) => screen.some((l) => l.includes('─')), 'a horizontal split');
      await s.checkpoint('three panes');
    } finally {
      try {
        execFileSync(tmux, ['-S', socket, 'kill-server'], { stdio: 'ignore' });
      } catch {
        // the server may already be gone with its last client
      }
    }
  });

  programTest('node', 'an Ink app (Claude Code style redraws under synchronized output)', async (node) => {
    const s = await startProgram(node, [join(here, 'apps', 'ink-app.mjs')], 70, 20, { FORCE_COLOR: '3' });
    await s.waitForText('step 0/6');
    // The app's kitty query was answered by the mirror through the pty, and the flags Ink then pushed
    // (disambiguate 1 + alternate keys 4) are in the mode the user's terminal mirrors.
    await s.waitForText('terminal: kitty flags 0');
    expect((await s.checkpoint('first frame')).modes.kittyKeyboardFlags).toBe(5);
    for (let step = 1; step <= 4; step++) {
      s.type('n');
      await s.waitForText(`step ${step}/6`);
      await s.checkpoint(`step ${step}`);
    }
    s.type('w');
    await s.waitForText('mixed widths');
    await s.checkpoint('wide line');
    s.type('n');
    await s.waitForText('step 5/6');
    s.type('n');
    await s.waitForText('done');
    await s.checkpoint('done');
    // Ink draws inside DEC 2026 blocks: the host's hold path was exercised, not bypassed.
    expect(s.host.mirror.synchronizedOutputEpoch).toBeGreaterThan(0);
    s.type('q');
    await s.waitForText('ink app exited');
    await s.host.exited;
    // Ink popped its flags on exit; the user's terminal must be back to plain keys too.
    expect((await s.checkpoint('after exit')).modes.kittyKeyboardFlags).toBe(0);
  });
});
