/**
 * The three systems under test, each started the way the benchmark needs it: a server side running the trace's
 * program, an emulated link in front of it, and the client in a pty whose screen we read.
 *
 * - tsmosh: `tsmosh-server new` in a private runtime directory (so the daemon serves this session alone and its
 *   /proc figures are the session's), `tsmosh-client` to the UDP proxy.
 * - mosh: `mosh-server new` (Debian's mosh 1.4), `mosh-client` to the UDP proxy.
 * - tsmosh-returning: tsmosh as a returning user (returning-user.ts): the same, its client's state folder (prompt
 *   memory) kept from a warm-up session to the same host before it; plain tsmosh is a first-ever session.
 * - tsmosh-tcp: tsmosh with --transport=tcp (the carrier for blocked UDP): the daemon in the server namespace, the
 *   client in the client namespace, its TCP connection through the TUN link (real kernel TCP under the same model).
 * - ssh: a throwaway sshd in the server namespace, `ssh -tt` from the client namespace over the TUN link.
 * - node-relay: not a terminal anyone should use, a yardstick (node-relay.ts): Node moving bytes over UDP and a pty
 *   with none of tsmosh's work, through the same UDP link, on links that lose nothing (relayCanRun).
 * mosh and tsmosh are started without their SSH bootstrap: connect time is client start → first prompt.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PredictionStats } from '@tsmosh/terminal';
import type { ClientKeyTimes } from './key-path.js';
import { CPU_SIDES, onSide } from './cpu-sides.js';
import { startTunLink, startUdpLink, type NamespacePair, type RunningLink } from './link-host.js';
import { descendants } from './procstat.js';
import { ReturningUser, warmUp } from './returning-user.js';
import { ScreenProgram } from './screen.js';
import { parseLinkSpec } from '@tsmosh/netem';
import { hashbangNodeOptions } from '../node-options.js';
import { SSHD_PATH, prepareSshd, stopSshd, waitForSshd, type SshdFiles } from '../throwaway-sshd.js';
import { benchTempDir } from '../run-folder.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER_BIN = join(ROOT, 'packages/server/bin/tsmosh-server.js');
const CLIENT_BIN = join(ROOT, 'packages/client/bin/tsmosh-client.js');
/** The client runs as `node <options> <bin>`, with the options its #! line gives a user's client (node-options.ts). */
const CLIENT_NODE_OPTIONS = hashbangNodeOptions(CLIENT_BIN);
const RELAY_PROGRAM = fileURLToPath(new URL('./node-relay.js', import.meta.url));

export type SystemName = 'tsmosh' | 'tsmosh-returning' | 'tsmosh-tcp' | 'mosh' | 'ssh' | 'node-relay';
const ALL_SYSTEMS: readonly SystemName[] = ['tsmosh', 'tsmosh-returning', 'tsmosh-tcp', 'mosh', 'ssh', 'node-relay'];
/**
 * The systems a run compares: tsmosh, mosh and ssh, unless TSMOSH_BENCH_SYSTEMS names others (e.g.
 * `tsmosh,tsmosh-tcp,mosh` for the TCP carrier's figures beside UDP's).
 */
export const SYSTEMS: readonly SystemName[] = (() => {
  const chosen = process.env.TSMOSH_BENCH_SYSTEMS?.split(',').filter((name) => name !== '');
  if (chosen === undefined || chosen.length === 0) return ['tsmosh', 'mosh', 'ssh'];
  const unknown = chosen.filter((name) => !(ALL_SYSTEMS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`TSMOSH_BENCH_SYSTEMS: unknown system(s) ${unknown.join(', ')}; choose from ${ALL_SYSTEMS.join(', ')}`);
  return chosen as SystemName[];
})();

/** Every program, local or remote, sees the same locale, terminal type and prompt, so screens compare. */
export function sessionEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  for (const name of ['TSMOSH_KEY', 'MOSH_KEY', 'LC_ALL', 'LC_CTYPE', 'TMUX', 'SSH_AUTH_SOCK']) delete env[name];
  return { ...env, LANG: 'C.UTF-8', TERM: 'xterm-256color', PS1: '$ ', HOME: homedir(), ...extra };
}

