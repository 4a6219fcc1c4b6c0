/**
 * OpenSSH client configuration, resolved the way `ssh` resolves it (ssh_config(5)).
 *
 * Lexing (quotes, `=` separators, comments, Host/Match sections) is done by the maintained `ssh-config` package.
 * It does not read `Include` files, does not expand `%` tokens or `~`, and evaluates `Match` only partly, so the
 * evaluation is ours: directives are walked in file order under a stack of conditions, an `Include` splices the
 * named files in at that point (conditionally, when it stands inside a Host or Match block, as OpenSSH does), and
 * for most keys the first value obtained wins while list keys (IdentityFile, CertificateFile, …) accumulate.
 *
 * Not supported, and said so here rather than silently mis-handled: `Match canonical`/`final` (tsmosh does no
 * hostname canonicalisation, so these never match), `Match localnetwork`, `Match tagged`, and `CanonicalizeHostname`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { isPortNumber } from '@tsmosh/protocol/front';

/** OpenSSH refuses to nest Include deeper than this (readconf.c READCONF_MAX_DEPTH); so do we, to stop loops. */
const MAX_INCLUDE_DEPTH = 16;

/** Keys whose values accumulate across matching blocks instead of first-wins (ssh_config(5)). */
const ACCUMULATING_KEYS = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv']);

export class SshConfigError extends Error {
  override readonly name = 'SshConfigError';
}

/** The effective settings for one destination, with tokens and `~` expanded where OpenSSH expands them. */
export interface ResolvedHost {
  /** The name the user typed (OpenSSH's "original host"). */
  readonly alias: string;
  readonly hostName: string;
  readonly port: number;
  readonly user: string;
  /** Identity files to try, in order, expanded. Empty means "use the defaults" (see defaultIdentityFiles). */
  readonly identityFiles: readonly string[];
  /** True when IdentitiesOnly is set: do not offer agent keys that are not among identityFiles. */
  readonly identitiesOnly: boolean;
  /** The agent socket to use, or undefined for none ("none" in the config, or no SSH_AUTH_SOCK). */
  readonly identityAgent: string | undefined;
  /** Jump hosts in order (ProxyJump), each as typed: `[user@]host[:port]`. Empty: connect directly. */
  readonly proxyJump: readonly string[];
  /**
   * ProxyCommand with its tokens expanded (%h %p %r %n %%), run through the user's shell with its stdin and stdout as
   * the SSH transport; undefined for none. ProxyJump and ProxyCommand share one slot, as in OpenSSH: whichever the
   * configuration gives first wins.
   */
  readonly proxyCommand: string | undefined;
  readonly userKnownHostsFiles: readonly string[];
  readonly globalKnownHostsFiles: readonly string[];
  /** 'yes' | 'no' | 'ask' | 'accept-new' (OpenSSH's default is ask). */
  readonly strictHostKeyChecking: 'yes' | 'no' | 'ask' | 'accept-new';
  readonly hashKnownHosts: boolean;
  /**
   * LogLevel is QUIET, FATAL or ERROR: OpenSSH's informational lines (a host key added to known_hosts) are not shown,
   * as users with `UserKnownHostsFile /dev/null` (throwaway VMs) set it to keep their scripts' output clean.
   */
  readonly quiet: boolean;
  /** HostKeyAlias: the name to look up in known_hosts instead of the host name. */
  readonly hostKeyAlias: string | undefined;
  readonly connectTimeoutSeconds: number | undefined;
  readonly passwordAuthentication: boolean;
  readonly kbdInteractiveAuthentication: boolean;
  readonly pubkeyAuthentication: boolean;
  /** Every effective key in lower case → values (for diagnostics and anything not modelled above). */
  readonly raw: ReadonlyMap<string, readonly string[]>;
}

