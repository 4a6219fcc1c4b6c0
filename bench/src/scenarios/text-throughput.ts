/**
 * Text output for scripts, how fast: `seq 1 N` written into a pipe by `tsmosh --local -- seq 1 N` (text output:
 * client text-output.ts, the session keeping every line) beside `ssh 127.0.0.1 seq 1 N` through a throwaway sshd,
 * on loopback and over an emulated round trip. Every try's output is checked against seq's own, whole and in order.
 *
 * The emulated link: tsmosh's UDP through `--link delay=D` (each way); ssh's TCP through a proxy here that holds
 * each chunk D ms each way. A proxy ends TCP on both sides, so ssh's own TCP sees no delay (its congestion window
 * opens at loopback speed) while everything above TCP (ssh's channel window, its acknowledgements) waits the round
 * trip: close to a real link for a lossless delay, kinder to ssh than one. Needs root and /usr/sbin/sshd for ssh.
 *
 * Knobs: TSMOSH_BENCH_TEXT_LINES (default 100000), TSMOSH_BENCH_TEXT_TRIES (quick 2, full 5),
 * TSMOSH_BENCH_TEXT_DELAY_MS (one way, default 25: a 50 ms round trip), TSMOSH_BENCH_TEXT_TSMOSH (the tsmosh.js to
 * run, default this workspace's: another build's for an A/B), TSMOSH_BENCH_TEXT_SYSTEMS (tsmosh,ssh).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sessionEnvironment } from '../lossy/systems.js';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { LoopbackSshd, loopbackSshdAvailable } from '../startup/loopback-sshd.js';
import { stopDaemon } from '../startup/local-daemon.js';
import { median } from '../stats.js';
import { benchTempDir } from '../run-folder.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const WORKSPACE_CLI = join(ROOT, 'packages/cli/bin/tsmosh.js');
/** A try that takes longer than this has failed (ms): a bound for a stuck run, not a speed claim. */
const TRY_TIMEOUT_MS = 300_000;

type SystemId = 'tsmosh' | 'ssh';
interface Sample {
  readonly link: string;
  readonly system: SystemId;
  readonly seconds: number;
  readonly exact: boolean;
}

function knob(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`text-throughput: ${name}=${text}: expected a whole number`);
  return value;
}

/** Runs `file args`, its stdout a pipe hashed as it comes; resolves with the time to its exit and the hash. */
function timed(file: string, args: readonly string[], env: Record<string, string>): Promise<{ seconds: number; sha: string; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(file, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => hash.update(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TRY_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ seconds: (performance.now() - startedAt) / 1000, sha: hash.digest('hex'), code, stderr });
    });
  });
}

/** A TCP proxy on 127.0.0.1 to `targetPort` that holds each chunk `delayMs` each way (order kept: the delay is fixed). */
async function delayProxy(targetPort: number, delayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const forward = (from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
    from.on('end', () => setTimeout(() => to.end(), delayMs));
    from.on('error', () => to.destroy());
  };
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const textThroughput: Scenario = {
  name: 'text-throughput',
  title: 'Text output for scripts: `seq 1 100000` into a pipe, tsmosh beside ssh, on loopback and over a 50 ms round trip',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const lines = knob('TSMOSH_BENCH_TEXT_LINES', 100_000);
    const tries = knob('TSMOSH_BENCH_TEXT_TRIES', context.mode === 'quick' ? 2 : 5);
    const delayMs = knob('TSMOSH_BENCH_TEXT_DELAY_MS', 25);
    const cli = process.env.TSMOSH_BENCH_TEXT_TSMOSH || WORKSPACE_CLI;
    const systems = (process.env.TSMOSH_BENCH_TEXT_SYSTEMS || 'tsmosh,ssh').split(',') as SystemId[];
    const withSsh = systems.includes('ssh') && loopbackSshdAvailable();
    if (systems.includes('ssh') && !withSsh) context.log('text-throughput: no root or /usr/sbin/sshd: ssh left out');
    const expected = createHash('sha256').update(execFileSync('seq', ['1', String(lines)])).digest('hex');
    const scratch = benchTempDir('tsmosh-bench-text-');
    const runtimeDir = join(scratch, 'run');
    const env = sessionEnvironment({ TSMOSH_RUNTIME_DIR: runtimeDir });
    const sshd = withSsh ? new LoopbackSshd({ PATH: '/usr/bin:/bin' }) : undefined;
    const links = [
      { name: 'loopback', delayMs: 0 },
      { name: `${delayMs * 2} ms round trip`, delayMs },
    ];
    const samples: Sample[] = [];
    try {
      await sshd?.start();
      for (const link of links) {
        const proxy = sshd !== undefined && link.delayMs > 0 ? await delayProxy(sshd.port, link.delayMs) : undefined;
        try {
          // Alternating systems try by try, so the machine's load falls on both alike.
          for (let attempt = 0; attempt < tries; attempt++) {
            for (const system of systems) {
              if (system === 'ssh' && sshd === undefined) continue;
              const result =
                system === 'tsmosh'
                  ? await timed(process.execPath, [cli, '--local', ...(link.delayMs > 0 ? ['--link', `delay=${link.delayMs}ms`] : []), '--', 'seq', '1', String(lines)], env)
                  : await timed('ssh', ['-F', sshd!.clientConfig, ...(proxy !== undefined ? ['-p', String(proxy.port)] : []), '127.0.0.1', 'seq', '1', String(lines)], env);
              const exact = result.code === 0 && result.sha === expected;
              if (!exact) context.log(`text-throughput: ${system} over ${link.name}: status ${result.code}, output ${result.sha === expected ? 'exact' : 'NOT exact'}; ${result.stderr.slice(-300)}`);
              samples.push({ link: link.name, system, seconds: result.seconds, exact });
              context.log(`text-throughput: ${link.name} ${system} try ${attempt + 1}: ${result.seconds.toFixed(2)} s${exact ? '' : ' (not exact)'}`);
            }
          }
        } finally {
          await proxy?.close();
        }
      }
    } finally {
      await stopDaemon(join(dirname(cli), '../../server/bin/tsmosh-server.js'), runtimeDir, env);
      await sshd?.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
    const rows: string[][] = [];
    for (const link of links) {
      for (const system of systems) {
        const mine = samples.filter((s) => s.link === link.name && s.system === system);
        if (mine.length === 0) continue;
        const seconds = mine.map((s) => s.seconds);
        const mid = median(seconds);
        rows.push([
          link.name,
          system,
          `${mid.toFixed(2)} s`,
          `${Math.min(...seconds).toFixed(2)}–${Math.max(...seconds).toFixed(2)} s`,
          `${Math.round(lines / mid).toLocaleString('en-US')}`,
          `${mine.filter((s) => s.exact).length} of ${mine.length}`,
        ]);
      }
    }
    const table: Table = {
      caption: `\`seq 1 ${lines}\` into a pipe, start to exit (${tries} tries each, systems alternating)`,
      columns: ['link', 'system', 'median', 'range', 'lines / s', 'exact'],
      rows,
    };
    return {
      tables: [table],
      notes: [
        `tsmosh runs \`tsmosh --local\` with its output a pipe (text); ssh runs \`ssh 127.0.0.1 seq\` through a throwaway sshd. The ${delayMs * 2} ms round trip is tsmosh's \`--link delay=${delayMs}ms\` and, for ssh, a TCP proxy holding each chunk ${delayMs} ms each way (ssh's own TCP then sees no delay: kinder to ssh than a real link).`,
      ],
      data: { lines, tries, delayMs, cli, samples },
    };
  },
};
