import { createSocket, type Socket } from 'node:dgram';
import type { PeerAddress } from '@tsmosh/protocol';
import { cachedLiteralLookup } from '@tsmosh/forward';

/**
 * The client's UDP sockets, with mosh-style port hopping (docs/architecture.md, the client endpoint). The client never learns its own
 * address; it roams implicitly. When no round trip has succeeded for a while, a NAT binding or a middlebox may have
 * dropped our flow, so we open a fresh socket (a new source port) and send only from it. Replies to the old port may
 * still be in flight, so old sockets keep receiving for a while before they are closed.
 */

/** A fresh source port after this long without a successful round trip (ms); mosh's PORT_HOP_INTERVAL. */
export const PORT_HOP_INTERVAL_MS = 10_000;
/** Sockets older than the newest by this much stop receiving (ms): late replies to them are long overdue. */
export const MAX_OLD_SOCKET_AGE_MS = 60_000;
/** At most this many sockets stay open (the newest included), bounding file descriptors during a long outage. */
export const MAX_SOCKETS_OPEN = 10;

export type DatagramListener = (bytes: Uint8Array, from: PeerAddress) => void;

export interface ClientUdpEndpointStats {
  datagramsSent: number;
  datagramsReceived: number;
  /** How many times a fresh source port was opened after the first. */
  portHops: number;
}

interface OpenSocket {
  readonly socket: Socket;
  readonly openedAt: number;
  readonly localPort: number;
}

export class ClientUdpEndpoint {
  readonly stats: ClientUdpEndpointStats = { datagramsSent: 0, datagramsReceived: 0, portHops: 0 };
  /** Oldest first; the last one is the one we send from. */
  private readonly sockets: OpenSocket[] = [];
  private lastPortChoiceAt: number;
  /** Still reported after close(), when status is read for a final frame. */
  private lastLocalPort: number;
  /** Before any round trip, hopping counts from when the endpoint opened. */
  private readonly createdAt: number;
  private closed = false;
  private hopInProgress: Promise<void> | undefined;
  /** Datagrams read in this loop turn, not yet handed to the listener (see arrived()). */
  private readonly unheard: Array<{ readonly bytes: Uint8Array; readonly from: PeerAddress }> = [];

  private constructor(
    /** Chosen from the server address: one family for the life of the session, as mosh does. */
    readonly family: 'udp4' | 'udp6',
    private readonly listener: DatagramListener,
    /** Runs a callback in this loop turn's check phase (the runtime's soon: setImmediate); see arrived(). */
    private readonly soon: (callback: () => void) => void,
    first: OpenSocket,
  ) {
    this.sockets.push(first);
    this.lastPortChoiceAt = first.openedAt;
    this.lastLocalPort = first.localPort;
    this.createdAt = first.openedAt;
  }

  /** Opens the first socket, of the family the server's (already resolved, numeric) address belongs to. */
  static async open(serverHost: string, listener: DatagramListener, now: number, soon: (callback: () => void) => void): Promise<ClientUdpEndpoint> {
    const family = serverHost.includes(':') ? 'udp6' : 'udp4';
    const endpoint = new ClientUdpEndpoint(family, listener, soon, await openSocket(family, now, () => endpoint));
    return endpoint;
  }

  /** The source port datagrams currently leave from. */
  get localPort(): number {
    return this.sockets[this.sockets.length - 1]?.localPort ?? this.lastLocalPort;
  }

  get openSocketCount(): number {
    return this.sockets.length;
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    if (this.closed) return;
    const newest = this.sockets[this.sockets.length - 1]!;
    this.stats.datagramsSent++;
    // No completion callback: it cost a closure and a process.nextTick per datagram, for a failure count nobody read.
    // A failed send is a lost datagram, which the transport resends; a failed lookup reaches the socket's 'error'
    // listener (openSocket).
    newest.socket.send(bytes, to.port, to.host);
  }

  /**
   * Called on every loop turn: hops to a fresh port when no round trip has succeeded within PORT_HOP_INTERVAL_MS
   * (and we did not just hop), then prunes old sockets. `lastRoundTripSuccessAt` undefined means never: the first
   * contact counts from when the first socket was opened. Whether it opened a new socket: false at once when no hop
   * was due (pruned in the call), a promise of true while a hop binds (pruned once it has).
   */
  maintain(now: number, lastRoundTripSuccessAt: number | undefined): boolean | Promise<boolean> {
    if (this.closed) return false;
    const sinceRoundTrip = now - (lastRoundTripSuccessAt ?? this.createdAt);
    if (now - this.lastPortChoiceAt > PORT_HOP_INTERVAL_MS && sinceRoundTrip > PORT_HOP_INTERVAL_MS) {
      return this.hopPort(now).then(() => {
        this.prune(now);
        return true;
      });
    }
    this.prune(now);
    return false;
  }

