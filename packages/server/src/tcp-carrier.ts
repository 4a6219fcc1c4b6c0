import { createServer, type Server, type Socket } from 'node:net';
import { StreamFrameReader, encodeStreamFrame, type PeerAddress } from '@tsmosh/protocol';
import { plainIpv4 } from './ipv4-mapped.js';

/**
 * The daemon's way in when UDP is blocked: a TCP listener on the same port number as the UDP socket, carrying the
 * same sealed datagrams behind a 2-byte length (protocol's stream-frames.ts). A datagram read from a connection is
 * handed on as if it had arrived by UDP from the pseudo-address `tcp:<client address>`:<client port>, so the
 * session's Connection authenticates it, checks it for replay and roams to it exactly as for UDP; a reply to such an
 * address goes back down that connection. Nothing here is trusted: a connection only carries bytes, and the session
 * drops what does not open under its key.
 */

/** Pseudo-addresses of TCP peers start with this, which no IP address does. */
export const TCP_PEER_PREFIX = 'tcp:';
/** At most this many connections stay open per port; the oldest is closed for a new one (a client reconnecting). */
const MAX_TCP_CONNECTIONS = 64;
/**
 * A connection that carried nothing for this long is closed (ms). A live session's client sends a heartbeat every
 * few seconds, so only abandoned connections (a client that roamed away or died) reach it.
 */
const TCP_IDLE_CLOSE_MS = 120_000;

export interface TcpCarrierStats {
  connectionsAccepted: number;
  /** Connections closed to make room under MAX_TCP_CONNECTIONS. */
  connectionsShed: number;
  framesReceived: number;
  /** Connections closed for an impossible frame length. */
  badStreams: number;
  /** Replies addressed to a connection that has gone (the client reconnects and the session roams). */
  sendsToClosed: number;
}

export class TcpCarrierListener {
  readonly stats: TcpCarrierStats = { connectionsAccepted: 0, connectionsShed: 0, framesReceived: 0, badStreams: 0, sendsToClosed: 0 };
  /** Open connections by pseudo-address key, oldest first (Map keeps insertion order). */
  private readonly connections = new Map<string, Socket>();

  private constructor(private readonly server: Server) {}

  /**
   * Listens on TCP `port` (the UDP socket's number) at `address` (undefined: every address). Resolves undefined when
   * the port is taken or refused: the daemon then serves UDP only, as before.
   */
  static listen(address: string | undefined, port: number, deliver: (bytes: Uint8Array, from: PeerAddress) => void): Promise<TcpCarrierListener | undefined> {
    return new Promise((resolve) => {
      const server = createServer();
      const listener = new TcpCarrierListener(server);
      server.on('connection', (socket) => listener.accept(socket, deliver));
      server.once('error', () => {
        server.close();
        resolve(undefined);
      });
      server.listen({ port, ...(address !== undefined ? { host: address } : {}), exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        resolve(listener);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Whether `to` is a TCP pseudo-address (then send() is the way to reach it). */
  static isTcpPeer(to: PeerAddress): boolean {
    return to.host.startsWith(TCP_PEER_PREFIX);
  }

  send(to: PeerAddress, bytes: Uint8Array): void {
    const socket = this.connections.get(`${to.host}:${to.port}`);
    if (socket === undefined || socket.destroyed) {
      this.stats.sendsToClosed++;
      return;
    }
    socket.write(encodeStreamFrame(bytes));
  }

  close(): Promise<void> {
    for (const socket of this.connections.values()) socket.destroy();
    this.connections.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket, deliver: (bytes: Uint8Array, from: PeerAddress) => void): void {
    this.stats.connectionsAccepted++;
    const from: PeerAddress = { host: `${TCP_PEER_PREFIX}${plainIpv4(socket.remoteAddress ?? 'unknown')}`, port: socket.remotePort ?? 0 };
    const key = `${from.host}:${from.port}`;
    while (this.connections.size >= MAX_TCP_CONNECTIONS) {
      const [oldestKey, oldest] = this.connections.entries().next().value as [string, Socket];
      this.connections.delete(oldestKey);
      oldest.destroy();
      this.stats.connectionsShed++;
    }
    this.connections.set(key, socket);
    // Each keystroke is one small frame: Nagle's delay would add up to a round trip to every one.
    socket.setNoDelay(true);
    socket.setTimeout(TCP_IDLE_CLOSE_MS, () => socket.destroy());
    const reader = new StreamFrameReader();
    socket.on('data', (chunk: Buffer) => {
      const datagrams = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (datagrams === 'bad-length') {
        this.stats.badStreams++;
        socket.destroy();
        return;
      }
      for (const datagram of datagrams) {
        this.stats.framesReceived++;
        deliver(datagram, from);
      }
    });
    socket.on('error', () => undefined); // a reset connection only closes; the client reconnects
    socket.on('close', () => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
  }
}
