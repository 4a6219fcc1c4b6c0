/**
 * The SSH bootstrap: log in the way the user's `ssh` would (their config, known_hosts, agent and keys), run
 * `tsmosh-server new` on the host, read its `TSMOSH CONNECT <port> <key>` line, and close SSH. Nothing after this
 * depends on the TCP connection.
 */
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { parseDestination, resolveHost, type ResolvedHost, type ResolveOptions } from './config.js';
import { checkHostKey, keyTypeOfBlob, knownHostsName, recordHostKey, sha256Fingerprint, type HostKeyVerdict } from './known-hosts.js';
import { startProxyCommand } from './proxy-command.js';
import { Authentication } from './auth.js';
import { parseServerOutput } from '../server-output.js';
// Re-exported: the SSH side reads `new`'s output the same way (system-ssh.ts and the public ssh index use it from here).
export { parseServerOutput };
import { BootstrapError, PromptUnavailableError } from './errors.js';
import { serverNotFoundMessage } from './server-not-found.js';
// Re-exported for the --ssh path and `--list`/`--kill` (remote-sessions.ts), which report the same failure.
export { serverNotFoundMessage };
import { shellQuote } from '../shell-quote.js';
import { runServerOnHost, type Upload } from '../install/host-install.js';
import type { ServerBundle } from '../install/server-bundle.js';
export { shellQuote };

export { BootstrapError } from './errors.js';

const { Client } = ssh2;

/** How long the whole login may take before we give up (ms): OpenSSH has no default; ssh2's is 20 s. */
const DEFAULT_LOGIN_TIMEOUT_MS = 30_000;

/** What the bootstrap needs from the user's terminal. */
/**
 * Which addresses to use for the host: IPv4 or IPv6 only (mosh's -4/-6, --family=inet|inet6), either with one tried
 * first (--family=prefer-inet|prefer-inet6), or undefined for the resolver's own order (--family=auto|all).
 */
export type AddressFamily = 4 | 6 | 'prefer-4' | 'prefer-6';

/** dns.lookup options for a family choice. */
export function lookupOptionsFor(family: AddressFamily | undefined): { family?: 4 | 6; order?: 'ipv4first' | 'ipv6first' } {
  if (family === 4 || family === 6) return { family };
  if (family === 'prefer-4') return { order: 'ipv4first' };
  if (family === 'prefer-6') return { order: 'ipv6first' };
  return {};
}

export interface Prompter {
  /**
   * Asks on the terminal and returns the answer; `echo: false` for secrets. Rejects if there is no terminal
   * (PromptUnavailableError), if the user interrupts, or when `signal` aborts (the login failed meanwhile); the
   * terminal is restored in every case.
   */
  ask(question: string, options: { echo: boolean; signal?: AbortSignal }): Promise<string>;
  /** Shows a message (stderr). */
  tell(message: string): void;
}

export interface BootstrapOptions extends Omit<ResolveOptions, 'destination'> {
  readonly destination: string;
  readonly prompter: Prompter;
  /** The remote command that starts the server, used verbatim (it may contain spaces): default `tsmosh-server`. */
  readonly serverCommand?: string;
  /** Arguments for `tsmosh-server new`, quoted for the remote shell here. */
  readonly serverArguments: readonly string[];
  /**
   * The server bundle to install when the host has no tsmosh-server of our protocol (install/); undefined with
   * --server=PATH or --no-install, which run `serverCommand` as it is.
   */
  readonly bundle?: ServerBundle;
  /** --no-install was given: only for saying what to do when the server is not found (server-not-found.ts). */
  readonly noInstall?: boolean;
  readonly family?: AddressFamily;
  /**
   * The host's UDP address: 'proxy' (default) the address the SSH connection reached, when it was direct; 'local' the
   * host name resolved here (mosh's --experimental-remote-ip).
   */
  readonly remoteIp?: 'proxy' | 'local';
  readonly loginTimeoutMs?: number;
  /** Told each step of the login as it begins (for the progress line): connecting, handshake, authenticating… */
  readonly onProgress?: (step: string) => void;
  /**
   * Called (once or more) when the login has sent its first packets and waits on the network and the host: the
   * caller's own work done then costs the login nothing (tsmosh loads its session code).
   */
  readonly onAwaitingNetwork?: () => void;
}

