import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { EXIT_TSMOSH_FAILURE, PREDICTION_MODES, type PredictionMode, parseCarrierMode, parseTcpPort, type CarrierMode, checkUtf8Locale, localeErrorMessage, parseEscapeKey, escapeKeyForInput, predictionModeFromEnv, probeTerminal, formatTerminalAnswers, sessionSizeArguments, ttyWindowSize, OUTPUT_MODES, outputModeFor, textSessionArguments, type OutputSetting, type EscapeKeySetting } from '@tsmosh/client/front';
import { liveSessions, localSessionCheck, remoteListing } from './session-check.js';
import { LINK_SPEC_SYNTAX, parseLinkSpec, type LinkProfile } from '@tsmosh/netem';
import { PROTOCOL_VERSION, SESSION_NAME_PATTERN, SessionKey, adoptMoshEnvironment } from '@tsmosh/protocol/front';
import { runRemote, type RemoteOptions } from './remote.js';
import { ForwardSpecError, parseForwardSpec, type ForwardSpec } from '@tsmosh/forward/front';
import { NO_FORWARDING, resolveForwarding, type ForwardingArguments } from './forwarding-options.js';
import type { AddressFamily } from './ssh/index.js';
import { runLocalKill, runLocalList } from './local-sessions.js';
import { startLoadingSessionCode } from './session-code.js';
import { serverBinPath } from './server-location.js';
import { DURATION_EXPECTED, PORT_SPEC_EXPECTED, describeError, listDaemonSessions, openNewSession, parseDuration, parsePortSpec } from '@tsmosh/server/new-session';
import { LOCAL_PLACE, hostPlace, namedSessionArguments, namedSessionHooks, plainSession, runNamedSession, runRemoteKill, runRemoteList, type NamedSessionOptions } from './remote-sessions.js';
import { readLoginOption } from './ssh/login-options.js';

/** Options that take a value, as `--opt VALUE` or `--opt=VALUE`. */
const VALUED_OPTIONS = new Set(['--output', '--session', '--idle-timeout', '--kill', '--server', '-p', '--port', '--bind-server', '--ssh', '--family', '--experimental-remote-ip', '--transport', '--tcp-port']);

/**
 * Options that say how to reach a host or where its server runs: with --local (no SSH, this machine's daemon) they
 * would be silently ignored, so they are refused. --no-init is the local terminal's and holds for both.
 */
const HOST_ONLY_OPTIONS = new Set(['--server', '-p', '--port', '--bind-server', '--ssh', '--family', '--experimental-remote-ip', '--no-install', '-4', '-6']);

/** mosh's --family values (mosh 1.4) and what they ask of address resolution. */
const FAMILIES: Readonly<Record<string, AddressFamily | undefined>> = {
  inet: 4,
  inet6: 6,
  'prefer-inet': 'prefer-4',
  'prefer-inet6': 'prefer-6',
  // auto (single-family hosts) and all (every family) both leave the order to the resolver.
  auto: undefined,
  all: undefined,
};

/**
 * mosh options tsmosh refuses, each with why and what to use instead: a line, never a silent difference. Every other
 * option of `mosh --help` (1.4) is accepted with mosh's meaning.
 */
const REFUSED_MOSH_OPTIONS: Readonly<Record<string, string>> = {
  '-o': 'tsmosh predicts insertion as the program would draw it and has no overwrite mode; drop -o',
  '--predict-overwrite': 'tsmosh predicts insertion as the program would draw it and has no overwrite mode; drop --predict-overwrite',
  '--client': 'tsmosh runs its client inside this process, so there is no separate client program to name; drop --client',
};

/**
 * `tsmosh`: the command a user types. `tsmosh [user@]host` logs in over SSH and runs a session there (remote.ts;
 * named sessions, --list and --kill in remote-sessions.ts). `--local` asks this machine's daemon for a session as
 * `tsmosh-server new` of this installation does (its code, in this process, starting that tsmosh-server's daemon if
 * none runs), and runs the client front end in this process, over loopback UDP (optionally through the lossy link).
 */

