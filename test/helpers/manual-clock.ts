/**
 * One manual clock for a real ClientSession and a real server Session in the same test (test/client-server-manual-
 * clock.test.ts, test/paste-window.test.ts): the scheduler of every timer and datagram in flight, and the client's
 * runtime and carrier on it. No socket, no sleep: time moves only when the test moves it.
 */
import type { PeerAddress } from '@tsmosh/protocol';
import type { ClientCarrier, ClientRuntime } from '@tsmosh/client';

export const CLIENT: PeerAddress = { host: '192.0.2.7', port: 40000 };
export const SERVER: PeerAddress = { host: '192.0.2.1', port: 60001 };
export const WALL_CLOCK_ORIGIN_MS = 1_700_000_000_000;

/** Every timer of both ends, in due order; `soon` is a timer of 0 ms. Advancing fires them as the clock passes. */
export class Scheduler {
  now = 0;
  private nextId = 1;
  private readonly queue: Array<{ id: number; due: number; callback: () => void }> = [];
  /** `maxSteps`: timers one advanceTo may run before it gives up (a test's bound on a run-away loop). */
  constructor(private readonly maxSteps = Infinity) {}
  set(callback: () => void, delayMs: number): number {
    const id = this.nextId++;
    this.queue.push({ id, due: this.now + Math.max(0, delayMs), callback });
    return id;
  }
  clear(handle: unknown): void {
    const index = this.queue.findIndex((entry) => entry.id === handle);
    if (index >= 0) this.queue.splice(index, 1);
  }
  /** Runs everything due up to `time` (or until `stop` holds), earliest first (ties in the order set), and leaves the clock there. */
  async advanceTo(time: number, stop: () => boolean = () => false): Promise<void> {
    for (let steps = 0; steps < this.maxSteps && !stop(); steps++) {
      // Promise callbacks (the carrier's open, a resolved host) run before the next timer, as in Node.
      await Promise.resolve();
      let next: (typeof this.queue)[number] | undefined;
      for (const entry of this.queue) if (entry.due <= time && (next === undefined || entry.due < next.due || (entry.due === next.due && entry.id < next.id))) next = entry;
      if (next === undefined) break;
      this.queue.splice(this.queue.indexOf(next), 1);
      this.now = Math.max(this.now, next.due);
      next.callback();
    }
    if (!stop()) this.now = Math.max(this.now, time);
  }
}

/**
 * The client's runtime on `scheduler`: its carrier hands each datagram to `send` (the test's link up), and
 * `deliverToClient` hands a datagram from the server to the client once it has opened its carrier.
 */
export function manualClientRuntime(
  scheduler: Scheduler,
  random: (length: number) => Uint8Array,
  send: (bytes: Uint8Array) => void,
): { runtime: ClientRuntime; deliverToClient: (bytes: Uint8Array, from: PeerAddress) => void } {
  let listener: ((bytes: Uint8Array, from: PeerAddress) => void) | undefined;
  const carrier: ClientCarrier = {
    send,
    maintain: () => undefined,
    nextMaintenanceAt: () => Infinity,
    current: { kind: 'udp', since: 0 },
    stats: { switches: 0 },
    tcpPort: SERVER.port,
    triedTcp: false,
    localPort: CLIENT.port,
    hopPort: async () => {},
    close: async () => {},
  };
  const runtime: ClientRuntime = {
    now: () => scheduler.now,
    wallClockMs: () => WALL_CLOCK_ORIGIN_MS + scheduler.now,
    random,
    setTimer: (callback, delayMs) => scheduler.set(callback, delayMs),
    clearTimer: (handle) => scheduler.clear(handle),
    soon: (callback) => void scheduler.set(callback, 0),
    resolveHost: async (host) => host,
    openCarrier: async (options) => {
      listener = options.listener;
      return carrier;
    },
  };
  return { runtime, deliverToClient: (bytes, from) => listener?.(bytes, from) };
}
