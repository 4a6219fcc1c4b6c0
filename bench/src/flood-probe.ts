/**
 * A flood probe (issue 18): where a bulk output's time goes, outside the lossy-link bench's link and harness.
 *
 * On loopback, with no proxy between them, it starts a session (tsmosh: its own daemon in a private runtime folder;
 * mosh: mosh-server), a client in a real pty, and a shell; then it times `seq 1 LINES` from the Enter to the moment
 * the client has written "LINES" and the prompt after it, and Ctrl-C in `seq 1 1000000000` to the prompt. The
 * client's output is read as bytes (no terminal emulation: the figure is the system's, not a harness's), or, with
 * `--harness`, also parsed by an @xterm/headless terminal as the lossy-link bench's ScreenProgram does, whose CPU
 * time the probe then reports. `--prof DIR` runs the daemon and the client under `node --cpu-prof` (profiles land
 * in DIR when they exit).
 *
 * `--link SPEC` puts the lossy-link bench's link process (a netem spec, e.g. `delay=50ms` for its rtt100) between the
 * client and the server; the server's peak RSS (VmHWM) is reported at the end.
 *
 * `--command CMD` (with `--link`) runs CMD instead of the floods, `--tries` times, each until the prompt is back, and
 * reports the datagrams the server sent over the link during it, a second: the frame rate a program that writes in
 * bursts (a spinner, a status line) is given.
 *
 *   node bench/dist/flood-probe.js [--system tsmosh|mosh] [--lines N] [--tries N] [--harness] [--prof DIR] [--only seq|ctrlc] [--link SPEC] [--command CMD]
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';
import { DAEMON_NODE_OPTIONS, controlSocketPath } from '@tsmosh/server';
import { startUdpLink, type RunningLink } from './lossy/link-host.js';
import { PROMPT, lineThenPrompt, promptAfterCtrlC } from './flood-probe-match.js';
import { benchTempDir } from './run-folder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER_BIN = join(ROOT, 'packages/server/bin/tsmosh-server.js');
const CLIENT_BIN = join(ROOT, 'packages/client/bin/tsmosh-client.js');

/** Upper bound on any wait (ms): a hang detector, not a measurement. */
const WAIT_BOUND_MS = 60_000;
/** How long the endless flood runs before Ctrl-C (ms): the pipe, the pty and the transport are all full by then. */
const FLOOD_RUN_MS = 2000;
/**
 * ms without client output that says the client has finished writing (a flood's history after its prompt): longer
 * than the gaps while the history still streams in on a 100 ms RTT link (a round trip or two).
 */
const QUIET_MS = 1000;

interface Options {
  system: 'tsmosh' | 'mosh';
  lines: number;
  tries: number;
  harness: boolean;
  profDir: string | undefined;
  /** Only one of the two measures (to profile it alone). */
  only: 'seq' | 'ctrlc' | undefined;
  command: string | undefined;
  /** A netem link spec between the client and the server ('' for none). */
  link: string;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { system: 'tsmosh', lines: 300_000, tries: 3, harness: false, profDir: undefined, only: undefined, link: '', command: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`flood-probe: ${arg} needs a value`);
      return next;
    };
    if (arg === '--system') {
      const system = value();
      if (system !== 'tsmosh' && system !== 'mosh') throw new Error(`flood-probe: --system is tsmosh or mosh, not ${system}`);
      options.system = system;
    } else if (arg === '--lines') options.lines = Number(value());
    else if (arg === '--tries') options.tries = Number(value());
    else if (arg === '--harness') options.harness = true;
    else if (arg === '--prof') options.profDir = value();
    else if (arg === '--link') options.link = value();
    else if (arg === '--command') options.command = value();
    else if (arg === '--only') {
      const only = value();
      if (only !== 'seq' && only !== 'ctrlc') throw new Error(`flood-probe: --only is seq or ctrlc, not ${only}`);
      options.only = only;
    }
    else throw new Error(`flood-probe: unknown argument ${arg}`);
  }
  return options;
}