export interface BootstrapResult {
  /** Where the UDP client should send: the address SSH reached (or the resolved host name behind a jump host). */
  readonly udpHost: string;
  readonly port: number;
  readonly key: string;
  /** Round-trip time measured during the login (ms), to seed the UDP client's RTT estimate. */
  readonly rttMs: number | undefined;
  readonly resolved: ResolvedHost;
  /**
   * What `tsmosh-server new` said for the user on stderr (a daemon of another build, a session restarted): for the
   * caller to show after the session, as the client's first frame would push it out of view at once.
   */
  readonly notices?: readonly string[];
}


export async function bootstrap(options: BootstrapOptions): Promise<BootstrapResult> {
  return withHost(options, async ({ target, resolved, run }) => {
    const started = performance.now();
    const { stdout, stderr, code, channelOpenedAt } = await run(options.serverArguments);
    // Opening a channel and starting a command costs two round trips; the TCP handshake cost one.
    const execRttMs = channelOpenedAt === undefined ? undefined : (channelOpenedAt - started) / 2;
    const rttMs = Math.min(target.rttMs ?? Infinity, execRttMs ?? Infinity);

    const parsed = parseServerOutput(stdout);
    for (const line of parsed.otherLines) options.prompter.tell(line);
    if (!('key' in parsed)) {
      serverNotFound(options, resolved, code, stderr);
      const firstLine = stderr.trim().split('\n').find((line) => line.trim() !== '') ?? `exit status ${code ?? 'unknown'}`;
      throw new BootstrapError(`tsmosh: tsmosh-server on ${resolved.alias} did not start a session: ${firstLine}`, 'server-failed');
    }
    const notices = stderr.split(/\r?\n/).filter((line) => line.trim() !== '');

    const reached = options.remoteIp === 'local' ? undefined : target.remoteAddress;
    const udpHost = reached ?? (await resolveAddress(resolved.hostName, options.family));
    return { udpHost, port: parsed.port, key: parsed.key, rttMs: Number.isFinite(rttMs ?? NaN) ? rttMs : undefined, resolved, notices };
  });
}

/**
 * Runs `tsmosh-server <serverArguments>` on the host over the same login as `bootstrap` (config, jump hosts,
 * known_hosts, prompts) and returns its output as it is: for `list` and `kill`, which print no CONNECT line.
 */
export async function runServerCommand(options: BootstrapOptions): Promise<{ stdout: string; stderr: string; code: number | undefined }> {
  return withHost(options, async ({ resolved, run }) => {
    const { stdout, stderr, code } = await run(options.serverArguments);
    serverNotFound(options, resolved, code, stderr);
    return { stdout, stderr, code };
  });
}

function serverNotFound(options: BootstrapOptions, resolved: ResolvedHost, code: number | undefined, stderr: string): void {
  if (code === 127 || /command not found|No such file or directory|not found/i.test(stderr.trim())) {
    throw new BootstrapError(serverNotFoundMessage(options, resolved.alias, stderr), 'server-not-found');
  }
}

