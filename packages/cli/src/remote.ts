/**
 * `tsmosh [user@]host [-- command...]`: log in once over SSH, start a session with `tsmosh-server new` on the host,
 * close SSH, and run the UDP client front end against the address SSH reached.
 */
import { EXIT_TSMOSH_FAILURE, type CarrierMode, checkUtf8Locale, localeErrorMessage, parseEscapeKey, escapeKeyForInput, predictionModeFromEnv, probeTerminal, formatTerminalAnswers, sessionSizeArguments, ttyWindowSize, outputModeFor, textSessionArguments, type OutputMode, type OutputSetting, type EscapeKeySetting, type TerminalCapabilities } from '@tsmosh/client/front';
import type { SessionExit } from '@tsmosh/client';
import { remoteSessionCheck } from './session-check.js';
import { SessionKey, terminalIdentityAssignments } from '@tsmosh/protocol/front';
import type { PredictionMode } from '@tsmosh/terminal';
import { ProgressLine } from './progress-line.js';
import { startLoadingSessionCode, type SessionCode } from './session-code.js';
import { ServerBundle } from './install/server-bundle.js';
import { serverBundleDir } from './server-location.js';
import type { AddressFamily, Prompter } from './ssh/index.js';
import { NO_FORWARDING, resolveForwarding, type ForwardingArguments, type ResolvedForwarding } from './forwarding-options.js';
import { resolveOptionsFor, type LoginResolveOptions } from './ssh/login-options.js';