export interface ResolveOptions {
  /** The destination as typed: `host`, `user@host`, or `ssh://user@host:port`. */
  readonly destination: string;
  /** Overrides from the command line, which OpenSSH applies before any file (first value wins). */
  readonly port?: number;
  readonly user?: string;
  /**
   * ssh_config lines from the command line (`ssh -o`, and -i and -J as their keywords: login-options.ts). They apply
   * to the destination before every file, so they win, as in OpenSSH; a jump host does not get them.
   */
  readonly commandLine?: readonly string[];
  /** Config files in order; default: ~/.ssh/config then /etc/ssh/ssh_config. */
  readonly configFiles?: readonly string[];
  readonly home?: string;
  readonly localUser?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Run `Match exec` commands (default true, as OpenSSH does). */
  readonly allowMatchExec?: boolean;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, as ssh(1) and ProxyJump accept them. */
export function parseDestination(text: string): { user?: string; host: string; port?: number } {
  let rest = text.startsWith('ssh://') ? text.slice('ssh://'.length) : text;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  let host = rest;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0 && rest.indexOf(':') === colon && /^\d+$/.test(rest.slice(colon + 1))) {
      host = rest.slice(0, colon);
      port = Number(rest.slice(colon + 1));
    }
  }
  if (host === '' || /\s/.test(host)) throw new SshConfigError(`tsmosh: '${text}' is not a destination; expected [user@]host[:port]`);
  if (port !== undefined && !isPortNumber(port)) {
    throw new SshConfigError(`tsmosh: port in '${text}' must be 1–65535`);
  }
  return { ...(user !== undefined && user !== '' ? { user } : {}), host, ...(port !== undefined ? { port } : {}) };
}

