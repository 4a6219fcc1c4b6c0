import { readU64, writeU64 } from './bytes.js';
import { open, sealInto } from './chacha20-poly1305.js';
import { HEADER_BYTES, MAX_SEQUENCE, SESSION_ID_BYTES, TAG_BYTES, WIRE_VERSION } from './constants.js';
import type { Direction, SessionKey } from './key.js';

/**
 * Datagram sealing. Layout (docs/protocol.md §Datagram):
 *
 *   version (1) ‖ session ID (8) ‖ direction bit ‖ sequence (63 bits, big-endian)  ← clear, authenticated as AD
 *   ChaCha20-Poly1305 ciphertext of the payload ‖ tag (16)
 *
 * Nonce (12 bytes) = 4 zero bytes ‖ the header's 8-byte direction+sequence field. Each direction has its own key
 * (SessionKey.directionKey) and a sender never reuses a sequence number, so no (key, nonce) pair repeats.
 */

export interface DatagramHeader {
  readonly version: number;
  readonly sessionId: Uint8Array;
  readonly direction: Direction;
  readonly seq: bigint;
}

const DIRECTION_BIT = 1n << 63n;

export function encodeHeader(header: DatagramHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  writeHeader(header, out);
  return out;
}

/** The header into out[0..HEADER_BYTES]. */
function writeHeader(header: DatagramHeader, out: Uint8Array): void {
  if (header.sessionId.length !== SESSION_ID_BYTES) throw new RangeError(`header: session ID must be ${SESSION_ID_BYTES} bytes, got ${header.sessionId.length}`);
  if (header.seq < 0n || header.seq > MAX_SEQUENCE) throw new RangeError(`header: sequence ${header.seq} outside 0..2^63-1`);
  out[0] = header.version;
  out.set(header.sessionId, 1);
  writeU64(out, 1 + SESSION_ID_BYTES, (header.direction === 'to-client' ? DIRECTION_BIT : 0n) | header.seq);
}

/** Parses the clear header. Undefined if the datagram is shorter than a header. Does not judge the version. */
export function decodeHeader(datagram: Uint8Array): DatagramHeader | undefined {
  if (datagram.length < HEADER_BYTES) return undefined;
  const field = readU64(datagram, 1 + SESSION_ID_BYTES);
  return {
    version: datagram[0]!,
    sessionId: datagram.slice(1, 1 + SESSION_ID_BYTES),
    direction: (field & DIRECTION_BIT) !== 0n ? 'to-client' : 'to-server',
    seq: field & MAX_SEQUENCE,
  };
}

/** The nonce of one datagram: scratch, filled and used within one seal or open (single-threaded, never held). */
const nonce = new Uint8Array(12);

function nonceFor(header: Uint8Array): Uint8Array {
  nonce.set(header.subarray(1 + SESSION_ID_BYTES, HEADER_BYTES), 4);
  return nonce;
}

/** header ‖ ciphertext ‖ tag, sealed in place in one buffer (chacha20-poly1305.ts). */
export function sealDatagram(key: SessionKey, direction: Direction, seq: bigint, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + plaintext.length + TAG_BYTES);
  writeHeader({ version: WIRE_VERSION, sessionId: key.sessionId, direction, seq }, out);
  const headerBytes = out.subarray(0, HEADER_BYTES);
  sealInto(key.directionKey(direction), nonceFor(headerBytes), headerBytes, plaintext, out, HEADER_BYTES);
  return out;
}

/**
 * The plaintext of an authentic datagram, or undefined when the tag does not verify (wrong key, tampering, a
 * forged header). The caller has already checked the header's version, session and direction.
 */
export function openDatagram(key: SessionKey, direction: Direction, datagram: Uint8Array): Uint8Array | undefined {
  if (datagram.length < HEADER_BYTES + TAG_BYTES) return undefined;
  const headerBytes = datagram.subarray(0, HEADER_BYTES);
  return open(key.directionKey(direction), nonceFor(headerBytes), headerBytes, datagram.subarray(HEADER_BYTES));
}
