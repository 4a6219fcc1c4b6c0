/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) for one datagram at a time, written for the cold call: a datagram is sealed or
 * opened every few hundred ms at a keystroke's pace, and then what costs is the code and memory touched, not the
 * arithmetic. @noble/ciphers' general AEAD (a cipher object per datagram, the key and nonce copied into fresh word
 * views, a Poly1305 object, the output copied once more) took about twice as long as this cold, and its seal was a
 * fifth of the daemon's time per frame, more than the snapshot (docs/benchmarks-journal.md, "The answer's way out"). Here the ciphertext and tag are written straight into the
 * caller's buffer and the only state is a few module-level scratch arrays (single-threaded, never held across calls).
 *
 * Checked against RFC 8439's vectors, node:crypto (OpenSSL) and @noble/ciphers by chacha20-poly1305.test.ts.
 */

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

// ── ChaCha20 (RFC 8439 §2.3) ────────────────────────────────────────────────────────────────────────────────────

/** One block's 16 output words (the state after 20 rounds plus the input state). Scratch, overwritten per block. */
const blockWords = new Uint32Array(16);

const readU32 = (bytes: Uint8Array, at: number): number =>
  (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** The ChaCha20 block for `counter` into blockWords. `k` is the key's 8 words, `n0..n2` the nonce's 3. */
function chachaBlock(k: Uint32Array, counter: number, n0: number, n1: number, n2: number): void {
  const i0 = 0x61707865, i1 = 0x3320646e, i2 = 0x79622d32, i3 = 0x6b206574; // "expand 32-byte k"
  const i4 = k[0]!, i5 = k[1]!, i6 = k[2]!, i7 = k[3]!, i8 = k[4]!, i9 = k[5]!, i10 = k[6]!, i11 = k[7]!;
  let x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7;
  let x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = counter, x13 = n0, x14 = n1, x15 = n2;
  for (let round = 0; round < 20; round += 2) {
    // Column round.
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12);
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7);
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12);
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7);
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12);
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7);
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12);
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7);
    // Diagonal round.
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12);
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7);
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12);
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7);
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12);
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7);
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12);
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7);
  }
  const o = blockWords;
  o[0] = x0 + i0; o[1] = x1 + i1; o[2] = x2 + i2; o[3] = x3 + i3;
  o[4] = x4 + i4; o[5] = x5 + i5; o[6] = x6 + i6; o[7] = x7 + i7;
  o[8] = x8 + i8; o[9] = x9 + i9; o[10] = x10 + i10; o[11] = x11 + i11;
  o[12] = x12 + counter; o[13] = x13 + n0; o[14] = x14 + n1; o[15] = x15 + n2;
}

/** `length` bytes of `input` from `from`, XORed with the key stream from block 1 on, into `output` at `to`. */
function chachaXor(k: Uint32Array, n0: number, n1: number, n2: number, input: Uint8Array, from: number, length: number, output: Uint8Array, to: number): void {
  for (let done = 0, counter = 1; done < length; done += 64, counter++) {
    chachaBlock(k, counter, n0, n1, n2);
    const end = Math.min(64, length - done);
    for (let i = 0; i < end; i++) output[to + done + i] = input[from + done + i]! ^ ((blockWords[i >>> 2]! >>> ((i & 3) << 3)) & 0xff);
  }
}

// ── Poly1305 (RFC 8439 §2.5) ────────────────────────────────────────────────────────────────────────────────────
//
// The accumulator and r in ten 13-bit limbs (limb i holds bits 13i..13i+12 of a 130-bit number): a limb product
// is under 2^29.4 with the ×5 of the reduction, ten of them under 2^33, far inside a double's exact integers, so the
// sums need no splitting; carries scale by 2^-13 and floor rather than shift (a sum can pass 2^32). Every block the AEAD feeds is a
// full 16 bytes (the AD and the ciphertext are zero-padded to 16, then the two lengths), so each gets the 2^128 bit.

const LIMB_BITS = 13;
const LIMB_MASK = 0x1fff;
const LIMB_BASE = 8192; // 2^13
/** Carries multiply by this (exact: a power of two) rather than divide, whose time can depend on the operands. */
const PER_LIMB = 1 / LIMB_BASE;