function environment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  for (const name of ['TSMOSH_KEY', 'MOSH_KEY', 'LC_ALL', 'LC_CTYPE', 'TMUX']) delete env[name];
  return { ...env, LANG: 'C.UTF-8', TERM: 'xterm-256color', PS1: PROMPT, HOME: homedir(), ...extra };
}

/** utime + stime of a process (ms, at the kernel's 10 ms tick), from /proc; 0 once it is gone. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** A process's peak resident set (MiB, VmHWM), from /proc; undefined once it is gone. */
function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** The client's way to the server: straight, or through the bench's link process when `spec` is set. */
async function route(spec: string, port: number): Promise<{ host: string; port: number; link: RunningLink | undefined }> {
  if (spec === '') return { host: '127.0.0.1', port, link: undefined };
  const link = await startUdpLink(spec, 1, { host: '127.0.0.1', port });
  return { ...link.udpAddress!, link };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The client in a pty; its output kept as text (the tail only) and, with a harness, parsed as a terminal would. */
class ClientPty {
  private text = '';
  /** Offset in the whole output of text[0]. */
  private dropped = 0;
  private readonly waiters = new Set<() => void>();
  /** performance.now() of the client's last output. */
  private lastOutputAt = performance.now();
  readonly process: pty.IPty;
  readonly terminal: InstanceType<typeof xterm.Terminal> | undefined;
  harnessCpuUs = 0;

  constructor(file: string, args: string[], env: Record<string, string>, harness: boolean) {
    this.process = pty.spawn(file, args, { cols: 80, rows: 24, env, name: 'xterm-256color', cwd: homedir() });
    this.terminal = harness ? new xterm.Terminal({ cols: 80, rows: 24, allowProposedApi: true, scrollback: 0 }) : undefined;
    this.terminal?.onData((reply) => this.process.write(reply));
    this.process.onData((data) => {
      this.lastOutputAt = performance.now();
      this.text += data;
      if (this.text.length > 1 << 16) {
        const cut = this.text.length - (1 << 15);
        this.text = this.text.slice(cut);
        this.dropped += cut;
      }
      if (this.terminal !== undefined) {
        const before = process.cpuUsage();
        this.terminal.write(data, () => {
          const used = process.cpuUsage(before);
          this.harnessCpuUs += used.user + used.system;
          for (const waiter of this.waiters) waiter();
        });
      } else {
        for (const waiter of this.waiters) waiter();
      }
    });
  }

  /** Where the output stands now (an offset to search from). */
  get mark(): number {
    return this.dropped + this.text.length;
  }

  /**
   * Resolves with the time of the client's last output once it has written nothing for `quietMs`: a flood's prompt
   * shows before the client has finished writing the flood's history into the terminal's scrollback, and the next
   * try must not start (nor be timed) while it still does.
   */
  async waitForQuiet(quietMs: number): Promise<number> {
    const deadline = performance.now() + WAIT_BOUND_MS;
    for (;;) {
      const quietFor = performance.now() - this.lastOutputAt;
      if (quietFor >= quietMs) return this.lastOutputAt;
      if (performance.now() > deadline) throw new Error(`flood-probe: the client never went quiet for ${quietMs} ms within ${WAIT_BOUND_MS} ms`);
      await sleep(quietMs - quietFor);
    }
  }

  /** The visible rows (harness only). */
  rows(): string[] {
    const buffer = this.terminal!.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < 24; y++) rows.push((buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '').trimEnd());
    return rows;
  }

  /**
   * Resolves with performance.now() once `test` finds what it looks for in the output after `from`, or, with a
   * harness, once `screenTest` holds for the screen.
   */
  waitFor(from: number, test: (text: string) => boolean, screenTest?: (rows: string[]) => boolean): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.terminal !== undefined && screenTest !== undefined ? screenTest(this.rows()) : test(this.text.slice(Math.max(0, from - this.dropped)));
        if (!hit) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(performance.now());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`flood-probe: nothing matched within ${WAIT_BOUND_MS} ms; output tail: ${JSON.stringify(this.text.slice(-400))}`));
      }, WAIT_BOUND_MS);
      this.waiters.add(check);
      check();
    });
  }
}