/** Locale variables passed to the host with -l, so the session gets the user's character set (mosh does the same). */
const LOCALE_VARIABLES = ['LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'LC_COLLATE', 'LC_NUMERIC', 'LC_TIME', 'LC_MONETARY'];

export interface RemoteOptions {
  readonly destination: string;
  /** Server-side UDP port or range for `tsmosh-server new -p` (mosh's -p). */
  readonly serverPort?: string;
  /** The command that starts the server on the host (mosh's --server); default `tsmosh-server`. */
  readonly serverCommand?: string;
  /** --no-install: never put this client's server bundle on the host (install/). */
  readonly noInstall?: boolean;
  /** mosh's --no-init: never switch the local terminal to its alternate screen (full-screen programs included). */
  readonly noInit?: boolean;
  /** 'ssh' binds the server to the address SSH arrived on, 'any' to all, or an IP (mosh's --bind-server). */
  readonly bindServer?: string;
  readonly family?: AddressFamily;
  /** How the host's UDP address is found (mosh's --experimental-remote-ip): 'proxy' (default) or 'local'. */
  readonly remoteIp?: 'proxy' | 'local';
  /** Bootstrap through this OpenSSH command instead of ssh2 (mosh's --ssh). */
  readonly sshCommand?: string;
  /** ssh's own login options given to tsmosh (-o, -i, -J, -l, -F), in ssh's argument form (ssh/login-options.ts). */
  readonly sshArguments?: readonly string[];
  readonly predict?: PredictionMode;
  /** udp, tcp or auto (default): how the session travels (client carrier.ts). */
  readonly transport?: CarrierMode;
  /** The host's TCP port for the fallback; default the UDP port's number. */
  readonly tcpPort?: number;
  readonly command: readonly string[];
  /** Extra `tsmosh-server new` arguments (named sessions add theirs here). */
  readonly extraServerArguments?: readonly string[];
  /** -A, -L and -R from the command line (merged with the host's ssh_config in runRemote). */
  readonly forwarding?: ForwardingArguments;
  /** --output: auto (default: text when standard output is not a terminal), text or terminal (client text-output.ts). */
  readonly output?: OutputSetting;
}

/**
 * What every SSH use of the host shares: where to log in and how to start the server there. The server bundle is
 * offered unless --server= names the server or --no-install forbids it; a tsmosh without its bundle (a checkout
 * that was never built) runs the host's `tsmosh-server` as it is.
 */
export function hostOptions(
  options: RemoteOptions,
  env: NodeJS.ProcessEnv = process.env,
): { destination: string; serverCommand?: string; family?: AddressFamily; remoteIp?: 'proxy' | 'local'; bundle?: ServerBundle; noInstall?: boolean; sshArguments?: readonly string[] } & LoginResolveOptions {
  let bundle: ServerBundle | undefined;
  if (options.serverCommand === undefined && options.noInstall !== true) {
    try {
      bundle = ServerBundle.read(serverBundleDir(env));
    } catch {
      bundle = undefined;
    }
  }
  return {
    destination: options.destination,
    // The same ssh options for both logins: as arguments for OpenSSH (--ssh), as overrides for the built-in client.
    ...(options.sshArguments !== undefined ? { sshArguments: options.sshArguments, ...resolveOptionsFor(options.sshArguments) } : {}),
    ...(bundle !== undefined ? { bundle } : {}),
    ...(options.noInstall === true ? { noInstall: true } : {}),
    ...(options.remoteIp ? { remoteIp: options.remoteIp } : {}),
    ...(options.serverCommand ? { serverCommand: options.serverCommand } : {}),
    ...(options.family ? { family: options.family } : {}),
  };
}

/**
 * The `tsmosh-server` arguments for a new session, in the order the server's usage line gives them. `terminal`: what
 * the local terminal answered (probeTerminal), so the session's command gets its answers from its first query;
 * `window`: the local window's size, so the command starts at it.
 */
export function serverArguments(
  options: RemoteOptions,
  env: NodeJS.ProcessEnv,
  forwardAgent = false,
  terminal?: TerminalCapabilities,
  window?: { readonly cols: number; readonly rows: number },
  outputMode: OutputMode = 'terminal',
  input: { readonly isTTY?: boolean } = { isTTY: true },
): string[] {
  const args = ['new'];
  if (forwardAgent) args.push('--forward-agent');
  args.push(...textSessionArguments(outputMode, input));
  if (options.bindServer === 'ssh') args.push('-s');
  else if (options.bindServer !== undefined && options.bindServer !== 'any') args.push('-i', options.bindServer);
  if (options.serverPort !== undefined) args.push('-p', options.serverPort);
  for (const name of LOCALE_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') args.push('-l', `${name}=${value}`);
  }
  for (const assignment of terminalIdentityAssignments(env)) args.push('-e', assignment);
  if (terminal !== undefined) args.push('--terminal-answers', formatTerminalAnswers(terminal));
  args.push(...sessionSizeArguments(window));
  args.push(...(options.extraServerArguments ?? []));
  if (options.command.length > 0) args.push('--', ...options.command);
  return args;
}

export interface RemoteDependencies {
  readonly prompter?: Prompter;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: NodeJS.ReadStream;
  readonly output?: NodeJS.WriteStream;
  /**
   * The host gave us a session (sessions are recorded locally, remote-sessions.ts). `keyId`: the ID of the key it
   * gave, which for a new unnamed session is the session's own ID.
   */
  readonly onConnected?: (target: { readonly udpHost: string; readonly port: number; readonly keyId: string }) => void;
  /** The client has exited, with why (undefined: it could not start). */
  readonly onExit?: (exit: SessionExit | undefined) => void;
  /** The named session's name (remote-sessions.ts), so a check for a vanished daemon looks for it by name. */
  readonly sessionName?: string;
}

export async function runRemote(options: RemoteOptions, dependencies: RemoteDependencies = {}): Promise<number> {
  const env = dependencies.env ?? process.env;
  const fail = (message: string): number => {
    process.stderr.write(`${message}\n`);
    return EXIT_TSMOSH_FAILURE;
  };
  const locale = checkUtf8Locale(env);
  if (!locale.ok) return fail(localeErrorMessage(locale, 'tsmosh'));
  let escapeKey: EscapeKeySetting;
  try {
    escapeKey = escapeKeyForInput(parseEscapeKey(env.TSMOSH_ESCAPE_KEY), process.stdin);
    if (options.predict === undefined) predictionModeFromEnv(env);
  } catch (error) {
    return fail((error as Error).message);
  }

  // The SSH side (ssh2 and its crypto: about 12 MB and a quarter second) is loaded only for a host; --local never does.
  const { bootstrap, BootstrapError, SshConfigError, TtyPrompter, bootstrapWithSystemSsh } = await import('./ssh/index.js');
  const progress = new ProgressLine(options.destination, process.stderr);
  const promptOn = dependencies.prompter ?? new TtyPrompter(dependencies.input ?? process.stdin, process.stderr);
  // Questions and messages erase the progress line first; it comes back after the next quiet second.
  const prompter: Prompter = {
    ask: (question, askOptions) => {
      progress.clear();
      return promptOn.ask(question, askOptions);
    },
    tell: (message) => {
      progress.clear();
      promptOn.tell(message);
    },
  };
  let forwarding: ResolvedForwarding;
  try {
    const { resolveHost } = await import('./ssh/config.js');
    forwarding = resolveForwarding(options.forwarding ?? NO_FORWARDING, resolveHost({ destination: options.destination, env, ...resolveOptionsFor(options.sshArguments ?? []) }).raw, env);
  } catch (error) {
    return fail((error as Error).message.startsWith('tsmosh') ? (error as Error).message : `tsmosh: ${(error as Error).message}`);
  }
  for (const warning of forwarding.warnings) process.stderr.write(`${warning}\n`);
  // Ask the local terminal before the session exists, so its command's first queries get this terminal's answers
  // (a few ms: the DA1 answer ends the probe). Not under a test's stand-in input, which is not a terminal.
  // Text output draws nothing: no terminal to ask, and the session keeps the default size.
  const outputMode = outputModeFor(options.output, dependencies.output ?? process.stdout);
  const terminal = outputMode === 'text' ? undefined : await probeTerminal(dependencies.input ?? process.stdin, dependencies.output ?? process.stdout);
  const args = serverArguments(options, env, forwarding.agent, terminal, outputMode === 'text' ? undefined : ttyWindowSize(dependencies.output ?? process.stdout), outputMode, dependencies.input ?? process.stdin);
  // The session code loads while the login waits on the network and the host (session-code.ts): OpenSSH is a
  // process of its own, so at once; ssh2 runs here, so once its first packets are out.
  let sessionCode: Promise<SessionCode> | undefined = options.sshCommand !== undefined ? startLoadingSessionCode() : undefined;
  let target: { udpHost: string; port: number; key: string; rttMs: number | undefined; notices?: readonly string[] | undefined };
  try {
    target =
      options.sshCommand !== undefined
        ? await bootstrapWithSystemSsh({
            ...hostOptions(options, env),
            sshCommand: options.sshCommand,
            serverArguments: args,
            tell: (line) => prompter.tell(line),
            onStep: (step) => progress.update(step),
          })
        : await bootstrap({
            ...hostOptions(options, env),
            env,
            prompter,
            serverArguments: args,
            onProgress: (step) => progress.update(step),
            onAwaitingNetwork: () => (sessionCode ??= startLoadingSessionCode()),
          });
  } catch (error) {
    progress.stop();
    if (error instanceof BootstrapError || error instanceof SshConfigError) return fail(error.message);
    return fail(`tsmosh: could not start a session on ${options.destination}: ${(error as Error).message}`);
  }

  // The session draws from here; until its first frame the client's own status line says what it waits for.
  progress.stop();
  dependencies.onConnected?.({ udpHost: target.udpHost, port: target.port, keyId: SessionKey.parse(target.key).sessionIdHex });
  const { runTerminalClient } = await (sessionCode ?? startLoadingSessionCode());
  const result = await runTerminalClient({
    host: target.udpHost,
    port: target.port,
    key: target.key,
    escapeKey,
    ...(dependencies.input ? { input: dependencies.input } : {}),
    ...(dependencies.output ? { output: dependencies.output } : {}),
    ...(options.predict === undefined ? {} : { predict: options.predict }),
    ...(options.noInit === true ? { alternateScreen: false } : {}),
    outputMode,
    ...(options.transport === undefined ? {} : { transport: options.transport }),
    ...(options.tcpPort === undefined ? {} : { tcpPort: options.tcpPort }),
    ...(target.rttMs === undefined ? {} : { initialRttMs: target.rttMs }),
    ...(forwarding.options === undefined ? {} : { forwarding: forwarding.options }),
    ...(terminal === undefined ? {} : { terminal }),
    // After a long silence, a new login asks whether the session still runs (its daemon may have died with the host).
    checkSession: remoteSessionCheck(options, env, {
      ...(dependencies.sessionName !== undefined ? { name: dependencies.sessionName } : {}),
      key: target.key,
      connectedAt: Date.now(),
    }),
  });
  dependencies.onExit?.(result.exit);
  // Where they stay on the screen: printed before the session, its first frame would have pushed them out of view.
  for (const line of target.notices ?? []) process.stderr.write(`${line}\n`);
  return result.exitCode;
}
