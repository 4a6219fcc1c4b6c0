import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for the client's datagrams, drawn from node:crypto a block at a time and handed out once each.
 *
 * Every datagram the client sends draws twice (the chaff's length, then the chaff: transport.ts), and a key's
 * datagram is on the path from the key to the server. One randomBytes call per draw cost ~30 µs between keys typed a
 * few hundred ms apart (a cold native call into OpenSSL's generator; a V8 CPU profile of 40 cold Enters put 16 % of
 * key read → datagram sent there), against well under a microsecond for a copy out of a block. The bytes are the
 * same CSPRNG output, only fetched in bulk; each byte is handed out once and always as a copy.
 */

/** Bytes fetched per refill: about 400 datagrams' chaff (~10 bytes each), 4 KiB held. */
export const RANDOM_POOL_BYTES = 4096;

export class RandomPool {
  private readonly block: Uint8Array;
  /** Bytes of `block` already handed out; a full block means a refill before the next draw. */
  private used: number;

  constructor(
    private readonly fill: (buffer: Uint8Array) => void = (buffer) => void randomFillSync(buffer),
    blockBytes = RANDOM_POOL_BYTES,
  ) {
    if (!Number.isInteger(blockBytes) || blockBytes < 1) throw new RangeError(`RandomPool: blockBytes must be a positive integer, got ${blockBytes}`);
    this.block = new Uint8Array(blockBytes);
    this.used = blockBytes; // filled on the first draw, not at start-up
  }

  /** `length` fresh random bytes, a new array the caller owns. */
  take(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`RandomPool.take: length must be a non-negative integer, got ${length}`);
    const out = new Uint8Array(length);
    if (length > this.block.length) {
      this.fill(out);
      return out;
    }
    if (this.used + length > this.block.length) {
      this.fill(this.block);
      this.used = 0;
    }
    out.set(this.block.subarray(this.used, this.used + length));
    this.used += length;
    return out;
  }
}
