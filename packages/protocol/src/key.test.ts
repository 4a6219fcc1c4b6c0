import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from './bytes.js';
import { KeyFormatError } from './errors.js';
import { peekSessionId, SessionKey } from './key.js';

function fixedRandom(bytes: Uint8Array) {
  return (length: number) => {
    expect(length).toBe(bytes.length);
    return bytes.slice();
  };
}

const keyBytes = fc.uint8Array({ minLength: 24, maxLength: 24 });

describe('SessionKey', () => {
  it('prints 24 bytes as 32 base64url characters and parses them back (round trip)', () => {
    fc.assert(
      fc.property(keyBytes, (bytes) => {
        const key = SessionKey.generate(fixedRandom(bytes));
        const printable = key.toString();
        expect(printable).toMatch(/^[A-Za-z0-9_-]{32}$/);
        const parsed = SessionKey.parse(printable);
        expect(parsed.toString()).toBe(printable);
        expect(parsed.sessionId).toEqual(bytes.slice(0, 8));
        expect(parsed.sessionIdHex).toBe(Buffer.from(bytes.slice(0, 8)).toString('hex'));
        expect(parsed.equals(key)).toBe(true);
        // Independent oracle: Node's base64url encoder.
        expect(printable).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
  });

  it('parses whatever Node encodes, and rejects every length but 32', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 40 }), (text) => {
        if (text.length === 32) {
          expect(SessionKey.parse(text).toString()).toBe(text);
          expect(Buffer.from(text, 'base64url').toString('base64url')).toBe(text);
        } else {
          expect(() => SessionKey.parse(text)).toThrow(KeyFormatError);
        }
      }),
    );
  });

  it('tells the user what is wrong and what to do, naming the source and never the key', () => {
    const good = SessionKey.generate(fixedRandom(new Uint8Array(24).fill(7))).toString();
    const short = good.slice(0, 31);
    expect(() => SessionKey.parse(short, 'TSMOSH_KEY')).toThrow(/^TSMOSH_KEY is 31 characters; expected 32\. Was it cut off\? Copy the key exactly/);
    expect(() => SessionKey.parse('')).toThrow(/The session key is empty/);
    expect(() => SessionKey.parse(` ${good}`)).toThrow(/whitespace/);
    expect(() => SessionKey.parse(`${good.slice(0, 5)}+${good.slice(6)}`)).toThrow(/outside base64url .* at position 6/);
    expect(() => SessionKey.parse('a'.repeat(22))).toThrow(/looks like a mosh key/);
    const thrown = (() => {
      try {
        SessionKey.parse(`${good.slice(0, 31)}=`, 'TSMOSH_KEY');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(KeyFormatError);
    expect((thrown as Error).message).toMatch(/^TSMOSH_KEY has a character outside base64url .* at position 32/);
    expect((thrown as Error).message).not.toContain(good.slice(0, 31));
    expect(JSON.stringify({ key: SessionKey.parse(good) })).not.toContain(good);
  });

  it('generates distinct keys from distinct randomness and rejects a short random source', () => {
    let counter = 0;
    const random = (n: number) => new Uint8Array(n).fill(counter++);
    expect(SessionKey.generate(random).toString()).not.toBe(SessionKey.generate(random).toString());
    expect(() => SessionKey.generate(() => new Uint8Array(23))).toThrow(/returned 23 bytes/);
  });

  it('derives different 256-bit keys per direction, per secret and per session ID', () => {
    const a = SessionKey.generate(fixedRandom(new Uint8Array(24).fill(1)));
    const sameSecretOtherId = new Uint8Array(24).fill(1);
    sameSecretOtherId[0] = 2;
    const b = SessionKey.generate(fixedRandom(sameSecretOtherId));
    const toServer = a.directionKey('to-server');
    expect(toServer).toHaveLength(32);
    expect(toServer).not.toEqual(a.directionKey('to-client'));
    expect(toServer).not.toEqual(b.directionKey('to-server'));
    expect(a.directionKey('to-server')).toBe(toServer); // cached
  });
});

describe('base64url helpers', () => {
  it('round-trips any length and matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
  });

  it('rejects non-canonical trailing bits and impossible lengths', () => {
    expect(fromBase64Url('AB')).toEqual({ nonCanonical: true }); // 'B' leaves a nonzero leftover bit
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]));
    expect(fromBase64Url('A')).toEqual({ nonCanonical: true });
  });
});

describe('peekSessionId', () => {
  it('reads the clear session ID of a version-1 header, and nothing from short or foreign datagrams', () => {
    const datagram = new Uint8Array(40);
    datagram[0] = 1;
    datagram.set([1, 2, 3, 4, 5, 6, 7, 0xff], 1);
    expect(peekSessionId(datagram)).toBe('01020304050607ff');
    expect(peekSessionId(datagram.subarray(0, 16))).toBeUndefined();
    datagram[0] = 2;
    expect(peekSessionId(datagram)).toBeUndefined();
  });
});