export interface Session {
  readonly client: ScreenProgram;
  readonly link: RunningLink;
  /** When the client was started (performance.now()). */
  readonly clientStartedAt: number;
  /** The server-side processes whose CPU and memory count (not the program in the session). */
  serverPids(): number[];
  /** tsmosh only: its prediction engine's counters now, read through TSMOSH_CLIENT_STATS_FILE; undefined if none came. */
  predictionStats?(): Promise<PredictionCounters | undefined>;
  stop(): Promise<void>;
}

/** The counters of tsmosh's PredictionStats the benchmark reports, as the client writes them to TSMOSH_CLIENT_STATS_FILE. */
export type PredictionCounters = Readonly<
  Pick<PredictionStats, 'predicted' | 'confirmed' | 'erased' | 'discardedUnshown'> &
    Partial<Pick<PredictionStats, 'knownPromptEpochs'>> & {
      /** The client transport's resends of unacknowledged keystrokes (absent from clients older than the counter). */
      readonly clientResends?: number;
      /** When the client read and drew its newest keys (key-path.ts); absent from clients older than the record. */
      readonly keyTimes?: ClientKeyTimes;
    }
>;

/** Bound on the client answering SIGUSR2 with its stats file (ms): a busy machine may take a while; a client that never does is reported. */
const STATS_FILE_TIMEOUT_MS = 5000;

