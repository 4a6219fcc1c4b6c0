import { connect as tcpConnect, type Socket } from 'node:net';
import { StreamFrameReader, encodeStreamFrame, type PeerAddress } from '@tsmosh/protocol';
import { ClientUdpEndpoint } from './udp-endpoint.js';
import type { CarrierKind, CarrierMode } from './carrier-mode.js';
// The options' parsing lives in carrier-mode.ts (the CLI reads them without loading this module).
export { parseCarrierMode, parseTcpPort, carrierSettingsFromEnv, type CarrierMode, type CarrierKind } from './carrier-mode.js';

/**
 * Which way the session's sealed datagrams travel: UDP (the ClientUdpEndpoint, with its port hopping) or, when UDP
 * is blocked, one TCP connection to the daemon carrying the same datagrams behind a 2-byte length (protocol's
 * stream-frames.ts). The datagrams are the same either way, so keys, replay protection, roaming, prediction and
 * reattach do not know which carried them; the daemon roams to whichever address the newest datagram came from.
 *
 * 'auto' starts on UDP, moves to TCP when no UDP reply came within UDP_FIRST_REPLY_MS of starting or UDP went quiet
 * for UDP_STOPPED_AFTER_MS mid-session, and while on TCP sends one datagram in UDP_PROBE_INTERVAL_MS by UDP instead:
 * when UDP answers, the session is back on UDP. A lost probe costs one resend, by TCP.
 */

/** Before any reply, UDP counts as blocked after this long (ms): a reply normally takes one round trip. */
export const UDP_FIRST_REPLY_MS = 2_500;
/** Mid-session, UDP counts as stopped after this long without a UDP datagram (ms): the server's heartbeat is 3 s. */
export const UDP_STOPPED_AFTER_MS = 5_000;
/** On TCP, one datagram goes by UDP this often (ms), to notice UDP working again. */
export const UDP_PROBE_INTERVAL_MS = 10_000;
/** A TCP connection that failed or closed is tried again after this long (ms), not in a tight loop. */
const TCP_RETRY_MS = 2_000;
/** A connected TCP carrier that brought nothing for this long (ms) is replaced: after roaming it may be dead. */
const TCP_STALE_AFTER_MS = 10_000;

/** With --transport=tcp, datagrams sent before the connection is up wait for it, at most this many (the newest kept). */
const TCP_PENDING_MAX_DATAGRAMS = 64;

/**
 * Takes a datagram from either carrier; returns whether it was the session's (it authenticated). Only such a datagram
 * over UDP shows that UDP works again: anything else on the UDP port (a stray datagram for the port's earlier owner,
 * a forgery) must not pull the session off a TCP carrier that works.
 */
export type CarrierListener = (bytes: Uint8Array, from: PeerAddress) => boolean;

export interface CarrierStats {
  /** Datagrams sent and received over TCP (UDP's are in the UDP endpoint's stats). */
  tcpDatagramsSent: number;
  tcpDatagramsReceived: number;
  /** Moves between UDP and TCP. */
  switches: number;
  tcpConnects: number;
}

export class DatagramCarrier {
  readonly stats: CarrierStats = { tcpDatagramsSent: 0, tcpDatagramsReceived: 0, switches: 0, tcpConnects: 0 };
  /** The carrier chosen; TCP is only used once connected, UDP meanwhile. */
  private active: CarrierKind;
  /** What datagrams really leave by (TCP only while connected), and since when. */
  private effective: CarrierKind;
  private effectiveSince: number;
  private tcp: Socket | undefined;
  private tcpConnected = false;
  private tcpTriedAt: number | undefined;
  private tcpHeardAt: number | undefined;
  private udpHeardAt: number | undefined;
  private lastProbeAt: number;
  private closed = false;
  /** --transport=tcp only: what was sent while connecting, written once connected (saves a resend timeout). */
  private pending: Uint8Array[] = [];

  private constructor(
    readonly mode: CarrierMode,
    private readonly udp: ClientUdpEndpoint,
    /** Where TCP connects: the server's address and the daemon's TCP port (the UDP port's number unless told). */
    private readonly tcpTarget: PeerAddress,
    /** The server's UDP address, given as the source of datagrams that came by TCP (the core knows only that one). */
    private readonly serverAddress: PeerAddress,
    private readonly listener: CarrierListener,
    private readonly startedAt: number,
    /** Monotonic ms, the session's clock: datagrams and TCP events arrive between the session's turns. */
    private readonly clock: () => number,
  ) {
    this.active = mode === 'tcp' ? 'tcp' : 'udp';
    this.effective = 'udp';
    this.effectiveSince = startedAt;
    this.lastProbeAt = startedAt;
  }

