/**
 * Runs `tsmosh-server` on a host, installing this client's own server bundle there first when the host has no
 * server that speaks our protocol: the first connect to a host that has only Node.js costs one more command and the
 * upload; every later connect costs what it did before (one command). The SSH side (ssh2 or OpenSSH) only supplies
 * a way to run a command with an optional upload on its stdin (HostRunner).
 */
import { BootstrapError } from '../ssh/errors.js';
import { RECEIVED_PREFIX, installCommand, parseHostReport, parseInstallFailure, startCommand, type HostReport } from './host-scripts.js';
import type { ServerBundle } from './server-bundle.js';

export interface HostRunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | undefined;
}

export interface Upload {
  readonly bytes: Uint8Array;
  /** Given the command's stderr as it arrives (the installer reports what it received there). */
  readonly onStderr: (chunk: string) => void;
}

/** Runs one command with the user's shell on the host; `upload`, when given, is written to its stdin, then closed. */
export type HostRunner<R extends HostRunResult = HostRunResult> = (command: string, upload?: Upload) => Promise<R>;

export interface RunOnHostOptions {
  /** The host's name as the user wrote it, for messages. */
  readonly host: string;
  readonly bundle: ServerBundle;
  /** Sessions are started (`new`) with an install if need be; `list` and `kill` never install. */
  readonly mayInstall: boolean;
  /** Told each step as it begins and the upload's progress (for the progress line). */
  readonly onStep?: (step: string) => void;
}

/**
 * Runs `tsmosh-server <serverArguments>` on the host: an installed one that speaks our protocol, else our install of
 * this bundle (made now if `mayInstall`). Returns the server's output; throws a BootstrapError with one line when the
 * host cannot run our bundle or the install was refused.
 */
export async function runServerOnHost<R extends HostRunResult>(run: HostRunner<R>, serverArguments: readonly string[], options: RunOnHostOptions): Promise<R> {
  const { bundle, host } = options;
  const started = await run(startCommand(bundle.installId, bundle.manifest.protocol, serverArguments));
  const report = parseHostReport(lines(started.stdout));
  if (report === undefined) return started;
  const platform = supportedPlatform(report, bundle, host);
  if (!options.mayInstall) {
    throw new BootstrapError(`tsmosh: tsmosh-server is not installed on ${host}; \`tsmosh ${host}\` installs it on the first connect.`, 'server-not-found');
  }
  const payload = bundle.payload(platform);
  const total = payload.compressed.byteLength;
  const label = `installing tsmosh-server ${bundle.manifest.version} (${platform})`;
  options.onStep?.(`${label}: ${kib(0)} of ${kib(total)}`);
  let pending = '';
  const result = await run(installCommand(bundle.installId, payload.files, serverArguments), {
    bytes: payload.compressed,
    onStderr: (chunk) => {
      const complete = (pending + chunk).split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) {
        const received = receivedBytes(line);
        if (received !== undefined) options.onStep?.(`${label}: ${kib(received)} of ${kib(total)}`);
      }
    },
  });
  // The progress lines were for us; the server's own messages stay.
  const installed = { ...result, stderr: lines(result.stderr).filter((line) => receivedBytes(line) === undefined).join('\n') };
  const failure = parseInstallFailure(lines(installed.stdout));
  if (failure !== undefined) throw new BootstrapError(`tsmosh: could not install tsmosh-server on ${host}: ${failure}`, 'server-failed');
  return installed;
}

/**
 * The bundle platform (`linux-x64`) a host that reported itself can run, or a BootstrapError saying in one line
 * what it lacks and how to proceed.
 */
export function supportedPlatform(report: HostReport, bundle: ServerBundle, host: string): string {
  const manual = 'install tsmosh-server there by hand (README, "Install on a host by hand") and connect with --server=PATH if it is not on the PATH';
  const needed = bundle.manifest.node.replace(/^>=\s*/, '');
  if (report.kind === 'no-node') {
    throw new BootstrapError(
      `tsmosh: ${host} (${report.system}) has no \`node\` on the PATH of an SSH command; tsmosh-server needs Node.js ${needed} or later there: install it (or put it on that PATH), or ${manual}.`,
      'server-not-found',
    );
  }
  if (!versionAtLeast(report.node, needed)) {
    throw new BootstrapError(`tsmosh: ${host} has Node.js ${report.node}; tsmosh-server needs ${needed} or later: upgrade Node.js there, or ${manual}.`, 'server-not-found');
  }
  const platform = `${report.platform}-${report.arch}`;
  const supported = bundle.manifest.platforms.join(', ');
  if (!bundle.manifest.platforms.includes(platform)) {
    throw new BootstrapError(`tsmosh: ${host} is ${platform}; the tsmosh-server this client carries runs on ${supported} (glibc 2.28 or later): ${manual}.`, 'server-not-found');
  }
  if (report.glibc === null || !versionAtLeast(report.glibc, MINIMUM_GLIBC)) {
    const libc = report.glibc === null ? 'no glibc (musl?)' : `glibc ${report.glibc}`;
    throw new BootstrapError(`tsmosh: ${host} has ${libc}; the tsmosh-server this client carries needs glibc ${MINIMUM_GLIBC} or later: ${manual}.`, 'server-not-found');
  }
  return platform;
}

/** node-pty's Linux prebuilds are built against a glibc 2.28 sysroot (docs/install.md). */
const MINIMUM_GLIBC = '2.28';

/** Whether dotted version `have` (20.20.0, 2.36) is at least `need` (20.19, 2.28). */
export function versionAtLeast(have: string, need: string): boolean {
  const a = have.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10));
  const b = need.split('.').map((part) => Number.parseInt(part, 10));
  for (let index = 0; index < b.length; index++) {
    const left = a[index] ?? 0;
    const right = b[index] ?? 0;
    if (Number.isNaN(left)) return false;
    if (left !== right) return left > right;
  }
  return true;
}

function receivedBytes(line: string): number | undefined {
  if (!line.startsWith(RECEIVED_PREFIX)) return undefined;
  const count = Number(line.slice(RECEIVED_PREFIX.length));
  return Number.isSafeInteger(count) ? count : undefined;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}