/** Asks a running tsmosh-client for its counters: SIGUSR2, then the file it renames into place. */
async function readClientStats(pid: number, path: string): Promise<PredictionCounters | undefined> {
  rmSync(path, { force: true });
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return undefined; // the client is gone
  }
  for (const deadline = performance.now() + STATS_FILE_TIMEOUT_MS; performance.now() < deadline; ) {
    if (existsSync(path)) {
      const file = JSON.parse(readFileSync(path, 'utf8')) as { prediction: PredictionCounters; transport?: { resends: number }; keyTimes?: ClientKeyTimes };
      return { ...file.prediction, ...(file.transport === undefined ? {} : { clientResends: file.transport.resends }), ...(file.keyTimes === undefined ? {} : { keyTimes: file.keyTimes }) };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** execFile of `file args` on `side`'s CPUs (cpu-sides.ts; as is when TSMOSH_BENCH_PIN is off). */
function runOn(side: 'laptop' | 'server', file: string, args: readonly string[], options: { env: Record<string, string>; timeout: number; cwd?: string }): Promise<{ stdout: string; stderr: string }> {
  const pinned = onSide(CPU_SIDES, side, file, args);
  return run(pinned.file, pinned.args, options);
}

/** A ScreenProgram (the client in the harness's pty) on the laptop's CPUs. */
function clientProgram(file: string, args: readonly string[], env: Record<string, string>): ScreenProgram {
  const pinned = onSide(CPU_SIDES, 'laptop', file, args);
  return new ScreenProgram({ file: pinned.file, args: pinned.args, env });
}

/** Bound on a server start (ms): `new` spawns a pty; a loaded machine may take seconds. */
const SERVER_START_TIMEOUT_MS = 20_000;

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * `clientStateDir`: the client's own state folder (its prompt memory), as on a user's machine apart from the
 * server's; without it the client's is inside the run's new runtime folder: a first-ever session.
 */
async function startTsmosh(command: readonly string[], spec: string, seed: number, clientStateDir?: string): Promise<Session> {
  const runtimeDir = benchTempDir('tsmosh-bench-');
  chmodSync(runtimeDir, 0o700);
  // A client may be silent for a whole 60 s blackout: the session must wait for it.
  const env = sessionEnvironment({ TSMOSH_RUNTIME_DIR: runtimeDir, TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '600000' });
  const { stdout } = await runOn('server', process.execPath, [SERVER_BIN, 'new', '-i', '127.0.0.1', '--', ...command], { env, timeout: SERVER_START_TIMEOUT_MS, cwd: homedir() });
  const match = /TSMOSH CONNECT (\d+) (\S+)/.exec(stdout);
  if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}, not a CONNECT line`);
  const status = JSON.parse((await run(process.execPath, [SERVER_BIN, 'status'], { env, timeout: SERVER_START_TIMEOUT_MS })).stdout) as { pid: number };
  const link = await startUdpLink(spec, seed, { host: '127.0.0.1', port: Number(match[1]) });
  const clientStartedAt = performance.now();
  const statsFile = join(runtimeDir, 'client-stats.json');
  const clientEnv = { ...env, TSMOSH_KEY: match[2]!, TSMOSH_CLIENT_STATS_FILE: statsFile, ...(clientStateDir !== undefined ? { TSMOSH_STATE_DIR: clientStateDir } : {}) };
  const client = clientProgram(process.execPath, [...CLIENT_NODE_OPTIONS, CLIENT_BIN, link.udpAddress!.host, String(link.udpAddress!.port)], clientEnv);
  return tsmoshSession(client, link, clientStartedAt, status.pid, statsFile, runtimeDir);
}

/** A tsmosh run's Session: the client, its link and daemon, and the stats file and runtime folder to clean up. */
function tsmoshSession(client: ScreenProgram, link: Session['link'], clientStartedAt: number, daemonPid: number, statsFile: string, runtimeDir: string): Session {
  return {
    client,
    link,
    clientStartedAt,
    serverPids: () => [daemonPid],
    predictionStats: () => readClientStats(client.pid, statsFile),
    async stop() {
      client.kill();
      killQuietly(daemonPid);
      await link.close();
      rmSync(runtimeDir, { recursive: true, force: true });
    },
  };
}

async function startTsmoshTcp(pair: NamespacePair, command: readonly string[], spec: string, seed: number): Promise<Session> {
  const runtimeDir = benchTempDir('tsmosh-bench-');
  chmodSync(runtimeDir, 0o700);
  const env = sessionEnvironment({ TSMOSH_RUNTIME_DIR: runtimeDir, TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '600000' });
  // The daemon starts inside the server namespace, its UDP socket and TCP listener on every address there (the TUN
  // address exists only once the link runs, so it cannot be named here).
  const { stdout } = await runOn('server', 'ip', ['netns', 'exec', pair.server, process.execPath, SERVER_BIN, 'new', '--', ...command], { env, timeout: SERVER_START_TIMEOUT_MS, cwd: homedir() });
  const match = /TSMOSH CONNECT (\d+) (\S+)/.exec(stdout);
  if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}, not a CONNECT line`);
  const status = JSON.parse((await run(process.execPath, [SERVER_BIN, 'status'], { env, timeout: SERVER_START_TIMEOUT_MS })).stdout) as { pid: number };
  const link = await startTunLink(pair, spec, seed);
  const clientStartedAt = performance.now();
  const statsFile = join(runtimeDir, 'client-stats.json');
  const client = clientProgram('ip', ['netns', 'exec', pair.client, process.execPath, ...CLIENT_NODE_OPTIONS, CLIENT_BIN, pair.serverAddress, match[1]!], {
    ...env,
    TSMOSH_KEY: match[2]!,
    TSMOSH_TRANSPORT: 'tcp',
    TSMOSH_CLIENT_STATS_FILE: statsFile,
  });
  return tsmoshSession(client, link, clientStartedAt, status.pid, statsFile, runtimeDir);
}