const h = new Float64Array(10);
const r = new Float64Array(10);
/** 5·r: a product's part at or above 2^130 folds back in times 5, since 2^130 ≡ 5 (mod 2^130 − 5). */
const r5 = new Float64Array(10);
const m = new Float64Array(10);
const d = new Float64Array(10);
const g = new Float64Array(10);
/** A block built here: r before clamping, a short tail zero-padded, the two lengths. */
const padded = new Uint8Array(16);

/** Ten 13-bit limbs of bytes[at..at+16] (as a little-endian number) plus `top`·2^128, into `limbs`. */
function toLimbs(bytes: Uint8Array, at: number, top: number, limbs: Float64Array): void {
  for (let i = 0; i < 10; i++) {
    const bit = i * LIMB_BITS;
    const byte = bit >>> 3;
    const b0 = bytes[at + byte]!;
    const b1 = byte + 1 < 16 ? bytes[at + byte + 1]! : byte + 1 === 16 ? top : 0;
    const b2 = byte + 2 < 16 ? bytes[at + byte + 2]! : byte + 2 === 16 ? top : 0;
    limbs[i] = ((b0 | (b1 << 8) | (b2 << 16)) >>> (bit & 7)) & LIMB_MASK;
  }
}

function polyStart(key: Uint8Array): void {
  // r is the key's first 16 bytes clamped (§2.5.1: the top 4 bits of bytes 3, 7, 11, 15 and the low 2 of 4, 8, 12).
  for (let i = 0; i < 16; i++) padded[i] = key[i]!;
  for (let i = 3; i < 16; i += 4) padded[i] = padded[i]! & 15;
  for (let i = 4; i < 16; i += 4) padded[i] = padded[i]! & 252;
  toLimbs(padded, 0, 0, r);
  for (let i = 0; i < 10; i++) {
    r5[i] = 5 * r[i]!;
    h[i] = 0;
  }
}

/** h = (h + block + 2^128) · r, partly reduced mod 2^130 − 5 (each limb under 2^13 but limb 1, which may be a little over). */
function polyBlock(bytes: Uint8Array, at: number): void {
  toLimbs(bytes, at, 1, m);
  for (let i = 0; i < 10; i++) h[i] = h[i]! + m[i]!;
  for (let k = 0; k < 10; k++) {
    let sum = 0;
    for (let i = 0; i <= k; i++) sum += h[i]! * r[k - i]!;
    for (let i = k + 1; i < 10; i++) sum += h[i]! * r5[k + 10 - i]!;
    d[k] = sum;
  }
  let carry = 0;
  for (let k = 0; k < 10; k++) {
    const sum = d[k]! + carry;
    carry = Math.floor(sum * PER_LIMB);
    h[k] = sum - carry * LIMB_BASE;
  }
  const low = h[0]! + carry * 5; // under 2^24: limb 9's carry is under 2^21
  h[0] = low & LIMB_MASK;
  h[1] = h[1]! + (low >>> LIMB_BITS);
}

/** The AEAD's Poly1305 input for `bytes[from..from+length]`: its full blocks, then its tail zero-padded to 16. */
function polyPadded(bytes: Uint8Array, from: number, length: number): void {
  const full = length - (length % 16);
  for (let at = 0; at < full; at += 16) polyBlock(bytes, from + at);
  if (full === length) return;
  padded.fill(0);
  for (let i = full; i < length; i++) padded[i - full] = bytes[from + i]!;
  polyBlock(padded, 0);
}

/** The AEAD's last block: the two lengths, little-endian 64-bit (a datagram's are under 2^32: high words zero). */
function polyLengths(adLength: number, textLength: number): void {
  padded.fill(0);
  for (let i = 0; i < 4; i++) {
    padded[i] = (adLength >>> (8 * i)) & 0xff;
    padded[8 + i] = (textLength >>> (8 * i)) & 0xff;
  }
  polyBlock(padded, 0);
}