const USAGE = `usage: tsmosh [options] [user@]host [--session NAME | --list [--json] | --kill NAME] [[--] command...]
       tsmosh --local [--link SPEC] [--predict=adaptive|always|never|experimental] [--session NAME | --list | --kill NAME] [-- command...]`;
const HINT = '(try `tsmosh --help`)';
const HELP = `${USAGE}

  --local          run a session on this machine: tsmosh-server and the client over loopback UDP, no SSH;
                   the command starts in the current folder (on a host: in your home directory)
  --link SPEC      send the client's traffic through an emulated link, e.g. --link delay=150ms,loss=10%
                   (see the syntax with --link help)
  --predict=MODE   local echo: adaptive (default), always, never, experimental (-a: always, -n: never)
  -- command...    run this instead of your login shell (after a host, the -- may be left out, as with mosh)
  --output=text|terminal|auto   what goes to standard output: the screen drawn for a terminal, or text: each
                   line the command's screen shows, once and in order, then its last screen's lines, with no
                   escape sequences (colours dropped; nothing of a full-screen program's alternate screen);
                   tsmosh's own notices go to stderr. auto (default): text when standard output is not a terminal
                   (tsmosh host -- make > build.log; tsmosh host -- ls | grep x)

  [user@]host      log in over SSH, start a session with tsmosh-server there, then talk to it over UDP
  --session NAME   attach to the host's session NAME if it runs (taking it over from any other client), else
                   start it under that name; it outlives this client (reattach after a crash with the same command)
  --idle-timeout D with --session: end the session after D without any client (90s, 30m, 12h, 7d; 0 = never)
  --list [--json]  the host's sessions: name, command, age, last contact, attached
  --kill NAME      end the host's session NAME (or ID); its client is told
                   (--session, --idle-timeout, --list and --kill work with --local too, on this machine's daemon)
  --server=CMD     how to run tsmosh-server on the host (default: an installed tsmosh-server of
                   this protocol, else this tsmosh's own, installed over the login if missing)
  --no-install     never install tsmosh-server on the host; run the tsmosh-server on its PATH
  -p PORT[:PORT2]  the host's UDP port or range (default 60001:60999)
  --bind-server=ssh|any|IP   which host address the UDP port binds to
  --transport=udp|tcp|auto   how the session travels: auto (default) uses UDP and moves to TCP while UDP is
                   blocked, back when it works; udp or tcp forces one (works with --local too)
  --tcp-port=PORT  the host's TCP port for that (default: the UDP port's number, where tsmosh-server listens)
  -4, -6           use IPv4 / IPv6 only (--family=inet|inet6; also prefer-inet, prefer-inet6, auto, all)
  --experimental-remote-ip=proxy|local   the host's UDP address: the one SSH reached (proxy, default) or the
                   host name resolved here (local)
  --no-ssh-pty     accepted for mosh compatibility: the login never asks for a pty
  --no-init        draw full-screen programs (vim, tmux) on the normal screen, not the terminal's alternate one
  --ssh=COMMAND    log in with this OpenSSH command instead of the built-in client
  -o NAME=VALUE, -i FILE, -J [user@]host[:port], -l USER, -F FILE
                   ssh's own options for the login, as ssh takes them (with either login; mosh's -o, a bare
                   flag for overwrite prediction, is not offered)
  -A               forward your ssh-agent (as ssh -A, also ForwardAgent in ~/.ssh/config): the session's
                   SSH_AUTH_SOCK reaches the agent of whichever client is attached, across roaming and reattach
  -L [bind:]port:host:hostport   forward a local port to host:hostport as seen from the server (LocalForward)
  -R [bind:]port:host:hostport   forward a server port to host:hostport as seen from here (RemoteForward);
                   forwards survive roaming, outages and reattach (-L, -R and -A work with --local too)

environment: TSMOSH_ESCAPE_KEY (default Ctrl-^), TSMOSH_RUNTIME_DIR (the daemon's control socket directory),
  TSMOSH_PREDICTION_DISPLAY, TSMOSH_SERVER_NETWORK_TMOUT (mosh's MOSH_* names are read too),
  TSMOSH_STATE_DIR (where named sessions and shell prompts are remembered per host; default
  TSMOSH_RUNTIME_DIR/state when that is set, else ~/.local/state/tsmosh), TSMOSH_PROMPT_MEMORY=off (do not remember prompts for prediction)
Inside a session: Ctrl-^ . quits, Ctrl-^ Ctrl-Z suspends, Ctrl-^ ^ sends a literal Ctrl-^.
Exit status, as ssh's: the remote command's own, 128+N when signal N ended it, 255 when tsmosh itself fails.`;

