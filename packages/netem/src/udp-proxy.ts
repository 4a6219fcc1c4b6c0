/**
 * A lossy UDP proxy: clients send to the proxy, the proxy forwards to the target through the impairment model, and
 * forwards the target's replies to whichever client address sent last (so a client that changes its source port,
 * as a roaming client does, keeps receiving). Real sockets and real timers; the decisions come from the seeded
 * model, so a run with the same seed and the same traffic makes the same drops.
 *
 *   client ──► [listen socket] ──up──► [upstream socket] ──► target
 *   client ◄── [listen socket] ◄─down── [upstream socket] ◄── target
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Link, emptyCounters, type LinkCounters, type LinkProfile } from './model.js';
import { parseLinkSpec } from './spec.js';

export interface UdpEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface UdpProxyOptions {
  /** Where clients send. Default 127.0.0.1 on an ephemeral port. */
  readonly listen?: UdpEndpoint;
  /** Where the proxy forwards to (the server). */
  readonly target: UdpEndpoint;
  /** The impairments, as a profile or a link spec string ("delay=50ms,loss=10%"). */
  readonly profile: LinkProfile | string;
  /** Seeds the model; the same seed and traffic give the same decisions. */
  readonly seed: number;
}

export interface UdpProxyDirectionStats extends LinkCounters {
  /** Datagrams actually handed to the socket (deliveries whose time came while the proxy was open). */
  forwarded: number;
  /** Datagrams the proxy refused because too much was already waiting in it (see MAX_IN_FLIGHT_*). */
  overflow: number;
  /** Sends the operating system refused. */
  sendErrors: number;
}

export interface UdpProxyStats {
  /** Client → target. */
  readonly up: UdpProxyDirectionStats;
  /** Target → client. */
  readonly down: UdpProxyDirectionStats;
  /** Datagrams from the target that arrived before any client had sent (nowhere to send them). */
  noClientYet: number;
  /** Datagrams on the upstream socket from an address other than the target, ignored. */
  foreign: number;
  /** The client address replies go to: the source of the newest client datagram. */
  clientAddress: UdpEndpoint | undefined;
  /** How many times that address changed after the first. */
  clientAddressChanges: number;
}

export interface UdpProxy {
  /** The address clients send to. */
  readonly address: UdpEndpoint;
  /** The address the target sees datagrams come from (changes after `rebindUpstream`). */
  readonly upstreamAddress: UdpEndpoint;
  readonly stats: UdpProxyStats;
  /** Change the impairments from now on (datagrams already scheduled keep their times). */
  setProfile(profile: LinkProfile | string): void;
  /** A run-time outage in both directions. */
  setBlackout(on: boolean): void;
  /**
   * Forward from a fresh upstream port from now on, as a NAT that rebinds does: the target sees the client "roam".
   * Replies the target sends to the old port are lost.
   */
  rebindUpstream(): Promise<void>;
  /** Stop: close both sockets and forget everything scheduled. */
  close(): Promise<void>;
}

/**
 * At most 4096 datagrams or 8 MiB may wait inside the proxy per direction. A terminal session has a few dozen
 * datagrams in flight; the bound only stops a flood through a slow emulated link from growing without limit.
 */
const MAX_IN_FLIGHT_DATAGRAMS = 4096;
const MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

interface Scheduled {
  readonly at: number;
  readonly order: number;
  readonly bytes: Uint8Array;
  readonly direction: 'up' | 'down';
}

