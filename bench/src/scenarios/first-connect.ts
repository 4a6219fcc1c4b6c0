/**
 * The first connect to a host that has only Node.js (tsmosh installs its server over the login) against a later
 * connect (the install is reused): seconds from starting `tsmosh host -- true` until it exits, and the bytes both
 * directions carried, through the same emulated link the lossy-link scenario uses (real kernel TCP for SSH, real
 * UDP for the session, between two network namespaces). The host's sessions have a PATH without tsmosh-server and
 * a throwaway XDG_DATA_HOME, so each "first" connect really installs. Also the bundle's size on disk and on the wire.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createNamespaces, deleteNamespaces, startTunLink } from '../lossy/link-host.js';
import { ScreenProgram } from '../lossy/screen.js';
import { NamespacedSshd, sessionEnvironment } from '../lossy/systems.js';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';
import { median } from '../stats.js';
import { benchTempDir } from '../run-folder.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSMOSH_BIN = join(ROOT, 'packages/cli/bin/tsmosh.js');
const BUNDLE_DIR = join(ROOT, 'packages/server/bundle');

/** The links measured: loopback-like (no impairment) and the lossy-link scenario's headline bad link. */
const LINKS = [
  { name: 'loopback', label: 'no impairment', spec: '' },
  { name: 'rtt300-loss10', label: '300 ms RTT, 10 % loss each way', spec: 'delay=150ms,loss=10%' },
] as const;

/** Runs per kind of connect and link: quick 2, full 5 (each first connect starts from an empty data folder). */
const RUNS = { quick: 2, full: 5 } as const;
/** A connect that takes longer than this has failed (ms): SSH's own retransmissions at 10 % loss can take seconds. */
const CONNECT_TIMEOUT_MS = 120_000;

interface ConnectSample {
  readonly link: string;
  readonly kind: 'first' | 'later';
  readonly seconds: number;
  readonly upBytes: number;
  readonly downBytes: number;
}

export const firstConnect: Scenario = {
  name: 'first-connect',
  title: 'First connect to a bare host (install over the login) and a later connect',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const manifest = JSON.parse(readFileSync(join(BUNDLE_DIR, 'manifest.json'), 'utf8')) as { version: string; files: Array<{ path: string; size: number; platform?: string }> };
    const hostFiles = manifest.files.filter((file) => file.platform === undefined || file.platform === `linux-${process.arch}`);
    const uploadBytes = gzipSync(Buffer.concat(hostFiles.map((file) => readFileSync(join(BUNDLE_DIR, file.path)))), { level: 9 }).length;
    const onDisk = hostFiles.reduce((sum, file) => sum + file.size, 0);

    const pair = createNamespaces();
    const scratch = benchTempDir('tsmosh-bench-first-');
    // The host's PATH: node and the system, never this checkout's bins (so nothing of ours is installed).
    const hostBin = join(scratch, 'host-bin');
    mkdirSync(hostBin);
    symlinkSync(process.execPath, join(hostBin, 'node'));
    const dataHome = join(scratch, 'host-data');
    const sshd = new NamespacedSshd(pair, { PATH: `${hostBin}:/usr/bin:/bin`, XDG_DATA_HOME: dataHome, TSMOSH_RUNTIME_DIR: join(scratch, 'host-run') });
    const samples: ConnectSample[] = [];
    try {
      await sshd.start();
      const clientHome = join(scratch, 'client-home');
      mkdirSync(join(clientHome, '.ssh'), { recursive: true, mode: 0o700 });
      writeFileSync(
        join(clientHome, '.ssh', 'config'),
        `Host bare\n  HostName ${pair.serverAddress}\n  User root\n  IdentityFile ${sshd.clientKey}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n`,
      );
      for (const link of LINKS) {
        for (let run = 0; run < RUNS[context.mode]; run++) {
          for (const kind of ['first', 'later'] as const) {
            if (kind === 'first') rmSync(dataHome, { recursive: true, force: true });
            const tunnel = await startTunLink(pair, link.spec, 1000 + run);
            try {
              const started = performance.now();
              const client = new ScreenProgram({
                file: 'ip',
                args: ['netns', 'exec', pair.client, process.execPath, TSMOSH_BIN, 'bare', '--', 'true'],
                env: sessionEnvironment({ HOME: clientHome }),
              });
              const timer = setTimeout(() => client.kill(), CONNECT_TIMEOUT_MS);
              const status = await client.exited;
              clearTimeout(timer);
              const seconds = (performance.now() - started) / 1000;
              const traffic = await tunnel.traffic();
              if (status !== 0) throw new Error(`first-connect: tsmosh exited ${status} on ${link.name} (${kind}): ${client.recentOutput.slice(-300)}`);
              if (kind === 'first' && !existsSync(dataHome)) throw new Error('first-connect: the first connect installed nothing');
              samples.push({ link: link.name, kind, seconds, upBytes: traffic.upBytes, downBytes: traffic.downBytes });
              context.log(`${link.name} ${kind}: ${seconds.toFixed(2)} s, ${Math.round(traffic.upBytes / 1024)} KiB up, ${Math.round(traffic.downBytes / 1024)} KiB down`);
            } finally {
              await tunnel.close();
            }
          }
        }
      }
    } finally {
      await sshd.stop();
      deleteNamespaces(pair);
      rmSync(scratch, { recursive: true, force: true });
    }

    const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;
    const rows = LINKS.flatMap((link) =>
      (['first', 'later'] as const).map((kind) => {
        const chosen = samples.filter((sample) => sample.link === link.name && sample.kind === kind);
        return [
          link.label,
          kind === 'first' ? 'first (installs)' : 'later (reuses the install)',
          `${median(chosen.map((sample) => sample.seconds)).toFixed(2)} s`,
          `${Math.min(...chosen.map((s) => s.seconds)).toFixed(2)}–${Math.max(...chosen.map((s) => s.seconds)).toFixed(2)} s`,
          kib(median(chosen.map((sample) => sample.upBytes))),
          kib(median(chosen.map((sample) => sample.downBytes))),
        ];
      }),
    );
    const firstLossy = samples.filter((s) => s.link === 'rtt300-loss10' && s.kind === 'first').map((s) => s.seconds);
    const laterLossy = samples.filter((s) => s.link === 'rtt300-loss10' && s.kind === 'later').map((s) => s.seconds);
    return {
      notes: [
        `The server bundle for linux-${process.arch} is ${kib(onDisk)} on disk and ${kib(uploadBytes)} on the wire (gzip -9); the first connect uploads it once per host and version.`,
        `At 300 ms RTT and 10 % loss the install adds ${(median(firstLossy) - median(laterLossy)).toFixed(2)} s (median) to the first connect; later connects cost what they did before it existed (one command over SSH).`,
      ],
      tables: [
        {
          caption: `\`tsmosh host -- true\` from start to exit, ${RUNS[context.mode]} runs each; bytes are IP packets through the link (SSH login, upload, and the UDP session)`,
          columns: ['link', 'connect', 'median', 'range', 'bytes up (median)', 'bytes down (median)'],
          rows,
        },
      ],
      data: { manifest: { version: manifest.version, onDiskBytes: onDisk, uploadBytes }, samples },
    };
  },
};
