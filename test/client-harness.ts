/**
 * End-to-end harness for the client tests: real `tsmosh-server` daemons (each in its own runtime directory), the real
 * `tsmosh-client` / `tsmosh` bins from dist/ under plain node in a real pty (node-pty), and an @xterm/headless terminal
 * standing in for the user's terminal, fed with everything the client writes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { stopProcess } from '@tsmosh/testkit';
import { SCROLLBACK_RETAINED_LINES } from '@tsmosh/terminal';
import { PtyTerminal, type PtyExit } from '../bench/src/pty-terminal.js';
const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, '..');
export const CLIENT_BIN = join(ROOT, 'packages/client/bin/tsmosh-client.js');
export const SERVER_BIN = join(ROOT, 'packages/server/bin/tsmosh-server.js');
export const TSMOSH_BIN = join(ROOT, 'packages/cli/bin/tsmosh.js');

/** Upper bound for waiting on a screen condition (ms): a failure detector on a loaded machine, not a speed claim. */
export const WAIT_MS = 30_000;

/** The bins run from dist/; a missing build would look like a client bug, so say what to do instead. */
export function requireBuilt(): void {
  for (const file of ['client/dist/client-main.js', 'cli/dist/main.js', 'server/dist/server-main.js', 'protocol/dist/index.js']) {
    if (!existsSync(join(ROOT, 'packages', file))) throw new Error(`packages/${file} is missing: run \`npx tsc -b\` before these tests`);
  }
}

/** A private runtime directory (so each test file has its own daemon) and the environment every process gets. */
export class Workspace {
  readonly runtimeDir = mkdtempSync(join(tmpdir(), 'tsmosh-client-test-'));
  readonly env: Record<string, string>;

