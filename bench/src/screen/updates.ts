/**
 * The typical screen updates of the screen-costs benchmark, as the byte streams programs write to their pty. Each
 * script has a set-up (what is on the screen before the first measured frame) and a list of frames (the output that
 * arrives between two frames the session sends). The streams are generated from a seed, so they are identical on
 * every run; they are fed to the real emulator, so the framebuffers measured are xterm's, not synthetic ones.
 */
import {
  ALT_SCREEN_ON,
  CURSOR_HIDE,
  CURSOR_SHOW,
  Chooser,
  NEWLINE,
  cup,
  decstbm,
  ed,
  el,
  fg256,
  highlightSource,
  logLine,
  sgr,
  sourceLine,
  words,
} from './escapes.js';

export interface UpdateScript {
  /** Short name for tables and results. */
  readonly name: string;
  /** Output before the first measured frame. */
  readonly setup: string;
  /** Output of each measured frame, in order. */
  readonly frames: readonly string[];
  /** Input positions the echo acknowledgement advances per frame (1 per typed key; 0 when no key is involved). */
  readonly echoAckStep: number;
}

/** The same seed for every script and size, so a script differs between sizes only where the size makes it. */
const SEED = 3;

const PROMPT = `${sgr(1, 32)}ada@build-7${sgr()}:${sgr(1, 34)}~/src/tsmosh${sgr()}$ `;

/** A shell session's history: a few commands with coloured output, ending at a fresh prompt. */
function shellHistory(choose: Chooser, cols: number, rows: number): string {
  let out = `${cup(1, 1)}${ed(2)}`;
  let lines = 0;
  while (lines < rows - 2) {
    out += `${PROMPT}ls -l --color${NEWLINE}`;
    out += `total ${choose.int(10, 400)}${NEWLINE}`;
    lines += 2;
    for (let i = choose.int(3, 8); i > 0 && lines < rows - 2; i--, lines++) {
      const isDir = choose.chance(0.3);
      const name = `${words(choose, 1)}${isDir ? '' : choose.pick(['.ts', '.md', '.json'])}`;
      const listing = `${isDir ? 'drwxr-xr-x' : '-rw-r--r--'} 1 ada ada ${String(choose.int(100, 99999)).padStart(6)} Nov 24 07:${String(choose.int(10, 59))} `;
      out += `${listing.slice(0, Math.max(0, cols - name.length - 1))}${isDir ? sgr(1, 34) : ''}${name}${sgr()}${NEWLINE}`;
    }
  }
  return `${out}${PROMPT}`;
}

function typingAtPrompt(cols: number, rows: number): UpdateScript {
  const choose = new Chooser(SEED);
  return { name: 'typing one character at a shell prompt', setup: shellHistory(choose, cols, rows), frames: [...'git status --short'], echoAckStep: 1 };
}

function scrollingLog(linesPerFrame: number, cols: number, rows: number): UpdateScript {
  const choose = new Chooser(SEED);
  let index = 0;
  let setup = `${cup(1, 1)}${ed(2)}`;
  for (let i = 0; i < rows; i++) setup += logLine(choose, index++) + NEWLINE;
  const frames: string[] = [];
  for (let frame = 0; frame < 60; frame++) {
    let out = '';
    for (let i = 0; i < linesPerFrame; i++) out += logLine(choose, index++) + NEWLINE;
    frames.push(out);
  }
  void cols;
  return { name: `scrolling log, ${linesPerFrame} line${linesPerFrame === 1 ? '' : 's'} per frame`, setup, frames, echoAckStep: 0 };
}

/**
 * A flood: `seq 1 N` at full speed, where the session sends one frame per 20 ms and each covers thousands of lines
 * (mosh was observed sending 2 MB of `seq 1 300000` as 12 datagrams of at most 225 B, measured).
 */
function seqFlood(cols: number, rows: number): UpdateScript {
  const linesPerFrame = 10_000;
  let next = 1;
  const lines = (count: number): string => {
    let out = '';
    for (let i = 0; i < count; i++) out += `${next++}${NEWLINE}`;
    return out;
  };
  const setup = `${cup(1, 1)}${ed(2)}${lines(rows)}`;
  const frames: string[] = [];
  for (let frame = 0; frame < 10; frame++) frames.push(lines(linesPerFrame));
  void cols;
  return { name: `seq flood, ${linesPerFrame} lines per frame`, setup, frames, echoAckStep: 0 };
}