  /** When maintain() next wants to run (absolute ms), so the shell can fold it into its one timer. */
  nextMaintenanceAt(lastRoundTripSuccessAt: number | undefined): number {
    const roundTripDeadline = (lastRoundTripSuccessAt ?? this.createdAt) + PORT_HOP_INTERVAL_MS + 1;
    const hopAt = Math.max(this.lastPortChoiceAt + PORT_HOP_INTERVAL_MS + 1, roundTripDeadline);
    if (this.sockets.length < 2) return hopAt;
    // + 1 as for the hop: prune() drops them only once the newest is older than MAX_OLD_SOCKET_AGE_MS, so a wake-up
    // at openedAt + MAX_OLD_SOCKET_AGE_MS did nothing and asked to be woken at that same, past, time again.
    const pruneAt = this.sockets[this.sockets.length - 1]!.openedAt + MAX_OLD_SOCKET_AGE_MS + 1;
    return Math.min(hopAt, pruneAt);
  }

  /** Opens a fresh source port and sends from it from now on. Public so tests and `ClientSession` can force it. */
  hopPort(now: number): Promise<void> {
    // One hop at a time: every loop turn calls maintain(), and a bind takes a moment.
    this.hopInProgress ??= this.openFreshSocket(now).finally(() => (this.hopInProgress = undefined));
    return this.hopInProgress;
  }

  private async openFreshSocket(now: number): Promise<void> {
    if (this.closed) return;
    const fresh = await openSocket(this.family, now, () => this);
    if (this.closed) {
      fresh.socket.close();
      return;
    }
    this.sockets.push(fresh);
    this.lastPortChoiceAt = now;
    this.lastLocalPort = fresh.localPort;
    this.stats.portHops++;
    this.prune(now);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const closing = this.sockets.splice(0).map((entry) => new Promise<void>((resolve) => entry.socket.close(() => resolve())));
    return Promise.all(closing).then(() => undefined);
  }

  /**
   * A datagram read from one of the sockets. It is handed to the listener in this loop turn's check phase (the
   * runtime's soon: setImmediate), after every other callback polled with it: a key read in the same turn (both were
   * waiting while the client was off its core) is drawn first, not after the frame's decrypt, apply and draw (0.2-1.2
   * ms, in 5 or 6 of a 300 ms / 10 % run's 285 keys: docs/benchmarks-journal.md, "The predicted keys at 300 ms / 10 %
   * from run to run"). A datagram read alone waits for nothing: the check phase follows the poll phase at once.
   * Received counts here, not in the socket callback, so stats survive pruning.
   */
  arrived(bytes: Uint8Array, from: PeerAddress): void {
    this.stats.datagramsReceived++;
    this.unheard.push({ bytes, from });
    if (this.unheard.length === 1) this.soon(() => this.handOn());
  }

  private handOn(): void {
    const batch = this.unheard.splice(0);
    for (const { bytes, from } of batch) {
      if (this.closed) return;
      this.listener(bytes, from);
    }
  }

  private prune(now: number): void {
    const newest = this.sockets[this.sockets.length - 1]!;
    const tooOld = now - newest.openedAt > MAX_OLD_SOCKET_AGE_MS;
    while (this.sockets.length > 1 && (tooOld || this.sockets.length > MAX_SOCKETS_OPEN)) {
      this.sockets.shift()!.socket.close();
    }
  }
}

function openSocket(
  family: 'udp4' | 'udp6',
  now: number,
  owner: () => ClientUdpEndpoint,
): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: family, lookup: cachedLiteralLookup() });
    const onBindError = (error: Error): void => {
      socket.close();
      reject(new Error(`tsmosh: cannot open a UDP socket (${family}): ${error.message}`));
    };
    socket.once('error', onBindError);
    socket.on('message', (message, remote) => {
      owner().arrived(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), {
        host: remote.address,
        port: remote.port,
      });
    });
    socket.bind({ port: 0 }, () => {
      socket.off('error', onBindError);
      // After bind, errors are per datagram (ICMP port unreachable on Linux); the session must outlive them.
      socket.on('error', () => undefined);
      resolve({ socket, openedAt: now, localPort: socket.address().port });
    });
  });
}