async function startMosh(command: readonly string[], spec: string, seed: number): Promise<Session> {
  const env = sessionEnvironment();
  const { stdout, stderr } = await runOn('server', 'mosh-server', ['new', '-i', '127.0.0.1', '-c', '256', '--', ...command], { env, timeout: SERVER_START_TIMEOUT_MS, cwd: homedir() });
  const match = /MOSH CONNECT (\d+) (\S+)/.exec(stdout);
  const pidMatch = /pid = (\d+)/.exec(stderr);
  if (match === null || pidMatch === null) throw new Error(`mosh-server new printed ${JSON.stringify(stdout + stderr)}, not a CONNECT line and a pid`);
  const serverPid = Number(pidMatch[1]);
  const link = await startUdpLink(spec, seed, { host: '127.0.0.1', port: Number(match[1]) });
  const clientStartedAt = performance.now();
  const client = clientProgram('mosh-client', [link.udpAddress!.host, String(link.udpAddress!.port)], { ...env, MOSH_KEY: match[2]! });
  return {
    client,
    link,
    clientStartedAt,
    serverPids: () => [serverPid],
    async stop() {
      client.kill();
      killQuietly(serverPid);
      await link.close();
    },
  };
}

/**
 * Whether the node relay can run on a link `spec` with or without a blackout: it has no retransmission and no
 * reordering, so only a link that delays every datagram alike and drops none (loopback, the LAN) keeps its screen
 * whole.
 */
export function relayCanRun(spec: string, blackout: boolean): boolean {
  if (blackout) return false;
  const { up, down } = parseLinkSpec(spec);
  return [up, down].every((d) => d.loss === 0 && d.burst === undefined && d.reorder === 0 && d.duplicate === 0 && d.jitterMs === 0 && d.rateBytesPerSecond === undefined && d.blackouts.length === 0);
}

/** Bound on the relay server printing its port (ms): a Node start and a pty spawn on a loaded machine. */
const RELAY_START_TIMEOUT_MS = 20_000;