/** vim's own way of painting a buffer page: every text row positioned and cleared, '~' past the end, the status row. */
function vimPage(choose: Chooser, cols: number, rows: number, status: string): string {
  let out = CURSOR_HIDE;
  for (let row = 1; row < rows; row++) {
    const line = sourceLine(choose);
    out += `${cup(row, 1)}${highlightSource({ ...line, text: line.text.slice(0, cols) })}${el()}`;
  }
  return `${out}${cup(rows, 1)}${status.slice(0, cols)}${el()}${cup(1, 1)}${CURSOR_SHOW}`;
}

function vimOpensFile(cols: number, rows: number): UpdateScript {
  const choose = new Chooser(SEED);
  const setup = `${shellHistory(choose, cols, rows)}vim src/renderer.ts`;
  // What vim 9 writes on start: CR LF for the typed Enter, alternate screen, keypad and cursor-key modes, clear.
  const start = `${NEWLINE}${ALT_SCREEN_ON}${'\x1b[22;0;0t'}${'\x1b[?1h\x1b='}${cup(1, 1)}${ed(2)}`;
  return { name: 'vim opens a file (full-screen redraw)', setup, frames: [start + vimPage(choose, cols, rows, '"src/renderer.ts" 1012L, 41874B')], echoAckStep: 1 };
}

function vimPageDown(cols: number, rows: number): UpdateScript {
  const choose = new Chooser(SEED);
  const setup = `${ALT_SCREEN_ON}${'\x1b[?1h\x1b='}${cup(1, 1)}${ed(2)}${vimPage(choose, cols, rows, '"src/renderer.ts" 1012L, 41874B')}`;
  const frames: string[] = [];
  for (let page = 1; page <= 10; page++) frames.push(vimPage(choose, cols, rows, `${' '.repeat(Math.max(0, cols - 18))}${page * (rows - 2)},1     ${page * 4}%`));
  return { name: 'vim page down (Ctrl-F: every text row new)', setup, frames, echoAckStep: 1 };
}

interface Process {
  pid: number;
  user: string;
  cpu: number;
  mem: number;
  command: string;
}

/** An htop-style screen: per-CPU meter bars in colour, memory and swap bars, then a process table sorted by CPU. */
function htopScreen(choose: Chooser, cols: number, rows: number, processes: Process[], tick: number): string {
  const cpus = 4;
  let out = `${CURSOR_HIDE}${cup(1, 1)}`;
  const barWidth = Math.max(10, Math.floor(cols / 2) - 8);
  const bar = (label: string, fraction: number, colours: number[]): string => {
    const filled = Math.round(fraction * barWidth);
    let body = '';
    for (let i = 0; i < filled; i++) body += `${fg256(colours[Math.min(colours.length - 1, Math.floor((i / barWidth) * colours.length))]!)}|`;
    return `${sgr(36)}${label}${sgr(1)}[${sgr()}${body}${' '.repeat(barWidth - filled)}${sgr(1)}]${sgr()}`;
  };
  for (let cpu = 0; cpu < cpus; cpu++) {
    out += `${bar(String(cpu + 1).padStart(3), choose.int(2, 100) / 100, [34, 40, 46, 226, 208, 196])}${el()}${NEWLINE}`;
  }
  out += `${bar('Mem', 0.4 + choose.int(0, 20) / 100, [40, 33, 178])}${el()}${NEWLINE}`;
  out += `${bar('Swp', 0.02, [196])}  ${sgr(1)}Tasks:${sgr()} ${processes.length}, load average: ${(1 + tick / 10).toFixed(2)}${el()}${NEWLINE}`;
  out += `${el()}${NEWLINE}`;
  const header = '    PID USER       CPU%  MEM%  Command';
  out += `${sgr(30, 42)}${header.padEnd(cols).slice(0, cols)}${sgr()}${NEWLINE}`;
  for (const p of processes) p.cpu = Math.max(0, Math.min(100, p.cpu + choose.int(-15, 15)));
  const sorted = [...processes].sort((a, b) => b.cpu - a.cpu || a.pid - b.pid);
  const tableRows = rows - 9;
  for (let i = 0; i < tableRows; i++) {
    const p = sorted[i]!;
    const line = `${String(p.pid).padStart(7)} ${p.user.padEnd(9)} ${p.cpu.toFixed(1).padStart(5)} ${p.mem.toFixed(1).padStart(5)}  ${p.command}`;
    const selected = i === 0;
    out += `${selected ? sgr(30, 46) : p.user === 'root' ? sgr(90) : ''}${line.padEnd(cols).slice(0, cols)}${sgr()}${i < tableRows - 1 ? NEWLINE : ''}`;
  }
  out += `${NEWLINE}`;
  const keys = ['F1Help', 'F2Setup', 'F3Search', 'F4Filter', 'F5Tree', 'F6SortBy', 'F9Kill', 'F10Quit'];
  out += keys.map((key) => `${sgr()}${key.replace(/^(F\d+)(.*)$/, (_all, fkey: string, label: string) => `${fkey}${sgr(30, 46)}${label.padEnd(6)}`)}`).join('');
  return `${out}${sgr()}${el()}`;
}