/** The lossy link's seed: fixed, so a demo over a given link shows the same drops run after run. */
const LINK_SEED = 1;

export interface LocalOptions {
  readonly link: LinkProfile | undefined;
  readonly linkSpec: string | undefined;
  /** undefined: the client follows TSMOSH_PREDICTION_DISPLAY (default adaptive), as mosh without --predict. */
  readonly predict: PredictionMode | undefined;
  readonly command: readonly string[];
  /** Named sessions on this machine's daemon, as on a host's. */
  readonly sessions: SessionAction;
  readonly transport?: CarrierMode;
  readonly tcpPort?: number;
  readonly forwarding?: ForwardingArguments;
  /** mosh's --no-init: never switch the local terminal to its alternate screen (full-screen programs included). */
  readonly noInit?: boolean;
  /** --output: auto (default: text when standard output is not a terminal), text or terminal (text-output.ts). */
  readonly output?: OutputSetting;
}

export type ParsedArguments =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'local'; readonly options: LocalOptions }
  | { readonly kind: 'remote'; readonly destination: string; readonly options: RemoteOptions; readonly sessions: SessionAction }
  | { readonly kind: 'usage-error'; readonly message: string };

/** What a remote run does about named sessions. */
export type SessionAction =
  | { readonly kind: 'none' }
  | { readonly kind: 'attach'; readonly named: NamedSessionOptions }
  | { readonly kind: 'list'; readonly json: boolean }
  | { readonly kind: 'kill'; readonly target: string };

