/**
 * One bad session against the shared daemon (issue 17): a fresh daemon per attack, a victim session whose client
 * types one key every 100 ms into `cat` (each key timed from write to its echo on the client's screen), and a
 * neighbouring session that attacks, either through its program's output (huge titles, clipboard writes, runs of
 * combining marks, a plain flood) or as a keyed peer (a rogue process holding the neighbour's session key, sending
 * instructions that inflate to 4 MiB each from a few KB on the wire). Reported: the daemon's peak resident memory
 * (VmHWM) against a quiet neighbour's, and the victim's typing latency during the attack.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { memoryMiB, screenText, sleep, startBenchDaemon, WAIT_BOUND_MS, type ClientHandle } from '../daemon-process.js';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';
import { median, percentile } from '../stats.js';

/** @tsmosh/protocol's built entry, for the rogue peer's own process. */
const PROTOCOL_ENTRY = fileURLToPath(new URL('../../../packages/protocol/dist/index.js', import.meta.url));

/** Keys the victim types per attack, one every TYPING_GAP_MS: long enough to overlap the whole attack. */
const KEYS = { quick: 40, full: 100 } as const;
const TYPING_GAP_MS = 100;
/** Settling time (ms) after the sessions start, before typing and the attack begin. */
const SETTLE_MS = 1_500;

/** A program-output attack: what the neighbour's program prints, as a node one-liner. */
function printer(script: string): string[] {
  return ['sh', '-c', `echo neighbour-ready; read x; node -e '${script}'; exec cat`];
}

interface Attack {
  readonly name: string;
  readonly what: string;
  /** The neighbour session's command; it waits for one Enter before attacking. */
  readonly command: string[];
  /** For keyed-peer attacks: run against the neighbour's key and port while the victim types. */
  readonly peer?: (target: { port: number; key: string }, untilMs: number) => Promise<number>;
}

const ATTACKS: readonly Attack[] = [
  { name: 'quiet', what: 'a quiet neighbour (baseline)', command: ['sh', '-c', 'echo neighbour-ready; exec cat'] },
  { name: 'flood', what: 'seq 1 1000000 (honest output, for scale)', command: ['sh', '-c', 'echo neighbour-ready; read x; seq 1 1000000; exec cat'] },
  { name: 'titles', what: 'ten 5 MB window titles', command: printer('const t = "\\x1b]2;" + "x".repeat(5e6) + "\\x07"; for (let i = 0; i < 10; i++) process.stdout.write(t)') },
  { name: 'clipboard', what: 'four 3 MB OSC 52 clipboard writes', command: printer('const c = "\\x1b]52;c;" + "QUFB".repeat(75e4) + "\\x07"; for (let i = 0; i < 4; i++) process.stdout.write(c)') },
  { name: 'counts', what: 'huge counts: REP, IL, SU and CBT of a billion, 100 times', command: printer('for (let i = 0; i < 100; i++) process.stdout.write("x\\x1b[999999999b\\x1b[999999999L\\x1b[999999999S\\x1b[999999999Z")') },
  { name: 'combining', what: 'e and two million U+0301 (one cell)', command: printer('process.stdout.write("e" + "\\u0301".repeat(2e6))') },
  { name: 'inflate', what: 'a keyed peer: 4 MiB-inflating instructions, up to 500 a second for 3 s', command: ['sh', '-c', 'echo neighbour-ready; exec cat'], peer: inflateBombs },
];

/**
 * The rogue peer, in a process of its own (deflating a 4 MiB instruction for every send costs it ~20 ms, which must
 * not slow the victim's client in this process): 4 KB instructions that each inflate to 4 MiB, under the
 * neighbour's own key, until `untilMs` (this process's performance clock). Returns how many it sent.
 */