/** The screen with `seq 1 lines`'s last line and the prompt below it. */
function floodEndedOnScreen(lines: number): (rows: string[]) => boolean {
  const last = String(lines);
  return (rows) => {
    const y = rows.findIndex((row) => row === PROMPT.trimEnd());
    return y > 0 && rows[y - 1] === last;
  };
}

interface Started {
  client: ClientPty;
  /** The processes whose CPU time the probe reports (the server side: daemon or mosh-server). */
  serverPid: number | undefined;
  /** The link process between client and server (`--link`), whose counters `--command` reads. */
  link: RunningLink | undefined;
  stop(): Promise<void>;
}

async function startTsmosh(options: Options): Promise<Started> {
  const runtimeDir = benchTempDir('tsmosh-probe-');
  chmodSync(runtimeDir, 0o700);
  const env = environment({ TSMOSH_RUNTIME_DIR: runtimeDir, TSMOSH_SERVER_IDLE_LINGER_MS: '0' });
  const prof = options.profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profDir}`];
  // The daemon started here rather than by `new`, so it can run under the profiler; `new` then finds it.
  const daemon = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, ...prof, SERVER_BIN, 'daemon'], { env, stdio: 'ignore', cwd: homedir() });
  const deadline = performance.now() + WAIT_BOUND_MS;
  while (!existsSync(controlSocketPath(runtimeDir))) {
    if (performance.now() > deadline) throw new Error('flood-probe: the daemon did not open its control socket');
    await sleep(20);
  }
  const stdout = execFileSync(process.execPath, [SERVER_BIN, 'new', '-i', '127.0.0.1', '--', 'bash', '--norc', '--noprofile'], { env, cwd: homedir(), encoding: 'utf8' });
  const match = /TSMOSH CONNECT (\d+) (\S+)/.exec(stdout);
  if (match === null) throw new Error(`flood-probe: tsmosh-server new printed ${JSON.stringify(stdout)}`);
  const way = await route(options.link, Number(match[1]));
  const client = new ClientPty(process.execPath, [...DAEMON_NODE_OPTIONS, ...prof, CLIENT_BIN, way.host, String(way.port)], { ...env, TSMOSH_KEY: match[2]! }, options.harness);
  return {
    client,
    serverPid: daemon.pid,
    link: way.link,
    async stop() {
      // exit ends the shell, so the client and then the daemon (after its linger) end normally and write profiles.
      await exitShell(client, way.link);
      // The daemon exits by itself once its last session has ended (no linger: see env); a profile is written then.
      const daemonExited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
      if (daemon.exitCode === null) await Promise.race([daemonExited, sleep(15_000)]);
      if (daemon.exitCode === null) daemon.kill('SIGTERM');
      rmSync(runtimeDir, { recursive: true, force: true });
    },
  };
}

/** Types `exit` into the session's shell, waits up to 10 s for the client to end, then closes the emulated link. */
async function exitShell(client: ClientPty, link: Started['link']): Promise<void> {
  const exited = new Promise<void>((resolve) => client.process.onExit(() => resolve()));
  client.process.write('exit\r');
  await Promise.race([exited, sleep(10_000)]);
  await link?.close();
}

async function startMosh(options: Options): Promise<Started> {
  const env = environment({});
  const result = spawnSync('mosh-server', ['new', '-i', '127.0.0.1', '-c', '256', '--', 'bash', '--norc', '--noprofile'], { env, cwd: homedir(), encoding: 'utf8' });
  const out = result.stdout + result.stderr;
  const match = /MOSH CONNECT (\d+) (\S+)/.exec(out);
  const pid = /pid = (\d+)/.exec(out);
  if (match === null) throw new Error(`flood-probe: mosh-server new printed ${JSON.stringify(out)}`);
  const way = await route(options.link, Number(match[1]));
  const client = new ClientPty('mosh-client', [way.host, String(way.port)], { ...env, MOSH_KEY: match[2]! }, options.harness);
  return {
    client,
    serverPid: pid === null ? undefined : Number(pid[1]),
    link: way.link,
    async stop() {
      await exitShell(client, way.link);
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // mosh draws a screen's changes, not its lines: only a terminal can tell when its last line is on screen.
  if (options.system === 'mosh') options.harness = true;
  const started = options.system === 'tsmosh' ? await startTsmosh(options) : await startMosh(options);
  const { client } = started;
  try {
    await client.waitFor(0, (text) => text.includes(PROMPT));
    await client.waitForQuiet(QUIET_MS);
    if (options.command !== undefined) return await runCommand(client, started.link, options);
    const rssBefore = peakRssMiB(started.serverPid);
    const floods: number[] = [];
    const histories: number[] = [];
    const ctrlCs: number[] = [];
    const cpu: string[] = [];
    for (let attempt = 0; attempt < options.tries; attempt++) {
      let mark = client.mark;
      if (options.only !== 'ctrlc') {
      const serverCpu0 = cpuMs(started.serverPid);
      const clientCpu0 = cpuMs(client.process.pid);
      const typedAt = performance.now();
      // One line more each try, so that the last try's screen (still showing) cannot pass for this one's.
      const lines = options.lines + attempt;
      client.process.write(`seq 1 ${lines}\r`);
      floods.push((await client.waitFor(mark, lineThenPrompt(String(lines)), floodEndedOnScreen(lines))) - typedAt);
      cpu.push(`${cpuMs(started.serverPid) - serverCpu0}/${cpuMs(client.process.pid) - clientCpu0}`);
      // The next try starts once this flood's history is written: before, its figure ran from a prompt the history
      // had not finished behind, and the command's echo followed by that history's repaint passed for its end.
      histories.push((await client.waitForQuiet(QUIET_MS)) - typedAt);
      }
      if (options.only === 'seq') continue;
      client.process.write('seq 1 1000000000\r');
      await sleep(FLOOD_RUN_MS);
      mark = client.mark;
      const ctrlCAt = performance.now();
      client.process.write('\x03');
      ctrlCs.push((await client.waitFor(mark, promptAfterCtrlC, (rows) => rows.some((row) => row === PROMPT.trimEnd()))) - ctrlCAt);
      await client.waitForQuiet(QUIET_MS);
    }
    const fmt = (values: number[]): string => values.map((v) => v.toFixed(0)).join(' ');
    const rss = peakRssMiB(started.serverPid);
    console.log(`${options.system}${options.link === '' ? '' : ` (link ${options.link})`}: server peak RSS ${rssBefore === undefined ? '?' : rssBefore.toFixed(1)} MiB before the floods, ${rss === undefined ? '?' : rss.toFixed(1)} MiB after; seq 1 ${options.lines} → last line and prompt: ${fmt(floods)} ms (CPU server/client ${cpu.join(' ')} ms; the client's last write ${fmt(histories)} ms); Ctrl-C → prompt: ${fmt(ctrlCs)} ms${options.harness ? `; harness parse CPU ${(client.harnessCpuUs / 1000).toFixed(0)} ms` : ''}`);
  } finally {
    await started.stop();
  }
}

/** `--command`: CMD `--tries` times, each until the prompt is back; the server's datagrams a second during it. */
async function runCommand(client: ClientPty, link: RunningLink | undefined, options: Options): Promise<void> {
  if (link === undefined) throw new Error('flood-probe: --command counts datagrams on the link: give --link');
  const rates: string[] = [];
  for (let attempt = 0; attempt < options.tries; attempt++) {
    const mark = client.mark;
    const before = await link.traffic();
    const startedAt = performance.now();
    client.process.write(`${options.command}; echo DONE${attempt}\r`);
    const tag = `DONE${attempt}`;
    await client.waitFor(mark, lineThenPrompt(tag), (rows) => rows.some((row) => row === tag));
    const seconds = (performance.now() - startedAt) / 1000;
    const after = await link.traffic();
    const packets = after.downPackets - before.downPackets;
    rates.push(`${(packets / seconds).toFixed(1)}/s (${packets} in ${seconds.toFixed(2)} s, ${((after.downBytes - before.downBytes) / 1024).toFixed(0)} KiB)`);
    await client.waitForQuiet(QUIET_MS);
  }
  console.log(`${options.system} (link ${options.link}): \`${options.command}\` → server datagrams ${rates.join('; ')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