/** OpenSSH pattern lists: comma-separated globs with `*` and `?`, `!` negating. A negated match vetoes the list. */
export function matchPatternList(name: string, patternList: string, caseInsensitive = true): boolean {
  let matched = false;
  for (const rawPattern of patternList.split(',')) {
    const negated = rawPattern.startsWith('!');
    const pattern = negated ? rawPattern.slice(1) : rawPattern;
    if (pattern === '') continue;
    if (globMatch(name, pattern, caseInsensitive)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatch(name: string, pattern: string, caseInsensitive: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(name);
}

interface Condition {
  /** Evaluated lazily, in order, against the state reached when the block starts (OpenSSH semantics). */
  readonly test: (state: EvaluationState) => boolean;
}

interface EvaluationState {
  readonly originalHost: string;
  hostName: string;
  user: string;
  readonly localUser: string;
  readonly settings: Map<string, string[]>;
  readonly allowMatchExec: boolean;
  readonly tokens: (text: string) => string;
}

type ConfigLine = ReturnType<typeof SSHConfig.parse>[number];

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((part: { val: string }) => part.val).join(' ');
  return String(value);
}

/** Keywords whose value is a shell command line, passed on as written (quotes, `=` and all), as OpenSSH does. */
const COMMAND_KEYS = new Set(['proxycommand', 'localcommand', 'remotecommand', 'knownhostscommand']);

/** A value as written: the parser's words rejoined with their own separators, quoted words re-quoted. */
function commandText(value: unknown): string {
  if (!Array.isArray(value)) return valueText(value);
  return value
    .map((part: { val: string; separator?: string; quoted?: boolean }, index) => {
      const word = part.quoted ? `"${part.val}"` : part.val;
      return index === 0 ? word : `${part.separator ?? ' '}${word}`;
    })
    .join('');
}

function valueWords(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((part: { val: string }) => part.val);
  return valueText(value).split(/\s+/).filter((word) => word !== '');
}

function hostCondition(patterns: string[]): Condition {
  // A Host line matches when any pattern matches and no negated pattern does; patterns compare with the name
  // as typed (the original host), not HostName.
  return {
    test: (state) => {
      let matched = false;
      for (const pattern of patterns) {
        const negated = pattern.startsWith('!');
        if (globMatch(state.originalHost, negated ? pattern.slice(1) : pattern, true)) {
          if (negated) return false;
          matched = true;
        }
      }
      return matched;
    },
  };
}

function matchCondition(words: string[], file: string): Condition {
  const criteria: Array<(state: EvaluationState) => boolean> = [];
  for (let i = 0; i < words.length; i++) {
    let keyword = words[i]!.toLowerCase();
    const negated = keyword.startsWith('!');
    if (negated) keyword = keyword.slice(1);
    const wrap = (test: (state: EvaluationState) => boolean) => criteria.push(negated ? (s) => !test(s) : test);
    if (keyword === 'all') {
      wrap(() => true);
      continue;
    }
    if (keyword === 'canonical' || keyword === 'final') {
      // No canonicalisation pass exists in tsmosh, so blocks that demand one never apply.
      wrap(() => false);
      continue;
    }
    const argument = words[++i];
    if (argument === undefined) throw new SshConfigError(`tsmosh: ${file}: 'Match ${keyword}' needs an argument`);
    switch (keyword) {
      case 'host':
        wrap((s) => matchPatternList(s.hostName, argument));
        break;
      case 'originalhost':
        wrap((s) => matchPatternList(s.originalHost, argument));
        break;
      case 'user':
        wrap((s) => matchPatternList(s.user, argument, false));
        break;
      case 'localuser':
        wrap((s) => matchPatternList(s.localUser, argument, false));
        break;
      case 'exec':
        wrap((s) => {
          if (!s.allowMatchExec) return false;
          try {
            execFileSync('/bin/sh', ['-c', s.tokens(argument)], { stdio: 'ignore', timeout: 10_000 });
            return true;
          } catch {
            return false;
          }
        });
        break;
      default:
        throw new SshConfigError(`tsmosh: ${file}: 'Match ${keyword}' is not supported by tsmosh; use --ssh=ssh to let OpenSSH read this config`);
    }
  }
  return { test: (state) => criteria.every((criterion) => criterion(state)) };
}

interface FlatDirective {
  readonly key: string;
  readonly value: string;
  readonly conditions: readonly Condition[];
}

/**
 * Flattens a config file and everything it includes into directives, each with the stack of conditions that must
 * hold for it to apply, in the order OpenSSH reads them.
 */
function flatten(file: string, home: string, depth: number, outer: readonly Condition[], out: FlatDirective[]): void {
  if (depth > MAX_INCLUDE_DEPTH) throw new SshConfigError(`tsmosh: ${file}: Include nested deeper than ${MAX_INCLUDE_DEPTH} (a loop?)`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // missing config files are normal
    throw new SshConfigError(`tsmosh: cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed;
  try {
    parsed = SSHConfig.parse(text);
  } catch (error) {
    throw new SshConfigError(`tsmosh: ${file}: ${(error as Error).message}`);
  }
  const walk = (lines: readonly ConfigLine[], conditions: readonly Condition[]) => {
    for (const line of lines) {
      if (line.type !== SSHConfig.DIRECTIVE) continue;
      const key = line.param.toLowerCase();
      if ('config' in line && (key === 'host' || key === 'match')) {
        // A Host/Match inside an included file nests under the Include's own condition; at top level it
        // replaces the previous section's condition.
        const condition = key === 'host' ? hostCondition(valueWords(line.value)) : matchCondition(valueWords(line.value), file);
        walk(line.config as readonly ConfigLine[], [...outer, condition]);
        continue;
      }
      if (key === 'include') {
        for (const pattern of valueWords(line.value)) {
          for (const included of expandIncludePattern(pattern, home, file)) flatten(included, home, depth + 1, conditions, out);
        }
        continue;
      }
      out.push({ key, value: COMMAND_KEYS.has(key) ? commandText(line.value) : valueText(line.value), conditions });
    }
  };
  walk(parsed as unknown as readonly ConfigLine[], outer);
}

/** Command-line option lines (`ssh -o` text) as directives for every host; a section or an Include is refused. */
function commandLineDirectives(lines: readonly string[]): FlatDirective[] {
  return lines.map((text) => {
    let parsed;
    try {
      parsed = SSHConfig.parse(text) as unknown as readonly ConfigLine[];
    } catch (error) {
      throw new SshConfigError(`tsmosh: -o '${text}': ${(error as Error).message}`);
    }
    const line = parsed.find((candidate) => candidate.type === SSHConfig.DIRECTIVE);
    const key = line?.param.toLowerCase();
    if (line === undefined || key === undefined || key === 'host' || key === 'match' || key === 'include') {
      throw new SshConfigError(`tsmosh: -o '${text}' is not an ssh option (expected Keyword=value, e.g. -o ProxyJump=bastion)`);
    }
    return { key, value: COMMAND_KEYS.has(key) ? commandText(line.value) : valueText(line.value), conditions: [] };
  });
}

function expandIncludePattern(pattern: string, home: string, fromFile: string): string[] {
  let path = pattern.startsWith('~/') ? join(home, pattern.slice(2)) : pattern;
  // Relative paths are relative to ~/.ssh for user files and /etc/ssh for system files (ssh_config(5)).
  if (!isAbsolute(path)) path = join(fromFile.startsWith('/etc/') ? '/etc/ssh' : join(home, '.ssh'), path);
  if (!/[*?]/.test(path)) return [path];
  const directory = dirname(path);
  if (/[*?]/.test(directory)) throw new SshConfigError(`tsmosh: ${fromFile}: Include '${pattern}': wildcards are supported in the file name only`);
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  return names
    .filter((name) => globMatch(name, basename(path), false))
    .sort()
    .map((name) => join(directory, name))
    .filter((candidate) => {
      try {
        return statSync(candidate).isFile();
      } catch {
        return false;
      }
    });
}

/** Expands `~` at the start of a path. */
export function expandTilde(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** Resolves a destination against the OpenSSH configuration files. */
export function resolveHost(options: ResolveOptions): ResolvedHost {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const localUser = options.localUser ?? userInfo().username;
  const destination = parseDestination(options.destination);
  const files = options.configFiles ?? [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'];

  const commandLine = commandLineDirectives(options.commandLine ?? []);
  const directives: FlatDirective[] = [...commandLine];
  for (const file of files) flatten(file, home, 0, [], directives);

  const settings = new Map<string, string[]>();
  // Command-line values come first, so they win over every file (first value wins); `-o Port` and `-o User` (or -l)
  // win over the destination's own port and user, as in OpenSSH.
  const onCommandLine = (key: string) => commandLine.some((directive) => directive.key === key);
  if (options.port !== undefined) settings.set('port', [String(options.port)]);
  else if (destination.port !== undefined && !onCommandLine('port')) settings.set('port', [String(destination.port)]);
  const initialUser = options.user ?? (onCommandLine('user') ? undefined : destination.user);
  if (initialUser !== undefined) settings.set('user', [initialUser]);

  const state: EvaluationState = {
    originalHost: destination.host,
    hostName: destination.host,
    user: initialUser ?? localUser,
    localUser,
    settings,
    allowMatchExec: options.allowMatchExec ?? true,
    tokens: (text) => expandTokens(text, tokenValues()),
  };
  const tokenValues = (): Record<string, string> => ({
    h: state.hostName,
    n: state.originalHost,
    p: settings.get('port')?.[0] ?? '22',
    r: settings.get('user')?.[0] ?? localUser,
    u: localUser,
    d: home,
    l: localHostname(),
    L: localHostname().split('.')[0]!,
    i: String(process.getuid?.() ?? 0),
    k: settings.get('hostkeyalias')?.[0] ?? state.originalHost,
    '%': '%',
  });

  for (const directive of directives) {
    if (!directive.conditions.every((condition) => condition.test(state))) continue;
    if (directive.key === 'proxycommand' && settings.has('proxyjump')) continue;
    if (directive.key === 'proxyjump' && settings.has('proxycommand')) continue;
    const existing = settings.get(directive.key);
    if (ACCUMULATING_KEYS.has(directive.key)) {
      settings.set(directive.key, [...(existing ?? []), directive.value]);
    } else if (existing === undefined) {
      settings.set(directive.key, [directive.value]);
      if (directive.key === 'hostname') state.hostName = expandTokens(directive.value, { h: state.originalHost, '%': '%' });
      if (directive.key === 'user') state.user = directive.value;
    }
  }

  const first = (key: string): string | undefined => settings.get(key)?.[0];
  const yesNo = (key: string, fallback: boolean): boolean => {
    const value = first(key)?.toLowerCase();
    return value === undefined ? fallback : value === 'yes' || value === 'true';
  };
  const tokens = tokenValues();
  const path = (text: string) => expandTilde(expandTokens(text, tokens), home);

  const portText = first('port') ?? '22';
  const port = Number(portText);
  if (!isPortNumber(port)) throw new SshConfigError(`tsmosh: Port '${portText}' for ${destination.host} must be 1–65535`);

  const strict = (first('stricthostkeychecking') ?? 'ask').toLowerCase();
  const strictHostKeyChecking =
    strict === 'yes' ? 'yes' : strict === 'no' || strict === 'off' ? 'no' : strict === 'accept-new' ? 'accept-new' : 'ask';

  const agentSetting = first('identityagent');
  const identityAgent =
    agentSetting === undefined || agentSetting === 'SSH_AUTH_SOCK'
      ? env.SSH_AUTH_SOCK || undefined
      : agentSetting.toLowerCase() === 'none'
        ? undefined
        : agentSetting.startsWith('$')
          ? env[agentSetting.slice(1)] || undefined
          : path(agentSetting);

  refuseUnhonoured(settings, destination.host);
  const jump = first('proxyjump');
  const proxy = first('proxycommand');
  // The ProxyCommand tokens OpenSSH expands (ssh_config(5) TOKENS); an unknown one is refused by expandTokens.
  const proxyCommand =
    proxy === undefined || proxy.toLowerCase() === 'none'
      ? undefined
      : expandTokens(proxy, { h: state.hostName, n: destination.host, p: String(port), r: first('user') ?? localUser, '%': '%' });
  const splitFiles = (values: string[] | undefined, fallback: string[]) =>
    values === undefined ? fallback : values.flatMap((value) => value.split(/\s+/)).filter((v) => v !== '' && v.toLowerCase() !== 'none').map(path);

  const timeout = first('connecttimeout');
  return {
    alias: destination.host,
    hostName: state.hostName,
    port,
    user: first('user') ?? localUser,
    identityFiles: (settings.get('identityfile') ?? []).map(path),
    identitiesOnly: yesNo('identitiesonly', false),
    identityAgent,
    proxyJump: jump === undefined || jump.toLowerCase() === 'none' ? [] : jump.split(',').map((hop) => hop.trim()).filter((hop) => hop !== ''),
    proxyCommand,
    userKnownHostsFiles: splitFiles(settings.get('userknownhostsfile'), [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]),
    globalKnownHostsFiles: splitFiles(settings.get('globalknownhostsfile'), ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    strictHostKeyChecking,
    hashKnownHosts: yesNo('hashknownhosts', false),
    quiet: ['quiet', 'fatal', 'error'].includes((first('loglevel') ?? 'info').toLowerCase()),
    hostKeyAlias: first('hostkeyalias'),
    connectTimeoutSeconds: timeout === undefined ? undefined : Number(timeout),
    passwordAuthentication: yesNo('passwordauthentication', true),
    kbdInteractiveAuthentication: yesNo('kbdinteractiveauthentication', yesNo('challengeresponseauthentication', true)),
    pubkeyAuthentication: yesNo('pubkeyauthentication', true),
    raw: settings,
  };
}

/**
 * ssh_config keywords that change where or how OpenSSH would connect and that the built-in client does not honour,
 * with the value that is harmless (the default). Ignoring one could route a connection around what the user set up
 * (a bound source address, a DNS-verified host key, a hardware key), so each is refused in one line instead.
 * Authentication methods the client lacks (GSSAPIAuthentication, which Debian's ssh_config turns on for every host)
 * are not here: OpenSSH itself falls through to the next method, and so does tsmosh.
 */
const UNHONOURED_KEYWORDS: ReadonlyMap<string, { readonly name: string; readonly harmless: readonly string[] }> = new Map([
  ['bindaddress', { name: 'BindAddress', harmless: [] }],
  ['bindinterface', { name: 'BindInterface', harmless: [] }],
  ['canonicalizehostname', { name: 'CanonicalizeHostname', harmless: ['no'] }],
  ['proxyusefdpass', { name: 'ProxyUseFdpass', harmless: ['no'] }],
  ['knownhostscommand', { name: 'KnownHostsCommand', harmless: ['none'] }],
  ['verifyhostkeydns', { name: 'VerifyHostKeyDNS', harmless: ['no'] }],
  ['pkcs11provider', { name: 'PKCS11Provider', harmless: ['none'] }],
  ['securitykeyprovider', { name: 'SecurityKeyProvider', harmless: ['internal'] }],
  ['remotecommand', { name: 'RemoteCommand', harmless: ['none'] }],
  ['tunnel', { name: 'Tunnel', harmless: ['no'] }],
]);

function refuseUnhonoured(settings: ReadonlyMap<string, readonly string[]>, host: string): void {
  for (const [key, { name, harmless }] of UNHONOURED_KEYWORDS) {
    const value = settings.get(key)?.[0];
    if (value === undefined || harmless.includes(value.toLowerCase())) continue;
    throw new SshConfigError(`tsmosh: the ssh config sets ${name} ${value} for ${host}, which tsmosh's built-in SSH client does not honour; use --ssh=ssh to log in through OpenSSH`);
  }
}

/** `%x` tokens (ssh_config(5) TOKENS). An unknown token is an error, as in OpenSSH, rather than a silent guess. */
export function expandTokens(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/%(.)/g, (whole, token: string) => {
    const value = values[token];
    if (value === undefined) throw new SshConfigError(`tsmosh: unknown token '${whole}' in '${text}'`);
    return value;
  });
}

/** The identity files ssh tries when none is configured, in OpenSSH's order. */
export function defaultIdentityFiles(home: string): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((name) => join(home, '.ssh', name));
}
