/**
 * Randomness for the links' chaff, drawn from a pool refilled in blocks: the daemon's (server random-pool.ts) and the
 * client's (client-runtime.ts). Every datagram takes chaff (a length byte, then up to 16 bytes: transport.ts), and
 * node:crypto's randomBytes made each take a trip into the C++ binding and the kernel's getrandom: 12 ms of a daemon's
 * CPU profile over 60 typed lines, and on the client 80 µs a datagram between keys typed 300 ms apart (16 % of a key's
 * read → sent; docs/benchmarks-journal.md, session 14). Filled a block at a time, a datagram's chaff is a copy out of memory.
 *
 * Only for bytes that are not secret for long and need no freshness of their own: chaff disguises lengths. Keys keep
 * drawing straight from node:crypto (daemon.ts), and nonces come from sequence numbers, never from here. Every byte
 * handed out is handed out once: the pool moves past what it gave. The fill is the caller's (node:crypto's
 * randomFillSync in both processes): this package reads nothing from the world.
 */

/**
 * Bytes drawn per refill: a few hundred datagrams' chaff (17 bytes at most each) per getrandom call, small enough
 * that the pool is a page of memory.
 */
export const RANDOM_POOL_BLOCK_BYTES = 4096;

export class RandomPool {
  private readonly block: Uint8Array;
  /** The first byte not yet handed out; block.length when the block is spent. */
  private next: number;

  constructor(
    /** Fills its argument with random bytes (node:crypto's randomFillSync; tests pass a counter). */
    private readonly fill: (into: Uint8Array) => void,
    blockBytes = RANDOM_POOL_BLOCK_BYTES,
  ) {
    if (!Number.isInteger(blockBytes) || blockBytes < 1) throw new RangeError(`RandomPool: block size must be a positive integer, got ${blockBytes}`);
    this.block = new Uint8Array(blockBytes);
    this.next = blockBytes;
  }

  /** `length` fresh random bytes, the caller's own (a copy: a later refill does not change them). */
  take(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`RandomPool.take: length must be a non-negative integer, got ${length}`);
    // More than a block never fits: fill it directly.
    if (length > this.block.length) {
      const out = new Uint8Array(length);
      this.fill(out);
      return out;
    }
    if (this.next + length > this.block.length) {
      this.fill(this.block);
      this.next = 0;
    }
    const out = this.block.slice(this.next, this.next + length);
    this.next += length;
    return out;
  }
}