export function parseArguments(argv: readonly string[]): ParsedArguments {
  let local = false;
  const remote: { serverCommand?: string; serverPort?: string; bindServer?: string; family?: AddressFamily; sshCommand?: string; remoteIp?: 'proxy' | 'local'; noInstall?: boolean; noInit?: boolean; output?: OutputSetting } = {};
  // The first of HOST_ONLY_OPTIONS given, refused with --local.
  let hostOnlyOption: string | undefined;
  let session: string | undefined;
  let idleTimeout: string | undefined;
  let list = false;
  let json = false;
  let kill: string | undefined;
  let linkSpec: string | undefined;
  let predict: LocalOptions['predict'];
  const carrier: { transport?: CarrierMode; tcpPort?: number } = {};
  let forwardAgent: boolean | undefined;
  const localForwards: ForwardSpec[] = [];
  const remoteForwards: ForwardSpec[] = [];
  const sshArguments: string[] = [];
  let destination: string | undefined;
  let command: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      command = argv.slice(index + 1);
      break;
    }
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    // ssh's own login options (-o NAME=VALUE, -i, -J, -l, -F): for the login, so for a host only.
    const loginOption = readLoginOption(argv, index);
    if (loginOption?.kind === 'error') return { kind: 'usage-error', message: `${loginOption.message} ${HINT}` };
    if (loginOption !== undefined) {
      sshArguments.push(...loginOption.arguments);
      hostOnlyOption ??= loginOption.arguments[0];
      index = loginOption.nextIndex - 1;
      continue;
    }
    const optionName = arg.split('=')[0]!;
    const refusal = REFUSED_MOSH_OPTIONS[optionName];
    if (refusal !== undefined) return { kind: 'usage-error', message: `tsmosh: ${optionName}: ${refusal}` };
    if (HOST_ONLY_OPTIONS.has(optionName)) hostOnlyOption ??= optionName;
    if (arg === '--version') return { kind: 'version' };
    if (arg === '--local') {
      local = true;
    } else if (arg === '--link' || arg.startsWith('--link=')) {
      const value = arg === '--link' ? argv[++index] : arg.slice('--link='.length);
      if (value === undefined) return { kind: 'usage-error', message: `tsmosh: --link needs a link spec, e.g. --link delay=150ms,loss=10% ${HINT}` };
      linkSpec = value;
    } else if (arg.startsWith('--predict=') || arg === '--predict') {
      const value = arg === '--predict' ? argv[++index] : arg.slice('--predict='.length);
      if (!(PREDICTION_MODES as readonly string[]).includes(value ?? '')) {
        return { kind: 'usage-error', message: `tsmosh: --predict must be one of ${PREDICTION_MODES.join(', ')}, got "${value ?? ''}" ${HINT}` };
      }
      predict = value as LocalOptions['predict'];
    } else if (arg === '-a' || arg === '-n') {
      predict = arg === '-a' ? 'always' : 'never'; // mosh's short forms
    } else if (arg === '-A') {
      forwardAgent = true; // ssh's -A (ssh's -a, no agent, is mosh's predict-always here, and off is the default)
    } else if (arg.startsWith('-L') || arg.startsWith('-R')) {
      // ssh's forms: -L SPEC and -LSPEC.
      const value = arg.length > 2 ? arg.slice(2) : argv[++index];
      if (value === undefined) return { kind: 'usage-error', message: `tsmosh: ${arg} needs [bind_address:]port:host:hostport ${HINT}` };
      try {
        (arg.startsWith('-L') ? localForwards : remoteForwards).push(parseForwardSpec(arg.startsWith('-L') ? 'local' : 'remote', value));
      } catch (error) {
        if (!(error instanceof ForwardSpecError)) throw error;
        return { kind: 'usage-error', message: error.message };
      }
    } else if (VALUED_OPTIONS.has(arg.split('=')[0]!)) {
      const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
      const value = inline ?? argv[++index];
      if (value === undefined || value === '') return { kind: 'usage-error', message: `tsmosh: ${name} needs a value ${HINT}` };
      if (name === '--session') session = value;
      else if (name === '--output') {
        if (!(OUTPUT_MODES as readonly string[]).includes(value)) {
          return { kind: 'usage-error', message: `tsmosh: --output must be one of ${OUTPUT_MODES.join(', ')}, got "${value}" ${HINT}` };
        }
        remote.output = value as OutputSetting;
      }
      else if (name === '--idle-timeout') {
        // The daemon's own rule, checked here so the line names tsmosh and a remote typo fails before the login.
        try {
          parseDuration(value, name);
        } catch {
          return { kind: 'usage-error', message: `tsmosh: --idle-timeout ${value}: ${DURATION_EXPECTED} ${HINT}` };
        }
        idleTimeout = value;
      }
      else if (name === '--kill') kill = value;
      else if (name === '--server') remote.serverCommand = value;
      else if (name === '-p' || name === '--port') {
        // The server's own rule (mosh-server's -p), checked here too so a typo fails before the SSH login.
        try {
          parsePortSpec(value);
        } catch {
          return { kind: 'usage-error', message: `tsmosh: ${name} ${value}: ${PORT_SPEC_EXPECTED} ${HINT}` };
        }
        remote.serverPort = value;
      }
      else if (name === '--bind-server') {
        if (value !== 'ssh' && value !== 'any' && isIP(value) === 0) {
          return { kind: 'usage-error', message: `tsmosh: --bind-server ${value}: expected ssh, any or an IP address of the host ${HINT}` };
        }
        remote.bindServer = value;
      }
      else if (name === '--ssh') remote.sshCommand = value;
      else if (name === '--transport' || name === '--tcp-port') {
        try {
          if (name === '--transport') carrier.transport = parseCarrierMode(value);
          else carrier.tcpPort = parseTcpPort(value);
        } catch (error) {
          return { kind: 'usage-error', message: `${(error as Error).message} ${HINT}` };
        }
      }
      else if (name === '--family') {
        if (!(value in FAMILIES)) return { kind: 'usage-error', message: `tsmosh: --family must be one of ${Object.keys(FAMILIES).join(', ')}, got "${value}" ${HINT}` };
        const family = FAMILIES[value];
        if (family === undefined) delete remote.family;
        else remote.family = family;
      } else if (name === '--experimental-remote-ip') {
        if (value === 'remote') {
          return { kind: 'usage-error', message: `tsmosh: --experimental-remote-ip=remote is not supported: the server does not report the address SSH reached; use proxy (the default) or local ${HINT}` };
        }
        if (value !== 'proxy' && value !== 'local') return { kind: 'usage-error', message: `tsmosh: --experimental-remote-ip must be proxy or local, got "${value}" ${HINT}` };
        remote.remoteIp = value;
      }
    } else if (arg === '--no-ssh-pty') {
      // mosh asks ssh for a pty unless told not to; tsmosh's login never does, so this is already its behaviour.
    } else if (arg === '--no-init') {
      // mosh's --no-init keeps the terminal off the alternate screen. tsmosh uses it only while the remote program
      // does (a full-screen program); with --no-init such a screen is drawn on the normal screen too, as before.
      // It is the local terminal's, so it holds for --local as for a host.
      remote.noInit = true;
    } else if (arg === '--no-install') {
      remote.noInstall = true;
    } else if (arg === '--list') {
      list = true;
    } else if (arg === '--json') {
      json = true;
    } else if (arg === '-4' || arg === '-6') {
      remote.family = arg === '-4' ? 4 : 6;
    } else if (arg.startsWith('-')) {
      return { kind: 'usage-error', message: `tsmosh: unknown option ${arg} ${HINT}` };
    } else if (destination === undefined) {
      destination = arg;
    } else {
      // mosh's `mosh host command args…`: after the host, the first word that is not an option starts the command,
      // and everything after it is the command's, options included.
      command = argv.slice(index);
      break;
    }
  }
  if (local && destination !== undefined) {
    return { kind: 'usage-error', message: `tsmosh: --local takes no host (got "${destination}") ${HINT}` };
  }
  if ([session !== undefined, list, kill !== undefined].filter(Boolean).length > 1) {
    return { kind: 'usage-error', message: `tsmosh: --session, --list and --kill go one at a time ${HINT}` };
  }
  if (idleTimeout !== undefined && session === undefined) return { kind: 'usage-error', message: `tsmosh: --idle-timeout goes with --session NAME ${HINT}` };
  if (json && !list) return { kind: 'usage-error', message: `tsmosh: --json goes with --list ${HINT}` };
  if (session !== undefined && !SESSION_NAME_PATTERN.test(session)) {
    return { kind: 'usage-error', message: `tsmosh: --session ${JSON.stringify(session)}: use up to 64 letters, digits, '.', '_' or '-' (not starting with '.' or '-') ${HINT}` };
  }
  const forwarding: ForwardingArguments = { ...(forwardAgent !== undefined ? { agent: forwardAgent } : {}), local: localForwards, remote: remoteForwards };
  const sessions: SessionAction =
    session !== undefined
      ? { kind: 'attach', named: { session, ...(idleTimeout !== undefined ? { idleTimeout } : {}) } }
      : list
        ? { kind: 'list', json }
        : kill !== undefined
          ? { kind: 'kill', target: kill }
          : { kind: 'none' };
  if (!local) {
    if (destination === undefined) return { kind: 'usage-error', message: `tsmosh: nothing to do: give a host, or --local ${HINT}` };
    if (linkSpec !== undefined) {
      return { kind: 'usage-error', message: `tsmosh: --link emulates a bad link for --local only; to feel one, run tsmosh --local --link ${linkSpec} ${HINT}` };
    }
    const options: RemoteOptions = { destination, command, ...remote, ...carrier, ...(predict !== undefined ? { predict } : {}), ...(sshArguments.length > 0 ? { sshArguments } : {}), forwarding };
    return { kind: 'remote', destination, options, sessions };
  }
  if (hostOnlyOption !== undefined) {
    return { kind: 'usage-error', message: `tsmosh: ${hostOnlyOption} is for a session on a host (it says how to reach it); --local runs one on this machine without SSH, so leave ${hostOnlyOption} out ${HINT}` };
  }
  let link: LinkProfile | undefined;
  if (linkSpec !== undefined) {
    try {
      link = parseLinkSpec(linkSpec);
    } catch (error) {
      // The parser's first line names the bad field; the syntax reference follows on later lines.
      const firstLine = (error as Error).message.split('\n')[0];
      return { kind: 'usage-error', message: `tsmosh: ${firstLine} (see the syntax with \`tsmosh --link help\`)` };
    }
  }
  return { kind: 'local', options: { link, linkSpec, predict, command, sessions, ...carrier, forwarding, ...(remote.noInit === true ? { noInit: true } : {}), ...(remote.output !== undefined ? { output: remote.output } : {}) } };
}

