import { createCipheriv, createDecipheriv } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { open, poly1305OfBlocks, seal, sealInto } from './chacha20-poly1305.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** node:crypto's (OpenSSL's) ciphertext ‖ tag: an implementation that shares no code with this one. */
function openSslSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

// Bytes biased to 0x00 and 0xff, where carries and the final reduction (h ≥ 2^130 − 5) are most likely to go wrong.
const edgyBytes = (options: { minLength?: number; maxLength: number }) =>
  fc.array(fc.oneof(fc.constant(0), fc.constant(0xff), fc.integer({ min: 0, max: 255 })), options).map((bytes) => Uint8Array.from(bytes));
const key = edgyBytes({ minLength: 32, maxLength: 32 });
const nonce = edgyBytes({ minLength: 12, maxLength: 12 });

describe('ChaCha20-Poly1305 (chacha20-poly1305.ts)', () => {
  it('matches the RFC 8439 §2.8.2 AEAD test vector, both ways', () => {
    const k = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const n = hex('070000004041424344454647');
    const ad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const sealed = seal(k, n, ad, plaintext);
    expect(toHex(sealed.subarray(0, plaintext.length))).toBe(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
    );
    expect(toHex(sealed.subarray(plaintext.length))).toBe('1ae10b594f09e26a7e902ecbd0600691');
    expect(open(k, n, ad, sealed)).toEqual(plaintext);
  });

  it('matches the RFC 8439 §2.5.2 Poly1305 vector on its whole blocks (checked against noble for the same blocks)', () => {
    const k = hex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
    const blocks = new TextEncoder().encode('Cryptographic Forum Research Gr'.padEnd(32, '\0'));
    expect(toHex(poly1305OfBlocks(k, blocks))).toBe(toHex(poly1305(blocks, k)));
  });

  it('agrees with node:crypto on random keys, nonces, associated data and lengths, and opens what it sealed', () => {
    fc.assert(
      fc.property(key, nonce, edgyBytes({ maxLength: 40 }), edgyBytes({ maxLength: 1500 }), (k, n, ad, plaintext) => {
        const sealed = seal(k, n, ad, plaintext);
        expect(toHex(sealed)).toBe(toHex(openSslSeal(k, n, ad, plaintext)));
        expect(open(k, n, ad, sealed)).toEqual(plaintext);
      }),
      { numRuns: 400 },
    );
  });

  it('opens what node:crypto sealed, and agrees with @noble/ciphers', () => {
    fc.assert(
      fc.property(key, nonce, edgyBytes({ maxLength: 24 }), edgyBytes({ maxLength: 300 }), (k, n, ad, plaintext) => {
        const sealed = openSslSeal(k, n, ad, plaintext);
        expect(open(k, n, ad, sealed)).toEqual(plaintext);
        expect(toHex(seal(k, n, ad, plaintext))).toBe(toHex(chacha20poly1305(k, n, ad).encrypt(plaintext)));
      }),
      { numRuns: 200 },
    );
  });

  it('Poly1305 agrees with @noble/ciphers on whole blocks of mostly 0x00 and 0xff (carries and the final reduction)', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 0, max: 8 }).chain((blocks) => edgyBytes({ minLength: 16 * blocks, maxLength: 16 * blocks })), (k, data) => {
        expect(toHex(poly1305OfBlocks(k, data))).toBe(toHex(poly1305(data, k)));
      }),
      { numRuns: 1000 },
    );
    // Worked by hand with small r (s = 0), where random inputs almost never land. r = 1 and two blocks of 0xff:
    // h = 2·(2^129 − 1) = 2^130 − 2, at least p, so the tag is h − p = 3.
    const rOne = new Uint8Array(32);
    rOne[0] = 1;
    expect(toHex(poly1305OfBlocks(rOne, new Uint8Array(32).fill(0xff)))).toBe('03' + '00'.repeat(15));
    // r = 2, a zero block then one of 0xff: the product 2^131 − 2 folds to 2^130 + 3 in the limbs, which the end has
    // to fold once more: 8.
    const rTwo = new Uint8Array(32);
    rTwo[0] = 2;
    const zeroThenOnes = new Uint8Array(32).fill(0xff, 16);
    expect(toHex(poly1305OfBlocks(rTwo, zeroThenOnes))).toBe('08' + '00'.repeat(15));
    expect(toHex(poly1305(zeroThenOnes, rTwo))).toBe('08' + '00'.repeat(15));
    const ones = new Uint8Array(32).fill(0xff);
    for (const blocks of [1, 2, 3, 16]) {
      const data = new Uint8Array(16 * blocks).fill(0xff);
      expect(toHex(poly1305OfBlocks(ones, data))).toBe(toHex(poly1305(data, ones)));
    }
  });

  it('refuses a changed ciphertext, tag, associated data or nonce, and anything shorter than a tag', () => {
    const k = new Uint8Array(32).fill(7);
    const n = new Uint8Array(12).fill(3);
    const ad = new Uint8Array(17).fill(1);
    const sealed = seal(k, n, ad, new TextEncoder().encode('a frame of the screen'));
    for (let i = 0; i < sealed.length; i++) {
      const changed = sealed.slice();
      changed[i]! ^= 0x01;
      expect(open(k, n, ad, changed)).toBeUndefined();
    }
    expect(open(k, n, ad.map((b, i) => (i === 16 ? b ^ 0x80 : b)), sealed)).toBeUndefined();
    expect(open(k, n.map((b, i) => (i === 0 ? b ^ 1 : b)), ad, sealed)).toBeUndefined();
    for (let length = 0; length < 16; length++) expect(open(k, n, ad, sealed.subarray(0, length))).toBeUndefined();
    // node:crypto refuses the same change (the test's own check that a flipped byte is a forgery).
    const decipher = createDecipheriv('chacha20-poly1305', k, n, { authTagLength: 16 });
    decipher.setAAD(ad, { plaintextLength: sealed.length - 16 });
    decipher.setAuthTag(sealed.subarray(sealed.length - 16).map((b, i) => (i === 0 ? b ^ 1 : b)));
    decipher.update(sealed.subarray(0, sealed.length - 16));
    expect(() => decipher.final()).toThrow();
  });

  it('seals into a buffer after associated data held in the same buffer, as a datagram does', () => {
    const k = new Uint8Array(32).map((_, i) => i);
    const n = new Uint8Array(12).map((_, i) => 100 + i);
    const plaintext = new TextEncoder().encode('echo hi');
    const out = new Uint8Array(17 + plaintext.length + 16).fill(0xee);
    out.set(new Uint8Array(17).fill(9), 0);
    sealInto(k, n, out.subarray(0, 17), plaintext, out, 17);
    expect(toHex(out.subarray(17))).toBe(toHex(openSslSeal(k, n, new Uint8Array(17).fill(9), plaintext)));
  });

  it('says which argument is wrong', () => {
    expect(() => seal(new Uint8Array(31), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0))).toThrow(/key must be 32 bytes, got 31/);
    expect(() => seal(new Uint8Array(32), new Uint8Array(8), new Uint8Array(0), new Uint8Array(0))).toThrow(/nonce must be 12 bytes, got 8/);
  });
});