  static async open(options: {
    mode: CarrierMode;
    serverAddress: PeerAddress;
    tcpPort: number;
    listener: CarrierListener;
    now: number;
    clock: () => number;
    /** The runtime's soon (client-runtime.ts): where the UDP endpoint hands on what it read (udp-endpoint.ts arrived()). */
    soon: (callback: () => void) => void;
  }): Promise<DatagramCarrier> {
    let carrier: DatagramCarrier | undefined;
    const udp = await ClientUdpEndpoint.open(options.serverAddress.host, (bytes, from) => carrier?.onUdp(bytes, from), options.now, options.soon);
    carrier = new DatagramCarrier(options.mode, udp, { host: options.serverAddress.host, port: options.tcpPort }, options.serverAddress, options.listener, options.now, options.clock);
    if (options.mode === 'tcp') carrier.connectTcp(options.now);
    return carrier;
  }

  /** Which carrier datagrams leave by now (TCP only once connected), and since when (ms, the caller's clock). */
  get current(): { readonly kind: CarrierKind; readonly since: number } {
    return { kind: this.effective, since: this.effectiveSince };
  }

  /** Moves between UDP and TCP that really happened (TCP connected), as the status line reports them. */
  get switches(): number {
    return this.stats.switches;
  }

  get tcpPort(): number {
    return this.tcpTarget.port;
  }

  /** Whether TCP was ever tried (for the one-line failure: which ways were tried). */
  get triedTcp(): boolean {
    return this.tcpTriedAt !== undefined;
  }

  get localPort(): number {
    return this.udp.localPort;
  }

  get udpStats(): ClientUdpEndpoint['stats'] {
    return this.udp.stats;
  }

  hopPort(now: number): Promise<void> {
    return this.udp.hopPort(now);
  }

  send(bytes: Uint8Array, to: PeerAddress, now: number): void {
    if (this.closed) return;
    if (this.active === 'tcp' && this.tcp !== undefined && this.tcpConnected) {
      if (this.mode === 'auto' && now >= this.lastProbeAt + UDP_PROBE_INTERVAL_MS) {
        // This one goes by UDP: if UDP works again, the server roams to it and answers by UDP.
        this.lastProbeAt = now;
        this.udp.send(bytes, to);
        return;
      }
      this.stats.tcpDatagramsSent++;
      this.tcp.write(encodeStreamFrame(bytes));
      return;
    }
    // --transport=tcp never uses UDP: until the connection is up datagrams wait for it.
    if (this.mode === 'tcp') {
      this.pending.push(bytes);
      if (this.pending.length > TCP_PENDING_MAX_DATAGRAMS) this.pending.shift(); // the transport resends what matters
      return;
    }
    // UDP, or TCP not (yet) connected in auto mode: nothing is held back waiting for a connection.
    this.udp.send(bytes, to);
  }