export default async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  adoptMoshEnvironment(process.env);
  if (argv[0] === '--link' && argv[1] === 'help') {
    process.stdout.write(`${LINK_SPEC_SYNTAX}\n`);
    return 0;
  }
  const parsed = parseArguments(argv);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(`${HELP}\n`);
      return 0;
    case 'version':
      process.stdout.write(`tsmosh ${packageVersion()} (protocol ${PROTOCOL_VERSION})\n`);
      return 0;
    case 'usage-error':
      process.stderr.write(`${parsed.message}\n`);
      return EXIT_TSMOSH_FAILURE;
    case 'remote':
      return runRemoteAction(parsed.options, parsed.sessions);
    case 'local':
      return runLocal(parsed.options);
  }
}

async function runRemoteAction(options: RemoteOptions, sessions: SessionAction): Promise<number> {
  switch (sessions.kind) {
    case 'attach':
      return runNamedSession(options, sessions.named);
    case 'list':
      return runRemoteList(options, sessions.json);
    case 'kill':
      return runRemoteKill(options, sessions.target);
    case 'none': {
      const plain = plainSession(hostPlace(options.destination), options, async () => liveSessions(await remoteListing(options, process.env)));
      const exitCode = await runRemote(options, plain);
      // After the session, where the line stays on the screen (the session's first frame would paint over it).
      for (const line of await plain.notices()) process.stderr.write(`${line}\n`);
      return exitCode;
    }
  }
}

