import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromBase64Url, toBase64Url, toHex } from './bytes.js';
import { HEADER_BYTES, SESSION_ID_BYTES, SESSION_KEY_PRINTABLE_LENGTH, SESSION_SECRET_BYTES, WIRE_VERSION } from './constants.js';
import { KeyFormatError } from './errors.js';
import type { RandomSource } from './types.js';

/** Which way a datagram travels. The bit is the top bit of the header's sequence field (mosh's convention). */
export type Direction = 'to-server' | 'to-client';

/** bytes: ChaCha20-Poly1305 key size. */
const DIRECTION_KEY_BYTES = 32;
// Distinct HKDF info strings give the two directions independent keys, so the same (key, nonce) pair can never
// occur in both directions even if the direction bit were ignored. The version in the string ties keys to WIRE_VERSION.
const DIRECTION_INFO: Record<Direction, Uint8Array> = {
  'to-server': new TextEncoder().encode('tsmosh v1 client to server'),
  'to-client': new TextEncoder().encode('tsmosh v1 server to client'),
};

/**
 * A session's key material: an 8-byte session ID (sent in clear in every datagram so the daemon can find the
 * session, and authenticated as associated data) and a 16-byte secret. Printable form: base64url without padding of
 * ID ‖ secret, exactly 32 characters.
 */
export class SessionKey {
  readonly sessionId: Uint8Array;
  readonly sessionIdHex: string;
  // ECMAScript-private, unlike the rest of the code's `private`: a key printed by util.inspect, console.log or
  // JSON.stringify must not show its secret or the keys derived from it.
  readonly #secret: Uint8Array;
  readonly #directionKeys = new Map<Direction, Uint8Array>();

  private constructor(sessionId: Uint8Array, secret: Uint8Array) {
    this.sessionId = sessionId;
    this.sessionIdHex = toHex(sessionId);
    this.#secret = secret;
  }

  static generate(random: RandomSource): SessionKey {
    const bytes = random(SESSION_ID_BYTES + SESSION_SECRET_BYTES);
    if (bytes.length !== SESSION_ID_BYTES + SESSION_SECRET_BYTES) {
      throw new RangeError(`SessionKey.generate: random(${SESSION_ID_BYTES + SESSION_SECRET_BYTES}) returned ${bytes.length} bytes`);
    }
    return new SessionKey(bytes.slice(0, SESSION_ID_BYTES), bytes.slice(SESSION_ID_BYTES));
  }

  /**
   * Parses the printable form strictly. `source` names where the text came from (e.g. 'TSMOSH_KEY') so the error
   * can point the user at it. The message never repeats the key: it is a secret.
   */
  static parse(printable: string, source = 'The session key'): SessionKey {
    const fix = 'copy the key exactly as printed on the "TSMOSH CONNECT <port> <key>" line';
    if (printable.length === 0) throw new KeyFormatError(`${source} is empty; ${fix}.`);
    if (printable.trim() !== printable) {
      throw new KeyFormatError(`${source} has leading or trailing whitespace; ${fix}, without spaces or newlines.`);
    }
    if (printable.length !== SESSION_KEY_PRINTABLE_LENGTH) {
      const hint = printable.length === 22 ? ' (22 characters looks like a mosh key; tsmosh keys are longer)' : '';
      throw new KeyFormatError(
        `${source} is ${printable.length} characters; expected ${SESSION_KEY_PRINTABLE_LENGTH}${hint}. Was it cut off? ${fix[0]!.toUpperCase()}${fix.slice(1)}.`,
      );
    }
    const decoded = fromBase64Url(printable);
    if (!(decoded instanceof Uint8Array)) {
      if ('badCharacterAt' in decoded) {
        throw new KeyFormatError(
          `${source} has a character outside base64url (A-Z a-z 0-9 - _) at position ${decoded.badCharacterAt + 1}; ${fix}.`,
        );
      }
      throw new KeyFormatError(`${source} is not canonical base64url; ${fix}.`);
    }
    return new SessionKey(decoded.slice(0, SESSION_ID_BYTES), decoded.slice(SESSION_ID_BYTES));
  }

  toString(): string {
    return toBase64Url(concatBytes(this.sessionId, this.#secret));
  }

  /** Keeps the secret out of logs and util.inspect output. */
  toJSON(): string {
    return `SessionKey(${this.sessionIdHex})`;
  }

  equals(other: SessionKey): boolean {
    return this.toString() === other.toString();
  }

  /** The 256-bit ChaCha20-Poly1305 key for one direction: HKDF-SHA256(secret, salt = session ID, info = direction). */
  directionKey(direction: Direction): Uint8Array {
    let key = this.#directionKeys.get(direction);
    if (key === undefined) {
      key = hkdf(sha256, this.#secret, this.sessionId, DIRECTION_INFO[direction], DIRECTION_KEY_BYTES);
      this.#directionKeys.set(direction, key);
    }
    return key;
  }
}

/**
 * The session ID (hex) from a datagram's clear header, for the daemon's demultiplexing. Unauthenticated: the
 * session's Connection verifies it. Undefined when the datagram is too short or of an unknown wire version.
 */
export function peekSessionId(datagram: Uint8Array): string | undefined {
  if (datagram.length < HEADER_BYTES || datagram[0] !== WIRE_VERSION) return undefined;
  return toHex(datagram.subarray(1, 1 + SESSION_ID_BYTES));
}