/** A min-heap of scheduled deliveries by time, ties in submission order. */
class DeliveryHeap {
  private readonly items: Scheduled[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Scheduled | undefined {
    return this.items[0];
  }

  push(item: Scheduled): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Scheduled | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
        if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

function toProfile(profile: LinkProfile | string): LinkProfile {
  return typeof profile === 'string' ? parseLinkSpec(profile) : profile;
}

function socketTypeFor(host: string): 'udp4' | 'udp6' {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

async function bindSocket(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(new Error(`netem UDP proxy: cannot bind ${host}:${port} (${error.message}); choose another port or host`));
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  return socket;
}

export async function startUdpProxy(options: UdpProxyOptions): Promise<UdpProxy> {
  const listenAt = options.listen ?? { host: '127.0.0.1', port: 0 };
  const target = options.target;
  const startedAt = performance.now();
  const clock = (): number => performance.now() - startedAt;
  const link = new Link(toProfile(options.profile), { seed: options.seed, originMs: 0 });

  const stats: UdpProxyStats = {
    up: { ...emptyCounters(), forwarded: 0, overflow: 0, sendErrors: 0 },
    down: { ...emptyCounters(), forwarded: 0, overflow: 0, sendErrors: 0 },
    noClientYet: 0,
    foreign: 0,
    clientAddress: undefined,
    clientAddressChanges: 0,
  };
  const inFlight = { up: { datagrams: 0, bytes: 0 }, down: { datagrams: 0, bytes: 0 } };
  const heap = new DeliveryHeap();
  let order = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;

  const listenSocket = await bindSocket(socketTypeFor(listenAt.host), listenAt.host, listenAt.port);
  const upstreamType = socketTypeFor(target.host);
  const upstreamHost = upstreamType === 'udp6' ? '::1' : '127.0.0.1';
  let upstreamSocket: dgram.Socket;

  const syncCounters = (direction: 'up' | 'down'): void => {
    const counters = link[direction].counters;
    const out = stats[direction];
    out.submitted = counters.submitted;
    out.submittedBytes = counters.submittedBytes;
    out.delivered = counters.delivered;
    out.deliveredBytes = counters.deliveredBytes;
    out.duplicated = counters.duplicated;
    out.reordered = counters.reordered;
    out.dropped = { ...counters.dropped };
  };

  const armTimer = (): void => {
    const next = heap.peek();
    if (closed || next === undefined) return;
    if (timer !== undefined && timerAt <= next.at) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = next.at;
    timer = setTimeout(deliverDue, Math.max(0, next.at - clock()));
  };

  const sendNow = (item: Scheduled): void => {
    const out = stats[item.direction];
    const onSent = (error: Error | null): void => {
      if (error !== null) out.sendErrors++;
    };
    try {
      if (item.direction === 'up') {
        upstreamSocket.send(item.bytes, target.port, target.host, onSent);
      } else {
        const client = stats.clientAddress!;
        listenSocket.send(item.bytes, client.port, client.host, onSent);
      }
      out.forwarded++;
    } catch {
      out.sendErrors++; // the socket was closed under us (rebind); the datagram is lost like any other
    }
  };

  function deliverDue(): void {
    timer = undefined;
    timerAt = Infinity;
    const now = clock();
    for (let next = heap.peek(); next !== undefined && next.at <= now; next = heap.peek()) {
      heap.pop();
      inFlight[next.direction].datagrams--;
      inFlight[next.direction].bytes -= next.bytes.length;
      sendNow(next);
    }
    armTimer();
  }

  const submit = (direction: 'up' | 'down', bytes: Uint8Array): void => {
    const now = clock();
    const arrivals = link[direction].submit(bytes.length, now);
    syncCounters(direction);
    for (const at of arrivals) {
      const pending = inFlight[direction];
      if (pending.datagrams >= MAX_IN_FLIGHT_DATAGRAMS || pending.bytes + bytes.length > MAX_IN_FLIGHT_BYTES) {
        stats[direction].overflow++;
        continue;
      }
      pending.datagrams++;
      pending.bytes += bytes.length;
      heap.push({ at, order: order++, bytes, direction });
    }
    // Due now (a link with no delay, or nothing ahead of it): forward in this turn rather than on a timer, which
    // fires a millisecond later at best and would add that to every hop of a loopback measurement.
    const next = heap.peek();
    if (next !== undefined && next.at <= clock()) deliverDue();
    else armTimer();
  };

  const onUpstreamMessage = (message: Buffer, from: dgram.RemoteInfo): void => {
    if (from.port !== target.port) {
      stats.foreign++;
      return;
    }
    if (stats.clientAddress === undefined) {
      stats.noClientYet++;
      return;
    }
    submit('down', new Uint8Array(message)); // a copy: the bytes wait in the heap
  };

  const openUpstream = async (): Promise<dgram.Socket> => {
    const socket = await bindSocket(upstreamType, upstreamHost, 0);
    socket.on('message', onUpstreamMessage);
    socket.on('error', () => stats.up.sendErrors++);
    return socket;
  };
  upstreamSocket = await openUpstream();

  listenSocket.on('message', (message, from) => {
    const previous = stats.clientAddress;
    if (previous === undefined || previous.host !== from.address || previous.port !== from.port) {
      if (previous !== undefined) stats.clientAddressChanges++;
      stats.clientAddress = { host: from.address, port: from.port };
    }
    submit('up', new Uint8Array(message));
  });
  listenSocket.on('error', () => stats.down.sendErrors++);

  const endpointOf = (socket: dgram.Socket): UdpEndpoint => {
    const address = socket.address();
    return { host: address.address, port: address.port };
  };
  const address = endpointOf(listenSocket);

  const closeSocket = (socket: dgram.Socket): Promise<void> =>
    new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });

  return {
    address,
    get upstreamAddress() {
      return endpointOf(upstreamSocket);
    },
    stats,
    setProfile(profile) {
      link.setProfile(toProfile(profile));
    },
    setBlackout(on) {
      link.setBlackout(on);
    },
    async rebindUpstream() {
      const fresh = await openUpstream();
      const old = upstreamSocket;
      upstreamSocket = fresh;
      await closeSocket(old);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      heap.clear();
      await Promise.all([closeSocket(listenSocket), closeSocket(upstreamSocket)]);
    },
  };
}