/** Logs in (through any jump hosts), hands `action` a way to run tsmosh-server there, and closes every connection. */
async function withHost<T>(
  options: BootstrapOptions,
  action: (host: { target: LoggedIn; resolved: ResolvedHost; run: (args: readonly string[]) => ReturnType<typeof execute> }) => Promise<T>,
): Promise<T> {
  const resolved = resolveHost(options);
  const deadline = options.loginTimeoutMs ?? (resolved.connectTimeoutSeconds ? resolved.connectTimeoutSeconds * 1000 : DEFAULT_LOGIN_TIMEOUT_MS);
  const clients: InstanceType<typeof Client>[] = [];
  try {
    // Jump hosts first (ProxyJump), each logged into with its own configuration; each hop forwards to the next,
    // the last to the target.
    const hops = resolved.proxyJump.map((hop) => {
      const parsed = parseDestination(hop);
      // A jump host gets the config files (-F) but not the command line's options, as OpenSSH's -J does.
      return resolveHost({ ...options, commandLine: undefined, destination: hop, port: parsed.port, user: parsed.user });
    });
    let tunnel: NodeJS.ReadWriteStream | undefined;
    for (let index = 0; index < hops.length; index++) {
      if (index > 0 && hops[index]!.proxyCommand !== undefined) {
        throw new BootstrapError(
          `tsmosh: jump host ${hops[index]!.alias} has its own ProxyCommand, which tsmosh honours only on the first hop; use --ssh=ssh to log in through OpenSSH`,
          'network',
        );
      }
      const hopClient = await login(hops[index]!, options, deadline, tunnel);
      clients.push(hopClient.client);
      const next = hops[index + 1] ?? resolved;
      tunnel = await forwardTo(hopClient.client, next.hostName, next.port);
    }
    const target = await login(resolved, options, deadline, tunnel);
    clients.push(target.client);
    options.onProgress?.(`starting ${options.serverCommand === undefined ? 'tsmosh-server' : 'the server'} there`);
    const bundle = options.serverCommand === undefined ? options.bundle : undefined;
    const run = (args: readonly string[]): ReturnType<typeof execute> =>
      bundle !== undefined
        ? runServerOnHost((command, upload) => execute(target.client, command, upload), args, {
            host: resolved.alias,
            bundle,
            mayInstall: args[0] === 'new',
            ...(options.onProgress ? { onStep: options.onProgress } : {}),
          })
        : execute(target.client, [options.serverCommand ?? 'tsmosh-server', ...args.map(shellQuote)].join(' '));
    return await action({ target, resolved, run });
  } finally {
    for (const client of clients.reverse()) client.end();
  }
}

async function resolveAddress(host: string, family: AddressFamily | undefined): Promise<string> {
  if (isIP(host)) return host;
  try {
    const { address } = await lookup(host, lookupOptionsFor(family));
    return address;
  } catch (error) {
    throw new BootstrapError(`tsmosh: cannot resolve ${host}: ${(error as Error).message}`, 'network');
  }
}

interface LoggedIn {
  readonly client: InstanceType<typeof Client>;
  /** The peer address of a direct TCP connection; undefined through a jump host. */
  readonly remoteAddress: string | undefined;
  readonly rttMs: number | undefined;
}