  constructor(extra: Record<string, string> = {}) {
    const base: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined) base[name] = value;
    delete base.TSMOSH_KEY;
    delete base.TSMOSH_ESCAPE_KEY;
    delete base.LC_ALL;
    delete base.LC_CTYPE;
    this.env = {
      ...base,
      TSMOSH_RUNTIME_DIR: this.runtimeDir,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      // A fixed, short prompt so screens are predictable; bash --norc keeps it.
      PS1: '$ ',
      ...extra,
    };
  }

  private readonly daemons: ChildProcess[] = [];

  /**
   * Runs `tsmosh-server daemon` as our own child unless one answers already, so the test owns (and kills) it. A
   * daemon with no sessions left exits by itself, hence the check before every `new`.
   */
  async ensureDaemon(): Promise<void> {
    if ((await this.daemonStatus()) !== undefined) return;
    const child = spawn(process.execPath, [SERVER_BIN, 'daemon'], { env: this.env, stdio: 'ignore' });
    this.daemons.push(child);
    const deadline = Date.now() + WAIT_MS;
    while ((await this.daemonStatus()) === undefined) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tsmosh-server daemon did not come up (exit ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // A session no client joins, kept for an hour: the daemon never empties (and exits) between this file's tests.
    await run(process.execPath, [SERVER_BIN, 'new', '--', 'sleep', '3600'], {
      env: { ...this.env, TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '3600000' },
      timeout: WAIT_MS,
    });
  }

  /** `tsmosh-server new [options...] [-- command...]` → the CONNECT line's port and key. */
  async newSession(command: readonly string[] = ['bash', '--norc', '--noprofile'], options: readonly string[] = []): Promise<{ port: number; key: string }> {
    await this.ensureDaemon();
    const { stdout } = await run(process.execPath, [SERVER_BIN, 'new', ...options, ...(command.length > 0 ? ['--', ...command] : [])], { env: this.env, timeout: WAIT_MS });
    const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(stdout);
    if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}, not one CONNECT line`);
    return { port: Number(match[1]), key: match[2]! };
  }

  /** The daemon's session count, or undefined when no daemon runs. */
  async daemonStatus(): Promise<{ pid: number; sessions: number } | undefined> {
    try {
      const { stdout } = await run(process.execPath, [SERVER_BIN, 'status'], { env: this.env, timeout: WAIT_MS });
      return JSON.parse(stdout) as { pid: number; sessions: number };
    } catch {
      return undefined;
    }
  }

  /** Ends the daemon (SIGTERM: it tells its clients and exits) and removes the runtime directory. */
  async dispose(): Promise<void> {
    const pids: number[] = [];
    for (const child of this.daemons) if (child.exitCode === null && child.pid !== undefined) pids.push(child.pid);
    const status = await this.daemonStatus();
    if (status !== undefined) pids.push(status.pid);
    // On SIGTERM the daemon saves its named sessions into this folder (state/sessions): removing the folder while
    // it writes failed with ENOTEMPTY. Wait for it to be gone (bounded), and retry the removal anyway.
    await Promise.all([...new Set(pids)].map((pid) => stopProcess(pid)));
    rmSync(this.runtimeDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}

export interface PtyProgramOptions {
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cols?: number;
  readonly rows?: number;
  /**
   * Let the headless terminal answer the program's queries (DA, DECRQM…) back into the pty, as a real terminal does.
   * Off by default: most tests stand for a terminal that stays silent.
   */
  readonly answerQueries?: boolean;
}

/**
 * Lines of scrollback the test's terminal keeps, as a user's does: what scrolled off the screen (and the history a
 * client writes on attaching) stays there for allLines and waitForTextAnywhere. As many as the daemon's scrollback
 * log keeps, so a reattach's whole history fits. With none (the bench terminal's default), a line a busy program
 * scrolled off the screen before the test looked was gone: sessions.test.ts timed out under load (1 in 17 runs).
 */
const PROGRAM_SCROLLBACK_LINES = SCROLLBACK_RETAINED_LINES;

/** A program (one of our bins under plain node) in a real pty, with a headless terminal reading its output. */
export class PtyProgram {
  readonly terminal: PtyTerminal['terminal'];
  /** Everything the program wrote, raw. */
  raw = '';
  readonly exited: Promise<PtyExit>;
  private readonly pty: PtyTerminal;

  constructor(options: PtyProgramOptions) {
    this.pty = new PtyTerminal({
      file: process.execPath,
      args: options.args,
      env: options.env,
      cwd: ROOT,
      cols: options.cols ?? 80,
      rows: options.rows ?? 24,
      answerQueries: options.answerQueries === true,
      scrollback: PROGRAM_SCROLLBACK_LINES,
    });
    this.terminal = this.pty.terminal;
    this.pty.onOutput((data) => (this.raw += data));
    this.exited = this.pty.exited;
  }

  get pid(): number {
    return this.pty.pid;
  }

  type(text: string): void {
    this.pty.write(text);
  }

  resize(cols: number, rows: number): void {
    this.pty.resize(cols, rows);
  }

  /** The visible screen as lines of text (trailing spaces trimmed). */
  async screen(): Promise<string[]> {
    await this.pty.parsed();
    return this.pty.visibleRows();
  }

  /** The screen's lines with soft-wrapped rows joined, so a long message reads as the one line it is. */
  async logicalLines(): Promise<string[]> {
    await this.pty.parsed();
    const buffer = this.terminal.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.terminal.rows; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      const text = line?.translateToString(false) ?? '';
      if (line?.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    return lines.map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || i < all.length - 1);
  }

  async screenText(): Promise<string> {
    return (await this.screen()).join('\n');
  }

  /** Every line the terminal holds, its scrollback first, then its screen. */
  async allLines(): Promise<string[]> {
    await this.pty.parsed();
    const buffer = this.terminal.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < buffer.length; y++) lines.push(buffer.getLine(y)?.translateToString(true) ?? '');
    return lines;
  }

  /**
   * Waits until `test` holds for the screen (or, with `read`, other lines: allLines); fails with them and what was
   * awaited.
   */
  async waitFor(what: string, test: (lines: string[]) => boolean, timeoutMs = WAIT_MS, read: () => Promise<string[]> = () => this.screen()): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = await read();
      if (test(lines)) return lines;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; screen:\n${lines.join('\n')}\n(raw tail: ${JSON.stringify(this.raw.slice(-400))})`);
      }
      if (!this.pty.running && !test(lines)) {
        await new Promise((r) => setTimeout(r, 50));
        const final = await read();
        if (test(final)) return final;
        throw new Error(`program exited while waiting for ${what}; screen:\n${final.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until the screen contains `text` somewhere. */
  waitForText(text: string | RegExp, timeoutMs = WAIT_MS): Promise<string[]> {
    const test = (lines: string[]): boolean => {
      const joined = lines.join('\n');
      return typeof text === 'string' ? joined.includes(text) : text.test(joined);
    };
    return this.waitFor(`"${String(text)}"`, test, timeoutMs);
  }

  /**
   * Waits until `text` is anywhere in the terminal, its scrollback included: output a busy program scrolls off the
   * screen within seconds (the client draws only the newest screen, writing what left it into the history), which a
   * loaded machine's test may look for too late to see on the screen.
   */
  waitForTextAnywhere(text: string, timeoutMs = WAIT_MS): Promise<string[]> {
    return this.waitFor(`"${text}" on the screen or in its scrollback`, (lines) => lines.some((line) => line.includes(text)), timeoutMs, () => this.allLines());
  }

  /**
   * Waits until a screen row reads exactly `line` (surrounding spaces aside): a command's output, which the echo of
   * the command line that contains the same text cannot stand in for.
   */
  waitForLine(line: string, timeoutMs = WAIT_MS): Promise<string[]> {
    return this.waitFor(`a row reading "${line}"`, (lines) => lines.some((l) => l.trim() === line), timeoutMs);
  }

  /** The program's exit, bounded: kills it (and fails) if it does not exit in time. */
  async waitForExit(timeoutMs = WAIT_MS): Promise<{ exitCode: number; signal: number | undefined }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(new Error(`program did not exit within ${timeoutMs} ms; screen:\n${this.raw.slice(-400)}`));
      }, timeoutMs);
    });
    try {
      const result = await Promise.race([this.exited, timeout]);
      await this.pty.parsed();
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.pty.kill();
  }

  /** Modes a well-behaved client leaves the terminal in: cursor shown, normal screen, no mouse or paste modes. */
  terminalModes(): { cursorHidden: boolean; alternateScreen: boolean; mouse: string; bracketedPaste: boolean; applicationCursorKeys: boolean } {
    const modes = this.terminal.modes;
    return {
      cursorHidden: (this.terminal as unknown as { _core: { coreService: { isCursorHidden: boolean } } })._core.coreService.isCursorHidden,
      alternateScreen: this.terminal.buffer.active.type === 'alternate',
      mouse: modes.mouseTrackingMode,
      bracketedPaste: modes.bracketedPasteMode,
      applicationCursorKeys: modes.applicationCursorKeysMode,
    };
  }
}

/**
 * `cat` (or `cat -v`) that first prints READY: a test waits for READY on the screen before typing, so no keystroke
 * reaches the pty before the client has put it in raw mode (the pty's own cooked-mode echo would fake a result).
 */
export const READY = 'READY';
export function catWhenReady(...catArgs: string[]): string[] {
  return ['sh', '-c', `echo ${READY}; exec cat ${catArgs.join(' ')}`];
}

/** `TSMOSH_KEY=<key> tsmosh-client <host> <port>` in a pty. */
export function startClient(
  workspace: Workspace,
  target: { host?: string; port: number; key: string },
  options: { cols?: number; rows?: number; env?: Record<string, string>; answerQueries?: boolean } = {},
): PtyProgram {
  return new PtyProgram({
    args: [CLIENT_BIN, target.host ?? '127.0.0.1', String(target.port)],
    env: { ...workspace.env, TSMOSH_KEY: target.key, ...options.env },
    ...(options.answerQueries === undefined ? {} : { answerQueries: options.answerQueries }),
    ...(options.cols === undefined ? {} : { cols: options.cols }),
    ...(options.rows === undefined ? {} : { rows: options.rows }),
  });
}

/** Runs a bin with stdout and stderr piped; stdin gets `stdin` and then its end (a script's pipe), else nothing. */
export async function runBin(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = WAIT_MS,
  stdin?: string,
  options: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...args], { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...options });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not exit within ${timeoutMs} ms (stderr: ${stderr})`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/**
 * A key in the right format (base64url of session ID ‖ secret) that the server does not hold: either a fresh session ID,
 * or, with `keepSessionId`, the real session's ID with one secret byte changed, which reaches that session's
 * Connection and must be dropped there as a bad tag without disturbing the session.
 */
export function tamperedKey(key: string, keepSessionId: boolean): string {
  const SESSION_ID_BYTES = 8;
  const bytes = keepSessionId ? Buffer.from(key, 'base64url') : Buffer.from(Array.from({ length: 24 }, (_, i) => (i * 37 + 11) & 0xff));
  if (bytes.length !== 24) throw new Error(`tamperedKey: expected a 24-byte key, got ${bytes.length}`);
  bytes[SESSION_ID_BYTES + 3]! ^= 0x5a;
  return bytes.toString('base64url');
}

/**
 * The per-file set-up every client test file shares: a built tree, a private workspace (own daemon), and every program
 * a test starts killed at the end, whatever the test's outcome.
 */
export function clientTestSuite(): { workspace(): Workspace; track<P extends { kill(): void }>(program: P): P } {
  let workspace: Workspace | undefined;
  const programs: Array<{ kill(): void }> = [];
  beforeAll(() => {
    requireBuilt();
    workspace = new Workspace();
  });
  afterAll(async () => {
    for (const program of programs) program.kill();
    await workspace?.dispose();
  });
  return {
    workspace: () => {
      if (workspace === undefined) throw new Error('clientTestSuite: the workspace exists only inside tests');
      return workspace;
    },
    track: (program) => {
      programs.push(program);
      return program;
    },
  };
}
