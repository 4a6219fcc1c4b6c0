import { createSocket, type Socket } from 'node:dgram';
import { peekSessionId, type OutgoingDatagram, type PeerAddress } from '@tsmosh/protocol';
import { cachedLiteralLookup } from '@tsmosh/forward';
import { ServerError } from './errors.js';
import { TcpCarrierListener } from './tcp-carrier.js';
import { plainIpv4 } from './ipv4-mapped.js';
import { SendHosts } from './send-address.js';

/**
 * One UDP socket shared by every session on its port. A datagram is routed by the session ID its header carries in
 * clear; the ID is not authenticated here (the session's Connection does that), so routing a forged ID only hands
 * the forgery to a core that drops and counts it. A datagram naming no session is counted and dropped without
 * touching any session.
 */

/**
 * mosh's default server port range (60001–60999): users' firewalls are already opened for it, so a mosh user can
 * switch to tsmosh without a new firewall rule.
 */
export const DEFAULT_PORT_RANGE = { low: 60001, high: 60999 } as const;

export type DatagramHandler = (bytes: Uint8Array, from: PeerAddress) => void;

export interface UdpEndpointStats {
  datagramsReceived: number;
  /** Header names a session this endpoint does not host. */
  unknownSession: number;
  /** Too short or malformed to carry a session ID. */
  malformed: number;
  /** send() failures (unreachable peer, full buffer); the transport's retransmission covers them. */
  sendErrors: number;
  /** Exceptions a session's handler threw (a bug); counted so `status` shows them. */
  handlerErrors: number;
}

export interface BindOptions {
  /** Local address; absent = all addresses (IPv6 dual-stack when available, else IPv4). */
  readonly address?: string;
  /** Inclusive range tried in order; `{low: 0, high: 0}` asks the kernel for any free port. */
  readonly ports: { readonly low: number; readonly high: number };
  /** Also listen on TCP on the same port number for clients whose UDP is blocked (default true). */
  readonly tcp?: boolean;
}

export class UdpEndpoint {
  readonly address: string;
  readonly port: number;
  readonly stats: UdpEndpointStats = {
    datagramsReceived: 0,
    unknownSession: 0,
    malformed: 0,
    sendErrors: 0,
    handlerErrors: 0,
  };
  private readonly handlers = new Map<string, DatagramHandler>();
  private closed = false;
  /** The TCP listener on the same port number for clients whose UDP is blocked (tcp-carrier.ts); undefined if taken. */
  private tcp: TcpCarrierListener | undefined;

  /** On a dual-stack IPv6 socket IPv4 peers are shown to sessions as plain IPv4 and mapped back on send. */
  private readonly sendHosts: SendHosts;

  private constructor(
    private readonly socket: Socket,
    address: string,
    port: number,
  ) {
    this.address = address;
    this.port = port;
    this.sendHosts = new SendHosts(socket.address().family === 'IPv6');
    socket.on('message', (message, remote) =>
      // Plain IPv4 for sessions: it gives the IPv4 MTU and readable addresses in logs and `list`.
      this.dispatch(message, { host: plainIpv4(remote.address), port: remote.port }),
    );
    // After bind, socket errors are per-datagram (ICMP unreachable surfaced on Linux); they must not end sessions.
    socket.on('error', () => {
      this.stats.sendErrors++;
    });
  }

  /** Binds the first free port of `options.ports`; throws ServerError naming the port(s) and what to do. */
  static async bind(options: BindOptions): Promise<UdpEndpoint> {
    const { low, high } = options.ports;
    for (let port = low; port <= high; port++) {
      const attempt = await tryBind(options.address, port);
      if (attempt.ok) {
        const endpoint = new UdpEndpoint(attempt.socket, options.address ?? attempt.boundAddress, attempt.port);
        if (options.tcp !== false) {
          // Best effort: the TCP port of the same number may belong to someone else; UDP alone still works then.
          endpoint.tcp = await TcpCarrierListener.listen(options.address, attempt.port, (bytes, from) => endpoint.dispatch(bytes, from));
        }
        return endpoint;
      }
      if (attempt.code === 'EADDRINUSE' || attempt.code === 'EACCES') continue;
      throw new ServerError(
        'bad-address',
        `tsmosh-server: cannot bind UDP ${formatHostPort(options.address ?? '*', port)}: ${attempt.message}; check the -i address`,
      );
    }
    if (low === high) {
      throw new ServerError(
        'port-in-use',
        `tsmosh-server: UDP port ${low} is already in use; choose another with -p PORT, or omit -p to take the first free port in ${DEFAULT_PORT_RANGE.low}-${DEFAULT_PORT_RANGE.high}`,
      );
    }
    throw new ServerError(
      'no-free-port',
      `tsmosh-server: no free UDP port in ${low}-${high}; widen the range with -p LOW:HIGH or end unused sessions`,
    );
  }

  /** The TCP carrier's counters, when it listens. */
  get tcpStats(): TcpCarrierListener['stats'] | undefined {
    return this.tcp?.stats;
  }

  get sessionCount(): number {
    return this.handlers.size;
  }

  register(sessionId: string, handler: DatagramHandler): void {
    if (this.handlers.has(sessionId)) throw new Error(`session ${sessionId} is already registered on port ${this.port}`);
    this.handlers.set(sessionId, handler);
  }

  unregister(sessionId: string): void {
    this.handlers.delete(sessionId);
  }

  send(datagram: OutgoingDatagram): void {
    if (this.closed) return;
    if (TcpCarrierListener.isTcpPeer(datagram.to)) {
      this.tcp?.send(datagram.to, datagram.bytes);
      return;
    }
    this.socket.send(datagram.bytes, datagram.to.port, this.sendHosts.hostFor(datagram.to.host), (error) => {
      if (error) this.stats.sendErrors++;
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.handlers.clear();
    const tcpClosed = this.tcp?.close() ?? Promise.resolve();
    return Promise.all([tcpClosed, new Promise<void>((resolve) => this.socket.close(() => resolve()))]).then(() => undefined);
  }

  private dispatch(message: Uint8Array, from: PeerAddress): void {
    this.stats.datagramsReceived++;
    const bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    const sessionId = peekSessionId(bytes);
    if (sessionId === undefined) {
      this.stats.malformed++;
      return;
    }
    const handler = this.handlers.get(sessionId);
    if (handler === undefined) {
      this.stats.unknownSession++;
      return;
    }
    try {
      handler(bytes, from);
    } catch {
      // Sessions contain their own failures; this only keeps one bad session from ending every other on the port.
      this.stats.handlerErrors++;
    }
  }
}

type BindAttempt =
  | { ok: true; socket: Socket; port: number; boundAddress: string }
  | { ok: false; code: string | undefined; message: string };

async function tryBind(address: string | undefined, port: number): Promise<BindAttempt> {
  if (address !== undefined) return bindOnce(address.includes(':') ? 'udp6' : 'udp4', address, port);
  // Dual-stack so one port serves IPv4 and IPv6 clients; hosts without IPv6 fall back to IPv4.
  const dual = await bindOnce('udp6', '::', port);
  if (dual.ok || dual.code === 'EADDRINUSE' || dual.code === 'EACCES') return dual;
  return bindOnce('udp4', '0.0.0.0', port);
}

function bindOnce(type: 'udp4' | 'udp6', address: string, port: number): Promise<BindAttempt> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, ipv6Only: false, lookup: cachedLiteralLookup() });
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.close();
      resolve({ ok: false, code: error.code, message: error.message });
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve({ ok: true, socket, port: socket.address().port, boundAddress: address });
    });
  });
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