async function login(resolved: ResolvedHost, options: BootstrapOptions, timeoutMs: number, tunnel?: NodeJS.ReadWriteStream): Promise<LoggedIn> {
  let socket: Socket | undefined;
  let connectRttMs: number | undefined;
  const viaJump = tunnel !== undefined;
  if (tunnel === undefined && resolved.proxyCommand !== undefined) {
    options.onProgress?.(`running ProxyCommand for ${resolved.alias}`);
    tunnel = startProxyCommand(resolved.proxyCommand, resolved.alias, options.env ?? process.env);
  } else if (tunnel === undefined) {
    options.onProgress?.(`resolving ${resolved.hostName}`);
    const address = await resolveAddress(resolved.hostName, options.family);
    options.onProgress?.(`connecting to ${address} port ${resolved.port}`);
    socket = await new Promise<Socket>((resolve, reject) => {
      const started = performance.now();
      const tcp = tcpConnect({ host: address, port: resolved.port });
      const timer = setTimeout(() => {
        tcp.destroy();
        reject(new BootstrapError(`tsmosh: connecting to ${resolved.alias} (${address} port ${resolved.port}) timed out`, 'network'));
      }, timeoutMs);
      tcp.once('connect', () => {
        clearTimeout(timer);
        connectRttMs = performance.now() - started; // one TCP handshake ≈ one round trip
        resolve(tcp);
      });
      tcp.once('error', (error) => {
        clearTimeout(timer);
        reject(new BootstrapError(`tsmosh: cannot connect to ${resolved.alias} (${address} port ${resolved.port}): ${(error as Error).message}`, 'network'));
      });
    });
  }

  // The login's deadline counts the network's time, not the user's: it stops while a question waits for an answer
  // (ssh2's own readyTimeout would fire under a password prompt and leave the question on a raw terminal).
  const cancelPrompts = new AbortController();
  let promptsOpen = 0;
  let timer: NodeJS.Timeout | undefined;
  let remainingMs = timeoutMs;
  let runningSince = performance.now();
  let onTimeout: () => void = () => {};
  const startClock = (): void => {
    runningSince = performance.now();
    timer = setTimeout(() => onTimeout(), Math.max(0, remainingMs));
  };
  const stopClock = (): void => {
    clearTimeout(timer);
    remainingMs -= performance.now() - runningSince;
  };
  const prompter: Prompter = {
    tell: (message) => options.prompter.tell(message),
    ask: async (question, askOptions) => {
      if (promptsOpen++ === 0) stopClock();
      try {
        return await options.prompter.ask(question, { ...askOptions, signal: cancelPrompts.signal });
      } finally {
        if (--promptsOpen === 0 && !cancelPrompts.signal.aborted) startClock();
      }
    },
  };

  const client = new Client();
  let verdict: HostKeyVerdict | undefined;
  let hostKeyError: BootstrapError | undefined;
  const lookupName = knownHostsName(resolved.hostKeyAlias ?? resolved.hostName, resolved.port);
  const files = [...resolved.userKnownHostsFiles, ...resolved.globalKnownHostsFiles];

  const hostVerifier = (key: Buffer, callback: (accept: boolean) => void): void => {
    verdict = checkHostKey(files, [lookupName], key);
    verifyHostKey(verdict, key, resolved, lookupName, prompter).then(
      (accept) => callback(accept),
      (error: unknown) => {
        hostKeyError = error instanceof BootstrapError ? error : new BootstrapError(String(error), 'host-key-refused');
        callback(false);
      },
    );
  };

  const authentication = new Authentication({ resolved, prompter, home: options.env?.HOME ?? process.env.HOME ?? '' });
  const config: ConnectConfig = {
    ...(socket ? { sock: socket } : { sock: tunnel as unknown as Socket }),
    username: resolved.user,
    hostVerifier: hostVerifier as unknown as ConnectConfig['hostVerifier'],
    authHandler: authentication.handler as unknown as ConnectConfig['authHandler'],
    readyTimeout: 0, // our own clock above, which pauses for the user
  };

  try {
    await new Promise<void>((resolve, reject) => {
      onTimeout = () => {
        reject(new BootstrapError(`tsmosh: logging in to ${resolved.alias} timed out after ${Math.round(timeoutMs / 1000)} s`, 'network'));
        client.end();
        (config.sock as Socket | undefined)?.destroy();
      };
      startClock();
      options.onProgress?.(`SSH handshake with ${resolved.alias}${viaJump ? ' through the jump host' : ''}`);
      client.once('handshake', () => options.onProgress?.(`authenticating as ${resolved.user}`));
      client.once('ready', () => resolve());
      client.on('error', (error: Error & { level?: string }) => {
        if (hostKeyError) return reject(hostKeyError);
        if (authentication.interrupted) {
          const interrupted = authentication.interrupted;
          return reject(interrupted instanceof BootstrapError ? interrupted : new BootstrapError(`tsmosh: ${interrupted.message.replace(/^tsmosh: /, '')}`, 'auth'));
        }
        if (error.level === 'client-authentication') return reject(new BootstrapError(authentication.failure(), 'auth'));
        // A ProxyCommand's own failure already says what and where (proxy-command.ts).
        const message = error.message.startsWith('tsmosh: ') ? error.message : `tsmosh: SSH to ${resolved.alias} failed: ${error.message}`;
        reject(new BootstrapError(message, 'network'));
      });
      try {
        client.connect(config);
        options.onAwaitingNetwork?.();
      } catch (error) {
        reject(new BootstrapError(`tsmosh: SSH to ${resolved.alias} failed: ${(error as Error).message}`, 'config'));
      }
    });
  } catch (error) {
    // Whatever ended the login, no question stays on the terminal and no connection stays open.
    cancelPrompts.abort();
    client.end();
    throw error;
  } finally {
    clearTimeout(timer);
    onTimeout = () => {};
  }
  return { client, remoteAddress: socket?.remoteAddress, rttMs: connectRttMs };
}