async function runLocal(options: LocalOptions): Promise<number> {
  if (options.sessions.kind === 'list') return runLocalList(serverBinPath(), options.sessions.json);
  if (options.sessions.kind === 'kill') return runLocalKill(serverBinPath(), options.sessions.target);
  const named = options.sessions.kind === 'attach' ? options.sessions.named : undefined;
  const locale = checkUtf8Locale(process.env);
  if (!locale.ok) {
    process.stderr.write(`${localeErrorMessage(locale, 'tsmosh')}\n`);
    return EXIT_TSMOSH_FAILURE;
  }
  let escapeKey: EscapeKeySetting;
  try {
    escapeKey = escapeKeyForInput(parseEscapeKey(process.env.TSMOSH_ESCAPE_KEY), process.stdin);
    if (options.predict === undefined) predictionModeFromEnv(process.env); // a bad value fails here, in one line
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_TSMOSH_FAILURE;
  }

  // On this machine there is no ssh_config host to read: the command line alone says what is forwarded.
  const forwarding = resolveForwarding(options.forwarding ?? NO_FORWARDING, undefined, process.env);
  for (const warning of forwarding.warnings) process.stderr.write(`${warning}\n`);
  let connectLine: { port: number; key: string; messages: readonly string[] };
  const outputMode = outputModeFor(options.output, process.stdout);
  // As for a host (remote.ts): the local terminal's answers reach the session before its command starts. Text
  // output draws nothing, so its terminal (if any) has nothing to answer for.
  const terminal = outputMode === 'text' ? undefined : await probeTerminal(process.stdin, process.stdout);
  // Loads while the daemon starts the session (a cold daemon's start runs in its own process, on another core).
  const sessionCode = startLoadingSessionCode();
  try {
    connectLine = await startLocalServer(options.command, process.env, [
      ...(forwarding.agent ? ['--forward-agent'] : []),
      ...textSessionArguments(outputMode, process.stdin),
      ...(terminal === undefined ? [] : ['--terminal-answers', formatTerminalAnswers(terminal)]),
      ...sessionSizeArguments(outputMode === 'text' ? undefined : ttyWindowSize(process.stdout)),
      ...(named === undefined ? [] : namedSessionArguments(named)),
    ]);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_TSMOSH_FAILURE;
  }

  // A plain local run is remembered and reminded of as a host's (this machine's daemon being the host); a named one
  // is remembered as a host's is, so that a plain run after this client dies reminds of it, and reminds of nothing.
  const sessionHooks =
    named === undefined
      ? plainSession(LOCAL_PLACE, { command: options.command }, () => listDaemonSessions(process.env))
      : { ...namedSessionHooks(LOCAL_PLACE, named.session, { command: options.command }), notices: async (): Promise<string[]> => [] };
  sessionHooks.onConnected({ udpHost: '127.0.0.1', port: connectLine.port, keyId: SessionKey.parse(connectLine.key).sessionIdHex });
  let target = { host: '127.0.0.1', port: connectLine.port };
  let tcpPort = options.tcpPort ?? connectLine.port;
  const proxies: Array<{ close(): Promise<void> }> = [];
  if (options.link !== undefined) {
    // Both carriers cross the emulated link, its outages counted from one moment: the datagrams, and the TCP the
    // client moves to while UDP gets nothing through (without the second proxy a blackout ended at that move).
    const [{ startUdpProxy }, { startTcpProxy }] = await Promise.all([import('@tsmosh/netem/udp'), import('@tsmosh/netem/tcp')]);
    const originMs = performance.now();
    const udp = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target, profile: options.link, seed: LINK_SEED });
    proxies.push(udp);
    const tcp = await startTcpProxy({ target: { host: '127.0.0.1', port: tcpPort }, profile: options.link, seed: LINK_SEED, originMs });
    proxies.push(tcp);
    target = { host: udp.address.host, port: udp.address.port };
    tcpPort = tcp.address.port;
  }
  try {
    const { runTerminalClient } = await sessionCode;
    const result = await runTerminalClient({
      host: target.host,
      port: target.port,
      key: connectLine.key,
      escapeKey,
      ...(options.predict === undefined ? {} : { predict: options.predict }),
      ...(options.transport === undefined ? {} : { transport: options.transport }),
      tcpPort,
      ...(forwarding.options === undefined ? {} : { forwarding: forwarding.options }),
      ...(terminal === undefined ? {} : { terminal }),
      ...(options.noInit === true ? { alternateScreen: false } : {}),
      outputMode,
      // A daemon that died (killed, or this machine's reboot on the way) is noticed through its control socket.
      checkSession: localSessionCheck(serverBinPath(), process.env, {
        ...(named !== undefined ? { name: named.session } : {}),
        key: connectLine.key,
        connectedAt: Date.now(),
      }),
    });
    sessionHooks.onExit(result.exit);
    // Where they stay on the screen: printed before the session, its first frame would have pushed them out of view.
    for (const line of [...connectLine.messages, ...(await sessionHooks.notices())]) process.stderr.write(`${line}\n`);
    return result.exitCode;
  } finally {
    for (const proxy of proxies) await proxy.close();
  }
}

/**
 * What `tsmosh-server new` does, in this process (@tsmosh/server/new-session): asks this machine's daemon for a
 * session, starting it from this installation's tsmosh-server if none runs. Running `new` as a process of its own
 * cost a Node start and its code's load on every session (a third of a short session's time; docs/benchmarks.md,
 * Start-up). Its warnings and notices (`messages`) are the caller's to show after the session, as for a host
 * (remote.ts); a failure is one line.
 */
async function startLocalServer(
  command: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  extraArguments: readonly string[] = [],
): Promise<{ port: number; key: string; messages: readonly string[] }> {
  const args = [...extraArguments, ...(command.length > 0 ? ['--', ...command] : [])];
  try {
    // As `new` run with its output read through a pipe: the window's size comes as --size (sessionSizeArguments).
    // Bounded by new's own deadlines: 10 s for a daemon it starts to answer, 15 s for the daemon's answer. The
    // locale's name was checked above (checkUtf8Locale); whether it is installed, the daemon checks (it reads
    // `locale -a` once, where this process would run it for every session).
    return await openNewSession(args, { entryScript: serverBinPath(), env });
  } catch (error) {
    throw new Error(describeError(error, 'new'));
  }
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