  /**
   * Called on every loop turn: UDP's port hopping, and the move to TCP (or a TCP reconnect) when it is due. A promise
   * only while a port hop binds its socket; otherwise everything is done in the call, with no promise and no microtask
   * turn at every pump (an Enter's answer is three or four pumps).
   */
  maintain(now: number, lastRoundTripSuccessAt: number | undefined): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.mode === 'auto' && this.active === 'udp' && now >= this.udpGivenUpAt()) this.switchTo('tcp', now);
    if (this.active === 'tcp') {
      if (this.tcp !== undefined && this.tcpConnected && now >= this.tcpStaleAt(now)) this.dropTcp();
      if (this.tcp === undefined && now >= this.tcpRetryAt(now)) this.connectTcp(now);
    }
    if (this.active !== 'udp' && this.mode !== 'auto') return undefined;
    const udp = this.udp.maintain(now, lastRoundTripSuccessAt);
    return typeof udp === 'boolean' ? undefined : udp.then(() => undefined);
  }

  /** When maintain() next wants to run (absolute ms). */
  nextMaintenanceAt(now: number, lastRoundTripSuccessAt: number | undefined): number {
    let at = this.udp.nextMaintenanceAt(lastRoundTripSuccessAt);
    if (this.mode === 'auto' && this.active === 'udp') at = Math.min(at, this.udpGivenUpAt());
    if (this.active === 'tcp') {
      if (this.tcp === undefined) at = Math.min(at, this.tcpRetryAt(now));
      else if (this.tcpConnected) at = Math.min(at, this.tcpStaleAt(now));
    }
    return at;
  }

  // The deadlines below are absolute times that maintain() compares `now` with and nextMaintenanceAt() wakes it at:
  // one expression for both, since `now - since >= limit` can be false at `now = since + limit` (floating point:
  // (x + 2500) - x is 2499.9999999999995 for about one x in nine), and maintain() would then do nothing at the time
  // it was woken for.

  /** With 'auto' on UDP: when UDP counts as blocked (no reply since the start) or stopped (quiet mid-session). */
  private udpGivenUpAt(): number {
    return this.udpHeardAt === undefined ? this.startedAt + UDP_FIRST_REPLY_MS : this.udpHeardAt + UDP_STOPPED_AFTER_MS;
  }

  /** When a connected TCP carrier that brought nothing counts as dead. */
  private tcpStaleAt(now: number): number {
    return (this.tcpHeardAt ?? this.tcpTriedAt ?? now) + TCP_STALE_AFTER_MS;
  }

  /** When TCP may be tried (again): at once if never, else TCP_RETRY_MS after the last try. */
  private tcpRetryAt(now: number): number {
    return this.tcpTriedAt === undefined ? now : this.tcpTriedAt + TCP_RETRY_MS;
  }

  close(): Promise<void> {
    this.closed = true;
    this.dropTcp();
    return this.udp.close();
  }

  private onUdp(bytes: Uint8Array, from: PeerAddress): void {
    if (!this.listener(bytes, from)) return;
    const now = this.clock();
    this.udpHeardAt = now;
    if (this.active === 'tcp' && this.mode === 'auto') {
      this.switchTo('udp', now);
      this.dropTcp();
    }
  }

  private switchTo(kind: CarrierKind, now: number): void {
    if (this.active === kind) return;
    this.active = kind;
    this.lastProbeAt = now;
    if (kind === 'udp') this.udpHeardAt = now;
    this.noteEffective(now);
  }

  /** Records a change of the carrier really in use; with --transport=tcp nothing is a move worth telling. */
  private noteEffective(now: number): void {
    const kind: CarrierKind = this.active === 'tcp' && this.tcpConnected ? 'tcp' : 'udp';
    if (kind === this.effective) return;
    this.effective = kind;
    this.effectiveSince = now;
    if (this.mode === 'auto') this.stats.switches++;
  }

  private connectTcp(now: number): void {
    if (this.closed) return;
    this.tcpTriedAt = now;
    this.tcpHeardAt = undefined;
    const socket = tcpConnect({ host: this.tcpTarget.host, port: this.tcpTarget.port });
    this.tcp = socket;
    this.tcpConnected = false;
    socket.setNoDelay(true); // one small frame per keystroke: Nagle would hold each for a round trip
    const reader = new StreamFrameReader();
    socket.once('connect', () => {
      this.tcpConnected = true;
      this.stats.tcpConnects++;
      this.lastProbeAt = this.clock();
      this.noteEffective(this.clock());
      for (const bytes of this.pending.splice(0)) {
        this.stats.tcpDatagramsSent++;
        socket.write(encodeStreamFrame(bytes));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      const datagrams = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (datagrams === 'bad-length') return void socket.destroy();
      this.tcpHeardAt = this.clock();
      for (const datagram of datagrams) {
        this.stats.tcpDatagramsReceived++;
        this.listener(datagram, this.serverAddress);
      }
    });
    socket.on('error', () => undefined); // refused or reset: 'close' follows, and maintain() tries again later
    socket.on('close', () => {
      if (this.tcp === socket) {
        this.tcp = undefined;
        this.tcpConnected = false;
        this.noteEffective(this.clock());
      }
    });
  }

  private dropTcp(): void {
    this.tcp?.destroy();
    this.tcp = undefined;
    this.tcpConnected = false;
    if (!this.closed) this.noteEffective(this.clock());
  }
}
