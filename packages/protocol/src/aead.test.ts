import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHeader, encodeHeader, openDatagram, sealDatagram } from './aead.js';
import { HEADER_BYTES, MAX_SEQUENCE, TAG_BYTES, WIRE_VERSION } from './constants.js';
import { SessionKey } from './key.js';

const keyFrom = (bytes: Uint8Array) => SessionKey.generate(() => bytes.slice());
const arbitraryKey = fc.uint8Array({ minLength: 24, maxLength: 24 }).map(keyFrom);
const arbitrarySeq = fc.bigInt({ min: 0n, max: MAX_SEQUENCE });
const arbitraryDirection = fc.constantFrom('to-server' as const, 'to-client' as const);

describe('ChaCha20-Poly1305 as used for sealing', () => {
  it('agrees with node:crypto chacha20-poly1305 on random datagrams', () => {
    fc.assert(
      fc.property(arbitraryKey, arbitraryDirection, arbitrarySeq, fc.uint8Array({ maxLength: 1400 }), (key, direction, seq, plaintext) => {
        const datagram = sealDatagram(key, direction, seq, plaintext);
        const header = datagram.subarray(0, HEADER_BYTES);
        const nonce = new Uint8Array(12);
        nonce.set(header.subarray(9), 4);
        const cipher = createCipheriv('chacha20-poly1305', key.directionKey(direction), nonce, { authTagLength: 16 });
        cipher.setAAD(header, { plaintextLength: plaintext.length });
        const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        expect(Buffer.from(datagram.subarray(HEADER_BYTES)).equals(expected)).toBe(true);
        expect(openDatagram(key, direction, datagram)).toEqual(plaintext);
      }),
      { numRuns: 200 },
    );
  });
});

describe('datagram header', () => {
  it('round-trips version, session ID, direction and 63-bit sequence', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), arbitraryDirection, arbitrarySeq, fc.integer({ min: 0, max: 255 }), (sessionId, direction, seq, version) => {
        const bytes = encodeHeader({ version, sessionId, direction, seq });
        expect(bytes).toHaveLength(HEADER_BYTES);
        expect(decodeHeader(bytes)).toEqual({ version, sessionId, direction, seq });
      }),
    );
  });

  it('puts the direction in the top bit, big-endian, as docs/protocol.md draws it', () => {
    const bytes = encodeHeader({ version: WIRE_VERSION, sessionId: new Uint8Array(8).fill(0xaa), direction: 'to-client', seq: 0x0102n });
    expect(Buffer.from(bytes).toString('hex')).toBe('01' + 'aa'.repeat(8) + '8000000000000102');
    expect(decodeHeader(bytes.subarray(0, HEADER_BYTES - 1))).toBeUndefined();
    expect(() => encodeHeader({ version: 1, sessionId: new Uint8Array(8), direction: 'to-server', seq: MAX_SEQUENCE + 1n })).toThrow(/outside/);
  });
});

describe('sealDatagram / openDatagram', () => {
  const key = keyFrom(new Uint8Array(24).fill(3));
  const otherKey = keyFrom(new Uint8Array(24).fill(4));
  const datagram = sealDatagram(key, 'to-server', 42n, new TextEncoder().encode('hello'));

  it('adds exactly header and tag', () => {
    expect(datagram).toHaveLength(HEADER_BYTES + 5 + TAG_BYTES);
  });

  it('refuses the wrong key, the other direction key, and any single flipped bit', () => {
    expect(openDatagram(otherKey, 'to-server', datagram)).toBeUndefined();
    expect(openDatagram(key, 'to-client', datagram)).toBeUndefined();
    for (let bit = 0; bit < datagram.length * 8; bit++) {
      const flipped = datagram.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(openDatagram(key, 'to-server', flipped)).toBeUndefined();
    }
  });

  it('refuses every truncation', () => {
    for (let length = 0; length < datagram.length; length++) expect(openDatagram(key, 'to-server', datagram.subarray(0, length))).toBeUndefined();
  });

  it('never produces the same ciphertext for two sequence numbers or two directions', () => {
    const plaintext = new Uint8Array(64);
    const a = sealDatagram(key, 'to-server', 1n, plaintext).subarray(HEADER_BYTES);
    const b = sealDatagram(key, 'to-server', 2n, plaintext).subarray(HEADER_BYTES);
    const c = sealDatagram(key, 'to-client', 1n, plaintext).subarray(HEADER_BYTES);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });
});