async function verifyHostKey(verdict: HostKeyVerdict, key: Buffer, resolved: ResolvedHost, name: string, prompter: Prompter): Promise<boolean> {
  const type = keyTypeOfBlob(key);
  const fingerprint = sha256Fingerprint(key);
  switch (verdict.kind) {
    case 'known':
      return true;
    case 'revoked':
      throw new BootstrapError(`tsmosh: the ${type} host key of ${resolved.alias} is marked @revoked in ${verdict.file}:${verdict.line}; refusing to connect.`, 'host-key-revoked');
    case 'changed':
      prompter.tell(
        [
          '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
          '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
          '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
          'Someone could be eavesdropping on you right now (man-in-the-middle attack)!',
          'It is also possible that a host key has just been changed.',
          `The ${type} key sent by the remote host is ${fingerprint}.`,
          `The key recorded for ${name} is in ${verdict.file}:${verdict.line}.`,
        ].join('\n'),
      );
      throw new BootstrapError(
        `tsmosh: host key for ${resolved.alias} has changed (${verdict.file}:${verdict.line}); refusing to connect. If the change is expected, remove the old key with: ssh-keygen -f ${shellQuote(verdict.file)} -R ${shellQuote(name)}`,
        'host-key-changed',
      );
    case 'unknown': {
      const record = () => recordHostKey(resolved.userKnownHostsFiles[0]!, name, key, resolved.hashKnownHosts);
      if (resolved.strictHostKeyChecking === 'yes') {
        throw new BootstrapError(`tsmosh: no ${type} host key is known for ${name} and StrictHostKeyChecking is on; add it with: ssh ${resolved.alias}`, 'host-key-refused');
      }
      if (resolved.strictHostKeyChecking === 'accept-new' || resolved.strictHostKeyChecking === 'no') {
        record();
        if (!resolved.quiet) prompter.tell(`Warning: Permanently added '${name}' (${type}) to the list of known hosts.`);
        return true;
      }
      const question =
        `The authenticity of host '${name}' can't be established.\n` +
        `${type.replace(/^ssh-/, '').toUpperCase()} key fingerprint is ${fingerprint}.\n` +
        'Are you sure you want to continue connecting (yes/no/[fingerprint])? ';
      for (;;) {
        let answer: string;
        try {
          answer = (await prompter.ask(question, { echo: true })).trim();
        } catch (error) {
          // No terminal to ask (a script, a pipe): the passphrase advice the prompter gives does not fit a host key.
          if (!(error instanceof PromptUnavailableError)) throw error;
          throw new BootstrapError(
            `tsmosh: the ${type} host key of ${name} (${fingerprint}) is not known yet, and without a terminal tsmosh cannot ask about it; connect once from a terminal to record it, or accept a new key with -o StrictHostKeyChecking=accept-new (or that line for ${resolved.alias} in ~/.ssh/config)`,
            'host-key-refused',
          );
        }
        if (answer === 'yes' || answer === fingerprint) {
          record();
          prompter.tell(`Warning: Permanently added '${name}' (${type}) to the list of known hosts.`);
          return true;
        }
        if (answer === 'no' || answer === '') throw new BootstrapError(`tsmosh: host key verification for ${name} refused by the user.`, 'host-key-refused');
        if (answer.startsWith('SHA256:')) throw new BootstrapError(`tsmosh: the fingerprint you typed does not match ${fingerprint}; not connecting.`, 'host-key-refused');
        prompter.tell("Please type 'yes', 'no' or the fingerprint: ");
      }
    }
  }
}

function forwardTo(client: InstanceType<typeof Client>, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
      if (error) reject(new BootstrapError(`tsmosh: the jump host could not reach ${host} port ${port}: ${error.message}`, 'network'));
      else resolve(stream);
    });
  });
}

/** Runs `command` on the host; `upload`'s bytes go to its stdin, which is then closed (ssh2 keeps to the window). */
function execute(
  client: InstanceType<typeof Client>,
  command: string,
  upload?: Upload,
): Promise<{ stdout: string; stderr: string; code: number | undefined; channelOpenedAt: number | undefined }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(new BootstrapError(`tsmosh: could not run tsmosh-server on the host: ${error.message}`, 'server-failed'));
      const channelOpenedAt = performance.now();
      let stdout = '';
      let stderr = '';
      let code: number | undefined;
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      channel.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        stderr += text;
        upload?.onStderr(text);
      });
      if (upload !== undefined) channel.end(Buffer.from(upload.bytes.buffer, upload.bytes.byteOffset, upload.bytes.byteLength));
      channel.on('exit', (exitCode: number | null) => (code = exitCode ?? undefined));
      channel.on('close', () => resolve({ stdout, stderr, code, channelOpenedAt }));
    });
  });
}
