/**
 * Port-forward specifications as ssh writes them: `-L [bind_address:]port:host:hostport` and the same for `-R`, or
 * the `LocalForward`/`RemoteForward` keywords of ~/.ssh/config (`[bind_address:]port host:hostport`). IPv6
 * addresses go in brackets. Only TCP ports: ssh's UNIX-socket forms are refused with a line saying so.
 */
import { isPortNumber } from '@tsmosh/protocol/front';

export type ForwardDirection = 'local' | 'remote';

export interface ForwardSpec {
  readonly direction: ForwardDirection;
  /** Where the listener binds: an address, `localhost`, or `*` (every address). */
  readonly bindHost: string;
  readonly bindPort: number;
  /** Where a connection goes: resolved on the other end (the server for -L, the client for -R). */
  readonly host: string;
  readonly hostPort: number;
}

/** A forward that cannot be used; the message is one line for the user. */
export class ForwardSpecError extends Error {
  override readonly name = 'ForwardSpecError';
}

/**
 * ssh's default bind address (GatewayPorts no): the loopback interface only, so a forward is not offered to the
 * whole network by accident. `*` or an empty bind address asks for every address, as in ssh.
 */
export const DEFAULT_BIND_HOST = 'localhost';

/** Parses the argument of -L or -R. */
export function parseForwardSpec(direction: ForwardDirection, text: string): ForwardSpec {
  const option = direction === 'local' ? '-L' : '-R';
  const fail = (problem: string): never => {
    throw new ForwardSpecError(`tsmosh: ${option} ${text}: ${problem}; write ${option} [bind_address:]port:host:hostport (e.g. ${option} 8080:localhost:80)`);
  };
  if (text.includes('/') && !text.includes('[')) fail('forwarding UNIX sockets is not supported, only TCP ports');
  const parts = splitFields(text, fail);
  if (parts.length === 1 || parts.length === 2) {
    fail(direction === 'remote' && parts.length === 1 ? 'dynamic (SOCKS) forwarding is not supported' : 'expected three or four fields');
  }
  if (parts.length > 4) fail('too many fields (an IPv6 address needs [brackets])');
  const [bindHost, bindPortText, host, hostPortText] = parts.length === 4 ? parts : [DEFAULT_BIND_HOST, ...parts];
  const bindPort = parsePort(bindPortText!, 'the listening port', fail);
  const hostPort = parsePort(hostPortText!, 'the destination port', fail);
  if (host === '') fail('the destination host is empty');
  return { direction, bindHost: bindHost === '' ? '*' : bindHost!, bindPort, host: host!, hostPort };
}

/** Parses a `LocalForward`/`RemoteForward` value from ssh_config: `[bind:]port host:hostport`. */
export function parseConfigForward(direction: ForwardDirection, value: string): ForwardSpec {
  const words = value.trim().split(/\s+/);
  if (words.length !== 2) {
    throw new ForwardSpecError(`tsmosh: ${direction === 'local' ? 'LocalForward' : 'RemoteForward'} ${value}: expected "[bind_address:]port host:hostport"`);
  }
  return parseForwardSpec(direction, `${words[0]}:${words[1]}`);
}

/** `host:port` as ssh writes it, an IPv6 address in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The spec as ssh would print it, for messages. */
export function formatForwardSpec(spec: ForwardSpec): string {
  return `${spec.direction === 'local' ? '-L' : '-R'} ${formatHostPort(spec.bindHost, spec.bindPort)}:${formatHostPort(spec.host, spec.hostPort)}`;
}

/** The address to hand to `listen`: localhost is the IPv4 loopback, `*` every address. */
export function listenAddress(bindHost: string): string | undefined {
  if (bindHost === '*') return undefined;
  if (bindHost === 'localhost') return '127.0.0.1';
  return bindHost;
}

function splitFields(text: string, fail: (problem: string) => never): string[] {
  const fields: string[] = [];
  let at = 0;
  while (at <= text.length) {
    if (text[at] === '[') {
      const close = text.indexOf(']', at);
      if (close < 0) fail('an unclosed [ in an address');
      fields.push(text.slice(at + 1, close));
      at = close + 1;
      if (at < text.length && text[at] !== ':') fail('a ] must be followed by :');
      at++;
      continue;
    }
    const colon = text.indexOf(':', at);
    if (colon < 0) {
      fields.push(text.slice(at));
      break;
    }
    fields.push(text.slice(at, colon));
    at = colon + 1;
  }
  return fields;
}

function parsePort(text: string, what: string, fail: (problem: string) => never): number {
  if (!/^\d{1,5}$/.test(text)) fail(`${what} "${text}" is not a port number`);
  const port = Number(text);
  if (!isPortNumber(port)) fail(`${what} ${port} is outside 1..65535`);
  return port;
}