/** (h mod 2^130 − 5) + s mod 2^128, little-endian, into `out` at `to`; s is the key's second half. */
function polyTag(key: Uint8Array, out: Uint8Array, to: number): void {
  // Carry until every limb is under 2^13: h < 2^130.
  let carry = 0;
  do {
    for (let i = 0; i < 10; i++) {
      const sum = h[i]! + carry;
      carry = Math.floor(sum * PER_LIMB);
      h[i] = sum - carry * LIMB_BASE;
    }
    carry *= 5;
  } while (carry !== 0);
  // h − p = h + 5 − 2^130: taken when h + 5 carries out of bit 130, i.e. when h ≥ p (h < 2^130 < 2p).
  carry = 5;
  for (let i = 0; i < 10; i++) {
    const sum = h[i]! + carry;
    carry = sum >>> LIMB_BITS;
    g[i] = sum & LIMB_MASK;
  }
  // Chosen by mask, not branch, so the time says nothing of h.
  const takeG = -carry;
  for (let i = 0; i < 10; i++) h[i] = (g[i]! & takeG) | (h[i]! & ~takeG);
  let bits = 0;
  let pending = 0;
  let sum = 0;
  let byte = 0;
  for (let i = 0; i < 10 && byte < 16; i++) {
    pending |= h[i]! << bits;
    bits += LIMB_BITS;
    while (bits >= 8 && byte < 16) {
      sum = (pending & 0xff) + key[16 + byte]! + (sum >>> 8);
      out[to + byte] = sum & 0xff;
      pending >>>= 8;
      bits -= 8;
      byte++;
    }
  }
}

/** Poly1305 of whole 16-byte blocks (for the tests' edge cases against another implementation). */
export function poly1305OfBlocks(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES || data.length % 16 !== 0) throw new RangeError('poly1305OfBlocks: a 32-byte key and whole 16-byte blocks');
  const tag = new Uint8Array(TAG_BYTES);
  polyStart(key);
  polyPadded(data, 0, data.length);
  polyTag(key, tag, 0);
  return tag;
}

// ── The AEAD (RFC 8439 §2.8) ────────────────────────────────────────────────────────────────────────────────────

const keyWords = new Uint32Array(8);
/** The one-time Poly1305 key: block 0's first 32 bytes. */
const polyKey = new Uint8Array(32);
const expectedTag = new Uint8Array(TAG_BYTES);

function start(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`ChaCha20-Poly1305: the key must be ${KEY_BYTES} bytes, got ${key.length}`);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`ChaCha20-Poly1305: the nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
  for (let i = 0; i < 8; i++) keyWords[i] = readU32(key, 4 * i);
  chachaBlock(keyWords, 0, readU32(nonce, 0), readU32(nonce, 4), readU32(nonce, 8));
  for (let i = 0; i < 32; i++) polyKey[i] = (blockWords[i >>> 2]! >>> ((i & 3) << 3)) & 0xff;
  polyStart(polyKey);
}

/**
 * Encrypts `plaintext` and writes ciphertext ‖ tag (plaintext.length + 16 bytes) into `out` at `to`. `ad` (the
 * associated data) may lie in `out` before `to`; `plaintext` must not overlap the output unless it is the same bytes.
 */
export function sealInto(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, to: number): void {
  start(key, nonce);
  chachaXor(keyWords, readU32(nonce, 0), readU32(nonce, 4), readU32(nonce, 8), plaintext, 0, plaintext.length, out, to);
  polyPadded(ad, 0, ad.length);
  polyPadded(out, to, plaintext.length);
  polyLengths(ad.length, plaintext.length);
  polyTag(polyKey, out, to + plaintext.length);
}

/** ciphertext ‖ tag in a new array. */
export function seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + TAG_BYTES);
  sealInto(key, nonce, ad, plaintext, out, 0);
  return out;
}

/** The plaintext of `sealed` (ciphertext ‖ tag), or undefined when it is shorter than a tag or the tag does not verify. */
export function open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  const length = sealed.length - TAG_BYTES;
  start(key, nonce);
  polyPadded(ad, 0, ad.length);
  polyPadded(sealed, 0, length);
  polyLengths(ad.length, length);
  polyTag(polyKey, expectedTag, 0);
  // Every byte compared whatever the first difference, so the time says nothing about where a forgery went wrong.
  let difference = 0;
  for (let i = 0; i < TAG_BYTES; i++) difference |= expectedTag[i]! ^ sealed[length + i]!;
  if (difference !== 0) return undefined;
  const plaintext = new Uint8Array(length);
  chachaXor(keyWords, readU32(nonce, 0), readU32(nonce, 4), readU32(nonce, 8), sealed, 0, length, plaintext, 0);
  return plaintext;
}
