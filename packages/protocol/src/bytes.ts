import { ByteReader, ByteWriter } from './byte-codec.js';
/** Byte helpers for the pure core: Uint8Array only, no Buffer. */

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX_DIGITS = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
  return out;
}

export function writeU16(target: Uint8Array, offset: number, value: number): void {
  target[offset] = (value >>> 8) & 0xff;
  target[offset + 1] = value & 0xff;
}

export function readU16(source: Uint8Array, offset: number): number {
  return (source[offset]! << 8) | source[offset + 1]!;
}

export function writeU64(target: Uint8Array, offset: number, value: bigint): void {
  new DataView(target.buffer, target.byteOffset, target.byteLength).setBigUint64(offset, value, false);
}

export function readU64(source: Uint8Array, offset: number): bigint {
  return new DataView(source.buffer, source.byteOffset, source.byteLength).getBigUint64(offset, false);
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_VALUES = new Map<string, number>([...BASE64URL_ALPHABET].map((char, index) => [char, index]));

/** Base64url (RFC 4648 §5) without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let bitCount = 0;
  for (const byte of bytes) {
    bits = ((bits << 8) | byte) & 0xffff;
    bitCount += 8;
    while (bitCount >= 6) {
      bitCount -= 6;
      out += BASE64URL_ALPHABET[(bits >> bitCount) & 63]!;
    }
  }
  if (bitCount > 0) out += BASE64URL_ALPHABET[(bits << (6 - bitCount)) & 63]!;
  return out;
}

/**
 * Decodes unpadded base64url. Returns the index of the first character outside the alphabet instead of bytes, so
 * callers can tell the user where the problem is. Leftover bits must be zero (canonical form only).
 */
export function fromBase64Url(text: string): Uint8Array | { badCharacterAt: number } | { nonCanonical: true } {
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let bitCount = 0;
  let offset = 0;
  for (let i = 0; i < text.length; i++) {
    const value = BASE64URL_VALUES.get(text[i]!);
    if (value === undefined) return { badCharacterAt: i };
    bits = ((bits << 6) | value) & 0xffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[offset++] = (bits >> bitCount) & 0xff;
    }
  }
  if (bitCount >= 6 || (bits & ((1 << bitCount) - 1)) !== 0) return { nonCanonical: true };
  return out;
}

/** Unsigned LEB128 for non-negative safe integers: byte-codec.ts's ByteWriter varint, appended to `out`. */
export function encodeVarint(value: number, out: number[]): void {
  const writer = new ByteWriter();
  writer.varint(value);
  for (const byte of writer.finish()) out.push(byte);
}

/**
 * Reads one varint at `offset` by ByteReader's rule. Returns undefined on truncation, on an overlong (non-canonical)
 * encoding, or on a value above Number.MAX_SAFE_INTEGER, so every accepted byte string has exactly one meaning.
 */
export function decodeVarint(source: Uint8Array, offset: number): { value: number; next: number } | undefined {
  const rest = source.subarray(offset);
  const reader = new ByteReader(rest, 'varint');
  try {
    const value = reader.varint('varint');
    return { value, next: offset + rest.length - reader.remaining };
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
