import { Link, PERFECT_LINK, type LinkCounters, type LinkProfile } from '@tsmosh/netem';
import { DEFAULT_IPV4_MTU, samePeerAddress, type OutgoingDatagram, type PeerAddress } from '@tsmosh/protocol';

export type LinkSide = 'client' | 'server';

/** A datagram arriving at one side. */
export interface Delivery {
  readonly to: LinkSide;
  readonly from: PeerAddress;
  readonly bytes: Uint8Array;
  readonly at: number;
}

export interface InMemoryLinkInit {
  /** Impairments per direction (up = client → server). Default: a perfect link. */
  readonly profile?: LinkProfile;
  /** Seeds netem's decisions: the same seed and the same traffic give the same deliveries. */
  readonly seed: number;
  readonly clientAddress?: PeerAddress;
  readonly serverAddress?: PeerAddress;
  /** bytes of UDP payload; longer datagrams are dropped and counted (`oversize`). Default DEFAULT_IPV4_MTU (1252, as mosh). */
  readonly mtu?: number;
  /** The time (ms) netem's blackout windows are measured from. Default 0. */
  readonly originMs?: number;
}

/** Counters beyond netem's per-direction ones. */
export interface InMemoryLinkCounters {
  /** Datagrams longer than the MTU. */
  oversize: number;
  /** Datagrams that arrived at an address no endpoint holds any more (sent to a client that has since moved). */
  misaddressed: number;
  /** Datagrams whose sender's `to` was neither endpoint's address at send time. */
  unroutable: number;
}

interface InFlight {
  readonly at: number;
  /** Submission order, so simultaneous arrivals keep a deterministic order. */
  readonly order: number;
  readonly toAddress: PeerAddress;
  readonly from: PeerAddress;
  readonly bytes: Uint8Array;
}

/**
 * Two endpoints joined by an emulated path whose impairments come from @tsmosh/netem's model (one model for the
 * simulated tests, the UDP proxy and the benchmarks). Time is whatever the caller says: pair it with a ManualClock.
 * Datagrams are routed by address at arrival time, so after `rebindClient` a datagram still in flight to the old
 * address is lost, as it would be after a NAT rebinding.
 */
export class InMemoryLink {
  readonly netem: Link;
  readonly counters: InMemoryLinkCounters = { oversize: 0, misaddressed: 0, unroutable: 0 };
  readonly mtu: number;
  private currentClientAddress: PeerAddress;
  private currentServerAddress: PeerAddress;
  private inFlight: InFlight[] = [];
  private order = 0;

  constructor(init: InMemoryLinkInit) {
    this.netem = new Link(init.profile ?? PERFECT_LINK, { seed: init.seed, originMs: init.originMs ?? 0 });
    this.mtu = init.mtu ?? DEFAULT_IPV4_MTU;
    this.currentClientAddress = init.clientAddress ?? { host: '127.0.0.1', port: 50_000 };
    this.currentServerAddress = init.serverAddress ?? { host: '127.0.0.1', port: 60_001 };
    if (samePeerAddress(this.currentClientAddress, this.currentServerAddress)) {
      throw new RangeError('InMemoryLink: the client and server addresses must differ');
    }
  }

  get clientAddress(): PeerAddress {
    return this.currentClientAddress;
  }

  get serverAddress(): PeerAddress {
    return this.currentServerAddress;
  }

  /** The client moves (new network, new NAT mapping, port hop): its later datagrams come from `address`. */
  rebindClient(address: PeerAddress): void {
    if (samePeerAddress(address, this.currentServerAddress)) throw new RangeError('InMemoryLink.rebindClient: that is the server address');
    this.currentClientAddress = address;
  }

  /** Per-direction counters from netem (`up` = client → server). */
  get upCounters(): LinkCounters {
    return this.netem.up.counters;
  }

  get downCounters(): LinkCounters {
    return this.netem.down.counters;
  }

  /** `side` sends `datagrams` at `now`. */
  send(side: LinkSide, datagrams: readonly OutgoingDatagram[], now: number): void {
    const from = side === 'client' ? this.currentClientAddress : this.currentServerAddress;
    const expectedTo = side === 'client' ? this.currentServerAddress : undefined;
    for (const datagram of datagrams) {
      if (datagram.bytes.length > this.mtu) {
        this.counters.oversize++;
        continue;
      }
      // The server sends to whatever client address it believes in; the client must send to the server.
      if (expectedTo !== undefined && !samePeerAddress(datagram.to, expectedTo)) {
        this.counters.unroutable++;
        continue;
      }
      const direction = side === 'client' ? this.netem.up : this.netem.down;
      // Copy: the sender may reuse its buffer, and the receiver must not see later changes.
      const bytes = datagram.bytes.slice();
      for (const at of direction.submit(bytes.length, now)) {
        this.inFlight.push({ at, order: this.order++, toAddress: datagram.to, from, bytes });
      }
    }
  }

  /** When the next datagram arrives (ms), or Infinity. */
  nextDeliveryAt(): number {
    let next = Infinity;
    for (const entry of this.inFlight) next = Math.min(next, entry.at);
    return next;
  }

  /** Datagrams in flight. */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** Remove and return every datagram that has arrived by `now`, in arrival order. */
  deliverDue(now: number): Delivery[] {
    const due = this.inFlight.filter((entry) => entry.at <= now).sort((a, b) => a.at - b.at || a.order - b.order);
    if (due.length === 0) return [];
    this.inFlight = this.inFlight.filter((entry) => entry.at > now);
    const deliveries: Delivery[] = [];
    for (const entry of due) {
      let to: LinkSide;
      if (samePeerAddress(entry.toAddress, this.currentServerAddress)) to = 'server';
      else if (samePeerAddress(entry.toAddress, this.currentClientAddress)) to = 'client';
      else {
        this.counters.misaddressed++;
        continue;
      }
      deliveries.push({ to, from: entry.from, bytes: entry.bytes, at: entry.at });
    }
    return deliveries;
  }
}