async function inflateBombs(target: { port: number; key: string }, untilMs: number): Promise<number> {
  const script = `
    import { Connection, SessionKey } from ${JSON.stringify(PROTOCOL_ENTRY)};
    import { createSocket } from 'node:dgram';
    import { randomBytes } from 'node:crypto';
    const [port, key, durationMs] = process.argv.slice(1);
    const connection = new Connection({ role: 'client', key: SessionKey.parse(key), random: (n) => new Uint8Array(randomBytes(n)),
      initialSeq: BigInt(Date.now()) * 1048576n + 1000000n, serverAddress: { host: '127.0.0.1', port: Number(port) } });
    const socket = createSocket('udp4');
    const bomb = { oldNum: 0, newNum: 1, ackNum: 0, throwawayNum: 0, diff: new Uint8Array(4 * 1024 * 1024 - 64), chaff: new Uint8Array(0) };
    const until = performance.now() + Number(durationMs);
    let sent = 0;
    while (performance.now() < until) {
      for (const datagram of connection.send(bomb, performance.now())) socket.send(datagram.bytes, Number(port), '127.0.0.1');
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    socket.close(() => console.log(sent));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, String(target.port), target.key, String(Math.max(0, untilMs - performance.now()))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return Number(output.trim());
}

/** The last row of the client's screen with anything on it: the line being typed into `cat`. */
function lastLine(client: ClientHandle): string {
  const rows = screenText(client).split('\n').map((row) => row.trimEnd());
  for (let index = rows.length - 1; index >= 0; index--) if (rows[index] !== '') return rows[index]!;
  return '';
}

/** Types KEYS keys into the victim, one every TYPING_GAP_MS; each key's time to its echo on the client's screen. */
async function typeAndTime(client: ClientHandle, keys: number): Promise<number[]> {
  let waiter: { expected: string; resolve: () => void } | undefined;
  client.on('screen', () => {
    if (waiter !== undefined && lastLine(client) === waiter.expected) {
      waiter.resolve();
      waiter = undefined;
    }
  });
  const latencies: number[] = [];
  let typed = '';
  for (let index = 0; index < keys; index++) {
    const key = String.fromCharCode(97 + (index % 26));
    typed += key;
    const started = performance.now();
    const expected = typed;
    const echoed = new Promise<void>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error('hostile-neighbour: a victim key never echoed')), WAIT_BOUND_MS);
      waiter = {
        expected,
        resolve: () => {
          clearTimeout(bound);
          resolve();
        },
      };
    });
    client.write(key);
    await echoed;
    latencies.push(performance.now() - started);
    // A new line before this one fills, so the typed text stays on one row.
    if (typed.length >= 60) {
      client.write('\r');
      typed = '';
      await sleep(TYPING_GAP_MS);
    }
    await sleep(Math.max(0, TYPING_GAP_MS - latencies.at(-1)!));
  }
  return latencies;
}

interface AttackResult {
  readonly name: string;
  readonly peakMiB: number;
  readonly latencies: number[];
  readonly peerInstructions?: number;
  readonly status: Record<string, unknown>;
}

export const hostileNeighbour: Scenario = {
  name: 'hostile-neighbour',
  title: 'One bad session against the shared daemon: peak memory and the neighbour\'s typing',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const results: AttackResult[] = [];
    for (const attack of ATTACKS) {
      context.log(`attack: ${attack.what}`);
      const daemon = await startBenchDaemon();
      try {
        const victim = await daemon.attach(daemon.newSession('victim', ['sh', '-c', 'echo victim-ready; exec cat']), (text) => text.includes('victim-ready'), 'the victim');
        const neighbourTarget = daemon.newSession('neighbour', attack.command);
        const neighbour = await daemon.attach(neighbourTarget, (text) => text.includes('neighbour-ready'), 'the neighbour');
        await sleep(SETTLE_MS);
        const typing = typeAndTime(victim, KEYS[context.mode]);
        neighbour.write('\r');
        const peer = attack.peer?.(neighbourTarget, performance.now() + 3000);
        const [latencies, peerInstructions] = await Promise.all([typing, peer ?? Promise.resolve(undefined)]);
        const status = JSON.parse(daemon.server(['status'])) as Record<string, unknown>;
        results.push({ name: attack.name, peakMiB: memoryMiB(daemon.pid).peak, latencies, ...(peerInstructions === undefined ? {} : { peerInstructions }), status });
      } finally {
        await daemon.stop();
      }
    }
    const baseline = results.find((result) => result.name === 'quiet')!;
    const rows = results.map((result) => {
      const attack = ATTACKS.find((candidate) => candidate.name === result.name)!;
      return [
        attack.what,
        result.peakMiB.toFixed(0),
        `${(result.peakMiB - baseline.peakMiB >= 0 ? '+' : '')}${(result.peakMiB - baseline.peakMiB).toFixed(0)}`,
        `${median(result.latencies).toFixed(1)} ms`,
        `${percentile(result.latencies, 95).toFixed(1)} ms`,
        `${Math.max(...result.latencies).toFixed(0)} ms`,
      ];
    });
    return {
      notes: [
        'Each attack runs against a fresh daemon holding two sessions; the victim types into `cat` while the neighbour attacks. Budgets (docs/architecture.md): titles 4 Ki code points, clipboard writes 1 Mi, other strings 64 Ki, 64 UTF-16 units per cell, counts cut to the size of the screen, 8 MiB/s inflated per connection.',
        'Loopback, one machine: the victim\'s latency is the daemon\'s own delay (the victim\'s client runs in the benchmark process, which also sends the rogue peer\'s datagrams).',
      ],
      tables: [
        {
          caption: `Daemon peak memory (VmHWM) and the victim's typing (${KEYS[context.mode]} keys, one every ${TYPING_GAP_MS} ms, key to echo on the client's screen)`,
          columns: ['neighbour', 'peak RSS (MiB)', 'vs quiet (MiB)', 'victim median', 'victim p95', 'victim max'],
          rows,
        },
      ],
      data: results,
    };
  },
};
