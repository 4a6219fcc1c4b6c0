/**
 * `--ssh=COMMAND`: bootstrap through the system's OpenSSH client instead of ssh2, for setups ssh2 cannot serve
 * (hardware keys, GSSAPI, ControlMaster, certificates, the keywords config.ts refuses). OpenSSH asks its own questions on /dev/tty,
 * so this module only captures the server's stdout and lets ssh's stderr through to the user.
 */
import { execFile, spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { BootstrapError, lookupOptionsFor, parseServerOutput, serverNotFoundMessage, shellQuote, type AddressFamily, type BootstrapResult } from './bootstrap.js';
import { parseDestination } from './config.js';
import { runServerOnHost, type Upload } from '../install/host-install.js';
import type { ServerBundle } from '../install/server-bundle.js';

/** Splits a command line the way a shell would for simple quoting ('…', "…", backslash). */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) throw new BootstrapError(`tsmosh: unbalanced ${quote} in --ssh='${text}'`, 'config');
  if (inWord) words.push(current);
  return words;
}

export interface SystemSshOptions {
  readonly sshCommand: string;
  /** ssh's own options from tsmosh's command line (-o, -i, -J, -l, -F: login-options.ts), given to ssh as they are. */
  readonly sshArguments?: readonly string[];
  readonly destination: string;
  readonly port?: number;
  readonly family?: AddressFamily;
  readonly serverCommand?: string;
  readonly serverArguments: readonly string[];
  /** The server bundle to install when the host has none of our protocol (install/); see BootstrapOptions.bundle. */
  readonly bundle?: ServerBundle;
  /** --no-install was given (BootstrapOptions.noInstall). */
  readonly noInstall?: boolean;
  /** Told each install step as it begins (the progress line). */
  readonly onStep?: (step: string) => void;
  /** Lines the host printed besides the CONNECT line. */
  readonly tell: (line: string) => void;
}

/** Asks OpenSSH which host name it would connect to (`ssh -G`), so the UDP client goes to the same place. */
async function effectiveHostName(ssh: string[], destination: string, port: number | undefined): Promise<string> {
  const args = [...ssh.slice(1), '-G', ...(port ? ['-p', String(port)] : []), destination];
  return new Promise((resolve) => {
    execFile(ssh[0]!, args, { timeout: 10_000 }, (error, stdout) => {
      const line = error ? undefined : stdout.split('\n').find((l) => l.startsWith('hostname '));
      resolve(line ? line.slice('hostname '.length).trim() : parseDestination(destination).host);
    });
  });
}

/**
 * Runs `tsmosh-server <serverArguments>` on the host through OpenSSH and returns what it printed. `stderr: 'pipe'`
 * captures the remote command's and ssh's own messages (for `--list`/`--kill`, which report one line); 'inherit'
 * shows them to the user as they come (the bootstrap). OpenSSH's questions go to /dev/tty either way. With a
 * bundle (and no --server=), an installed server of our protocol is used, else the bundle is installed first
 * (install/host-install.ts); the install's own command always captures stderr, since it carries progress lines.
 */
export async function runServerCommandWithSystemSsh(
  options: Omit<SystemSshOptions, 'tell'>,
  stderr: 'pipe' | 'inherit',
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const ssh = splitCommandLine(options.sshCommand);
  if (ssh.length === 0) throw new BootstrapError('tsmosh: --ssh= needs a command, e.g. --ssh=ssh or --ssh="ssh -F ~/.ssh/other_config"', 'config');
  const runRemote = (remote: string, upload?: Upload): Promise<{ stdout: string; stderr: string; code: number | undefined }> => {
    const args = [
      ...ssh.slice(1),
      ...(options.sshArguments ?? []),
      ...(upload === undefined ? ['-n'] : []), // no stdin unless uploading: prompts use /dev/tty
      '-T', // no pty: keeps the CONNECT line free of \r and terminal noise
      ...(options.family === 4 || options.family === 6 ? [`-${options.family}`] : []),
      ...(options.port ? ['-p', String(options.port)] : []),
      options.destination,
      '--',
      remote,
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(ssh[0]!, args, { stdio: [upload === undefined ? 'ignore' : 'pipe', 'pipe', upload === undefined ? stderr : 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        err += text;
        upload?.onStderr(text);
      });
      if (upload !== undefined) {
        child.stdin!.on('error', () => {}); // ssh that exits early (refused login) closes the pipe; its status says why
        child.stdin!.end(upload.bytes);
      }
      child.once('error', (error) => reject(new BootstrapError(`tsmosh: cannot run '${ssh[0]}': ${error.message}`, 'config')));
      child.once('close', (exitCode) => resolve({ stdout: out, stderr: err, code: exitCode ?? undefined }));
    });
  };
  const result =
    options.bundle !== undefined && options.serverCommand === undefined
      ? await runServerOnHost(runRemote, options.serverArguments, {
          host: options.destination,
          bundle: options.bundle,
          mayInstall: options.serverArguments[0] === 'new',
          ...(options.onStep ? { onStep: options.onStep } : {}),
        })
      : await runRemote([options.serverCommand ?? 'tsmosh-server', ...options.serverArguments.map(shellQuote)].join(' '));
  return { ...result, code: result.code ?? null };
}

export async function bootstrapWithSystemSsh(options: SystemSshOptions): Promise<Omit<BootstrapResult, 'resolved'> & { resolved: undefined }> {
  const ssh = [...splitCommandLine(options.sshCommand), ...(options.sshArguments ?? [])];
  const { stdout, stderr, code } = await runServerCommandWithSystemSsh(options, 'inherit');
  const parsed = parseServerOutput(stdout);
  for (const line of parsed.otherLines) options.tell(line);
  // Only an install's command captures stderr (the rest went to the terminal as it came).
  for (const line of stderr.split(/\r?\n/)) if (line.trim() !== '') options.tell(line);
  if (!('key' in parsed)) {
    if (code === 127) {
      // The shell's own line went to the terminal as it came, unless an install captured it.
      throw new BootstrapError(serverNotFoundMessage(options, options.destination, stderr), 'server-not-found');
    }
    if (code === 255) throw new BootstrapError(`tsmosh: ${ssh[0]} could not log in to ${options.destination} (see its message above).`, 'auth');
    throw new BootstrapError(`tsmosh: tsmosh-server on ${options.destination} did not start a session (ssh exit status ${code}).`, 'server-failed');
  }
  const hostName = await effectiveHostName(ssh, options.destination, options.port);
  let udpHost = hostName;
  if (!isIP(hostName)) {
    try {
      udpHost = (await lookup(hostName, lookupOptionsFor(options.family))).address;
    } catch (error) {
      throw new BootstrapError(`tsmosh: cannot resolve ${hostName}: ${(error as Error).message}`, 'network');
    }
  }
  // A login through OpenSSH hides its round trips from us, so no RTT seed is offered.
  return { udpHost, port: parsed.port, key: parsed.key, rttMs: undefined, resolved: undefined };
}
