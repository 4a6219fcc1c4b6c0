/** Randomness is injected, never drawn from a global: `random(n)` returns n fresh bytes. Tests pass a seeded source. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * Where a datagram came from or goes to. The pure core only compares addresses for equality (roaming); the Node
 * shells turn them into socket addresses.
 */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** The largest TCP or UDP port number. */
export const MAX_PORT_NUMBER = 65535;

/** Whether `value` is a port one can connect or send to: a whole number from 1 to MAX_PORT_NUMBER. */
export function isPortNumber(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_PORT_NUMBER;
}

export function samePeerAddress(a: PeerAddress | undefined, b: PeerAddress | undefined): boolean {
  return a !== undefined && b !== undefined && a.host === b.host && a.port === b.port;
}

/** A datagram the core wants sent. The shell sends `bytes` as one UDP datagram to `to`. */
export interface OutgoingDatagram {
  readonly to: PeerAddress;
  readonly bytes: Uint8Array;
}

/**
 * One step of the state-synchronization protocol (mosh's TransportBuffers.Instruction): "the state numbered
 * `newNum` is the state numbered `oldNum` with `diff` applied; I hold your states up to `ackNum`; you may
 * forget your states numbered below `throwawayNum`". `chaff` is random padding that disguises lengths.
 */
export interface Instruction {
  readonly oldNum: number;
  readonly newNum: number;
  readonly ackNum: number;
  readonly throwawayNum: number;
  readonly diff: Uint8Array;
  readonly chaff: Uint8Array;
}