async function startNodeRelay(command: readonly string[], spec: string, seed: number): Promise<Session> {
  if (!relayCanRun(spec, false)) throw new Error(`node-relay cannot run on link "${spec}": it has no retransmission; use a link that loses and reorders nothing`);
  const env = sessionEnvironment();
  const relayServer = onSide(CPU_SIDES, 'server', process.execPath, [RELAY_PROGRAM, 'server', '--', ...command]);
  const server = spawn(relayServer.file, relayServer.args, { env, cwd: homedir(), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`node-relay server printed no port within ${RELAY_START_TIMEOUT_MS} ms (${JSON.stringify(out)})`)), RELAY_START_TIMEOUT_MS);
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /RELAY (\d+)\n/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node-relay server exited (${code}) before printing its port`));
    });
  });
  const link = await startUdpLink(spec, seed, { host: '127.0.0.1', port });
  const clientStartedAt = performance.now();
  const client = clientProgram(process.execPath, [RELAY_PROGRAM, 'client', link.udpAddress!.host, String(link.udpAddress!.port)], env);
  return {
    client,
    link,
    clientStartedAt,
    serverPids: () => (server.pid === undefined ? [] : [server.pid]),
    async stop() {
      client.kill();
      server.kill();
      await link.close();
    },
  };
}

/** A throwaway OpenSSH server inside the server namespace (own host key and authorized key, foreground). */
export class NamespacedSshd {
  private files: SshdFiles | undefined;
  private child: ChildProcess | undefined;

  /** `sessionEnv`: what sessions get through SetEnv; default this process's PATH (so `node` and our bins resolve). */
  constructor(
    private readonly pair: NamespacePair,
    private readonly sessionEnv: Readonly<Record<string, string>> = { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  ) {}

  /** The client's private key (after start). */
  get clientKey(): string {
    if (this.files === undefined) throw new Error('NamespacedSshd: start() it first');
    return this.files.clientKey;
  }

  async start(): Promise<void> {
    // The prompt and locale come with the command (see startSsh).
    const files = prepareSshd({ port: 22, address: '0.0.0.0' }, this.sessionEnv);
    this.files = files;
    // Its sessions (and the program in them) inherit the server side's CPUs (cpu-sides.ts).
    const listener = onSide(CPU_SIDES, 'server', 'ip', ['netns', 'exec', this.pair.server, SSHD_PATH, '-D', '-e', '-f', files.configPath]);
    this.child = spawn(listener.file, listener.args, { stdio: 'ignore' });
    // taskset and `ip netns exec` exec in place, so this pid is sshd's listener whose children are the sessions.
    await waitForSshd(files, this.child, `in namespace ${this.pair.server}`);
  }

  get listenerPid(): number {
    return this.child!.pid!;
  }

  /** The sshd processes serving connections (privileged monitor and session child), not the shell they run. */
  sessionPids(): number[] {
    return descendants(this.listenerPid)
      .filter((p) => p.name.startsWith('sshd'))
      .map((p) => p.pid);
  }

  async stop(): Promise<void> {
    await stopSshd(this.child, this.files);
  }
}

/** One word for a POSIX shell: the remote side of ssh runs its command string through the user's shell. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

async function startSsh(sshd: NamespacedSshd, pair: NamespacePair, command: readonly string[], spec: string, seed: number): Promise<Session> {
  const link = await startTunLink(pair, spec, seed);
  const clientStartedAt = performance.now();
  const sshArgs = [
    'netns', 'exec', pair.client, 'ssh', '-tt', '-F', '/dev/null', '-i', sshd.clientKey,
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes', '-o', 'ControlMaster=no', '-o', 'ConnectTimeout=120',
    `root@${pair.serverAddress}`, `cd; exec env 'PS1=$ ' LANG=C.UTF-8 ${command.map(shellQuote).join(' ')}`,
  ];
  const client = clientProgram('ip', sshArgs, sessionEnvironment());
  const known = new Set<number>();
  return {
    client,
    link,
    clientStartedAt,
    serverPids: () => {
      for (const pid of sshd.sessionPids()) known.add(pid);
      return [...known];
    },
    async stop() {
      client.kill();
      for (const pid of sshd.sessionPids()) killQuietly(pid);
      await link.close();
    },
  };
}

export interface SystemContext {
  readonly pair: NamespacePair;
  readonly sshd: NamespacedSshd;
  /** The returning user's client state folders (tsmosh-returning only). */
  readonly returning?: ReturningUser;
}

/** The returning user's folders, each warmed up by a tsmosh session of `command` on its link before the first use. */
export function returningUser(command: readonly string[], seed: number): ReturningUser {
  return new ReturningUser(async (dir, spec) => {
    // Another seed than the measured runs': the earlier visit's link drops other datagrams.
    const session = await startTsmosh(command, spec, seed + WARM_UP_SEED_OFFSET, dir);
    return warmUp({ client: session.client, host: session.link.udpAddress!.host, stop: () => session.stop() }, dir);
  });
}
/** Added to the run's link seed for the warm-up session (any offset apart from the extra connects' +1…+6 would do). */
const WARM_UP_SEED_OFFSET = 1000;

/** tsmosh or mosh through a UDP link on this host: the two that need no namespaces (no sshd, no TUN). */
export function startUdpSession(system: 'tsmosh' | 'mosh', command: readonly string[], spec: string, seed: number): Promise<Session> {
  return system === 'tsmosh' ? startTsmosh(command, spec, seed) : startMosh(command, spec, seed);
}

export async function startSession(system: SystemName, context: SystemContext, command: readonly string[], spec: string, seed: number): Promise<Session> {
  switch (system) {
    case 'tsmosh':
      return startTsmosh(command, spec, seed);
    case 'tsmosh-returning':
      if (context.returning === undefined) throw new Error('tsmosh-returning: no returning user in this run (SystemContext.returning)');
      return startTsmosh(command, spec, seed, await context.returning.stateDirFor(spec));
    case 'tsmosh-tcp':
      return startTsmoshTcp(context.pair, command, spec, seed);
    case 'mosh':
      return startMosh(command, spec, seed);
    case 'ssh':
      return startSsh(context.sshd, context.pair, command, spec, seed);
    case 'node-relay':
      return startNodeRelay(command, spec, seed);
  }
}
