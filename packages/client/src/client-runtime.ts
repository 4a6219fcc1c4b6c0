import { randomFillSync } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { DueTimer, RandomPool, type PeerAddress } from '@tsmosh/protocol';
import { DatagramCarrier, type CarrierKind, type CarrierListener, type CarrierMode } from './carrier.js';
import { NODE_TIMERS } from './node-timers.js';

/** The Node runtime's randomness: node:crypto's, fetched a block at a time (random-pool.ts: each datagram draws twice). */
const randomPool = new RandomPool((into) => void randomFillSync(into));

/**
 * Everything a ClientSession reads from the world, in one place: its clock, its one timer, its randomness, name
 * resolution and its datagram carrier. `connect()` uses the Node defaults; a test passes its own, so a client and a
 * server session can run together under a manual clock over an in-memory link, as the protocol cores do.
 */
export interface ClientRuntime {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock milliseconds, only for the clock-derived first sequence number (docs/protocol.md §3). */
  wallClockMs(): number;
  random(length: number): Uint8Array;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
  /** Runs `callback` on a later turn of the event loop, never inside the caller's. */
  soon(callback: () => void): void;
  /** A host name or address to the address to send to. Throws with one line naming the host. */
  resolveHost(host: string): Promise<string>;
  openCarrier(options: CarrierOpenOptions): Promise<ClientCarrier>;
}

/** A DueTimer on the runtime's timer: the one kept at the next wake-up by the session, and the front end's prediction one. */
export function dueTimer(runtime: ClientRuntime, onDue: () => void): DueTimer {
  return new DueTimer({ set: (callback, delayMs) => runtime.setTimer(callback, delayMs), clear: (handle) => runtime.clearTimer(handle) }, onDue);
}

export interface CarrierOpenOptions {
  readonly mode: CarrierMode;
  readonly serverAddress: PeerAddress;
  readonly tcpPort: number;
  readonly listener: CarrierListener;
  readonly now: number;
  /** The session's monotonic clock (ms), for what the carrier notices between the session's turns. */
  readonly clock: () => number;
}

/** What the session needs of its carrier (carrier.ts's DatagramCarrier, or a test's in-memory one). */
export interface ClientCarrier {
  send(bytes: Uint8Array, to: PeerAddress, now: number): void;
  /**
   * Moves between UDP and TCP as the link requires (carrier.ts); a no-op for a carrier with one path. Called at every
   * pump: a promise only when work is under way that takes a turn (a port hop's bind), undefined when all was done now.
   */
  maintain(now: number, lastRoundTripSuccessAt: number | undefined): Promise<void> | undefined;
  nextMaintenanceAt(now: number, lastRoundTripSuccessAt: number | undefined): number;
  readonly current: { readonly kind: CarrierKind; readonly since: number };
  readonly stats: { readonly switches: number };
  readonly tcpPort: number;
  readonly triedTcp: boolean;
  readonly localPort: number | undefined;
  hopPort(now: number): Promise<void>;
  close(): Promise<void>;
}

const soonAfterPolled = (callback: () => void): void => void setImmediate(callback);

export const NODE_CLIENT_RUNTIME: ClientRuntime = {
  now: () => performance.now(),
  wallClockMs: () => Date.now(),
  random: (length) => randomPool.take(length),
  ...NODE_TIMERS,
  soon: soonAfterPolled,
  resolveHost: async (host) => {
    try {
      return (await lookup(host)).address;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`cannot resolve host "${host}" (${code ?? (error as Error).message}); check the name`);
    }
  },
  openCarrier: (options) => DatagramCarrier.open({ ...options, soon: soonAfterPolled }),
};
