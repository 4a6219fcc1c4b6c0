import type { OutgoingDatagram, PeerAddress } from '@tsmosh/protocol';
import type { ManualClock } from './clock.js';
import type { InMemoryLink, LinkSide } from './link.js';

/** What a shell drives: a Transport fits. */
export interface SimulatedEndpoint {
  tick(now: number): OutgoingDatagram[];
  nextWakeup(now: number): number;
  receive(bytes: Uint8Array, from: PeerAddress, now: number): void;
}

export interface SimulationInit {
  readonly clock: ManualClock;
  readonly link: InMemoryLink;
  readonly client: SimulatedEndpoint;
  readonly server: SimulatedEndpoint;
}

/** Per side: how often the shell woke it (ticks) and how many datagrams it handed to the link. */
export interface SideCounters {
  ticks: number;
  datagramsSent: number;
  bytesSent: number;
  datagramsReceived: number;
}

/**
 * The shells' event loop, under a manual clock: on each step read `now`, deliver the datagrams that have arrived,
 * run scripted events, tick every endpoint whose wake-up time has come, send what it returns, then jump the clock
 * to the earliest wake-up any of them (or the link) asked for. No sleeps: an hour of session runs in milliseconds.
 */
export class Simulation {
  readonly counters: Record<LinkSide, SideCounters> = {
    client: { ticks: 0, datagramsSent: 0, bytesSent: 0, datagramsReceived: 0 },
    server: { ticks: 0, datagramsSent: 0, bytesSent: 0, datagramsReceived: 0 },
  };
  private readonly clock: ManualClock;
  private readonly link: InMemoryLink;
  private readonly endpoints: Record<LinkSide, SimulatedEndpoint>;
  private events: Array<{ at: number; order: number; run: (now: number) => void }> = [];
  private eventOrder = 0;

  constructor(init: SimulationInit) {
    this.clock = init.clock;
    this.link = init.link;
    this.endpoints = { client: init.client, server: init.server };
  }

  /** Run `action` when the clock reaches `at` (ms), before that step's ticks. */
  at(at: number, action: (now: number) => void): void {
    this.events.push({ at, order: this.eventOrder++, run: action });
  }

  /**
   * Step until the clock reaches `endMs`, or until `stopWhen()` is true after a step. Returns the time it stopped.
   * Throws if an endpoint keeps asking to be woken at the current time without its wake-up moving (a busy loop).
   */
  runUntil(endMs: number, stopWhen?: () => boolean): number {
    const maxStepsAtOneTime = 1000;
    let stepsAtThisTime = 0;
    let lastTime = -Infinity;
    for (;;) {
      const now = this.clock.now;
      stepsAtThisTime = now === lastTime ? stepsAtThisTime + 1 : 0;
      lastTime = now;
      if (stepsAtThisTime > maxStepsAtOneTime) {
        throw new Error(`Simulation: still busy at t=${now} ms after ${maxStepsAtOneTime} steps; an endpoint's nextWakeup() does not advance after tick()`);
      }
      for (const delivery of this.link.deliverDue(now)) {
        this.counters[delivery.to].datagramsReceived++;
        this.endpoints[delivery.to].receive(delivery.bytes, delivery.from, now);
      }
      const due = this.events.filter((event) => event.at <= now).sort((a, b) => a.at - b.at || a.order - b.order);
      if (due.length > 0) {
        this.events = this.events.filter((event) => event.at > now);
        for (const event of due) event.run(now);
      }
      for (const side of ['client', 'server'] as const) {
        const endpoint = this.endpoints[side];
        if (endpoint.nextWakeup(now) > now) continue;
        const datagrams = endpoint.tick(now);
        const counters = this.counters[side];
        counters.ticks++;
        counters.datagramsSent += datagrams.length;
        for (const datagram of datagrams) counters.bytesSent += datagram.bytes.length;
        this.link.send(side, datagrams, now);
      }
      if (stopWhen?.()) return now;
      let next = Math.min(
        this.endpoints.client.nextWakeup(now),
        this.endpoints.server.nextWakeup(now),
        this.link.nextDeliveryAt(),
        endMs,
      );
      for (const event of this.events) next = Math.min(next, event.at);
      if (now >= endMs && next >= endMs) return now;
      if (next > now) this.clock.set(next);
    }
  }
}