function htopProcesses(choose: Chooser): Process[] {
  const processes: Process[] = [];
  for (let i = 0; i < 80; i++) {
    processes.push({
      pid: choose.int(1, 60000),
      user: choose.pick(['ada', 'ada', 'root', 'postgres', 'www-data']),
      cpu: choose.int(0, 900) / 10,
      mem: choose.int(0, 300) / 10,
      command: choose.pick(['node dist/server.js', '/usr/lib/postgresql/16/bin/postgres', 'tmux new -A -s cc', 'claude', 'nginx: worker process', 'sshd: ada@pts/3']) + ` ${words(choose, choose.int(0, 4))}`,
    });
  }
  return processes;
}

function htopFirstDraw(cols: number, rows: number): UpdateScript {
  const choose = new Chooser(SEED);
  const setup = `${shellHistory(choose, cols, rows)}htop`;
  const first = `${NEWLINE}${ALT_SCREEN_ON}${'\x1b[?1h\x1b='}${cup(1, 1)}${ed(2)}${htopScreen(choose, cols, rows, htopProcesses(choose), 0)}`;
  return { name: 'htop-like colour screen, first draw', setup, frames: [first], echoAckStep: 1 };
}

function htopRefresh(cols: number, rows: number): UpdateScript {
  const choose = new Chooser(SEED);
  const processes = htopProcesses(choose);
  const setup = `${ALT_SCREEN_ON}${cup(1, 1)}${ed(2)}${htopScreen(choose, cols, rows, processes, 0)}`;
  const frames: string[] = [];
  for (let tick = 1; tick <= 10; tick++) frames.push(htopScreen(choose, cols, rows, processes, tick));
  return { name: 'htop-like refresh (meters, numbers, row order)', setup, frames, echoAckStep: 0 };
}

/**
 * tmux with a log scrolling in its pane: tmux limits scrolling to the pane with DECSTBM, writes the new line at the
 * region's bottom, and repaints its status line, which here shows a counter that changes with every line.
 */
function tmuxScroll(cols: number, rows: number): UpdateScript {
  const choose = new Chooser(SEED);
  let index = 0;
  const status = (count: number): string => {
    const left = `${sgr(30, 42)}[cc] 0:tail* 1:claude- `;
    const right = `"build-7: ${count} lines" 07:${String(32 + Math.floor(count / 600)).padStart(2, '0')} 24-Nov-26`;
    return `${cup(rows, 1)}${left}${' '.repeat(Math.max(1, cols - 24 - right.length))}${right.slice(0, Math.max(0, cols - 25))}${sgr()}`;
  };
  // Long lines wrap inside the region, scrolling only the pane, as they do under tmux.
  const paneLine = (line: string): string => `${decstbm(1, rows - 1)}${cup(rows - 1, 1)}\n${cup(rows - 1, 1)}${line}${el()}${decstbm()}`;
  let setup = `${cup(1, 1)}${ed(2)}`;
  for (let row = 1; row < rows; row++) setup += paneLine(logLine(choose, index++));
  setup += status(index);
  const frames: string[] = [];
  for (let frame = 0; frame < 60; frame++) frames.push(`${paneLine(logLine(choose, index++))}${status(index)}${cup(rows - 1, 1)}`);
  return { name: 'tmux: log in the pane, status line changes with it', setup, frames, echoAckStep: 0 };
}

/** Every typical update, at one terminal size. */
export function typicalUpdates(cols: number, rows: number): UpdateScript[] {
  return [
    typingAtPrompt(cols, rows),
    scrollingLog(1, cols, rows),
    scrollingLog(10, cols, rows),
    seqFlood(cols, rows),
    vimOpensFile(cols, rows),
    vimPageDown(cols, rows),
    htopFirstDraw(cols, rows),
    htopRefresh(cols, rows),
    tmuxScroll(cols, rows),
  ];
}
