/**
 * Two minimal SyncStates for transport benchmarks, so that a timing comparison measures the transport and nothing
 * else. `KeyLog` behaves like the input stream (append-only, cumulative diffs, acknowledged prefix dropped);
 * `EchoCount` like a screen that shows how many keys the application has echoed (an absolute state).
 */
import type { SyncState } from '@tsmosh/protocol';

/** The keys typed so far: only their count matters here; the diff carries the new key bytes. */
export class KeyLog implements SyncState<KeyLog> {
  /** `start`: keys already acknowledged and dropped; `pending`: the bytes typed since. */
  private constructor(
    readonly start: number,
    private readonly pending: Uint8Array,
  ) {}

  static empty(): KeyLog {
    return new KeyLog(0, new Uint8Array(0));
  }

  /** Total keys typed (acknowledged or not). */
  get length(): number {
    return this.start + this.pending.length;
  }

  append(key: number): KeyLog {
    const next = new Uint8Array(this.pending.length + 1);
    next.set(this.pending);
    next[this.pending.length] = key;
    return new KeyLog(this.start, next);
  }

  diffFrom(existing: KeyLog): Uint8Array {
    if (existing.length >= this.length) return new Uint8Array(0);
    const from = Math.max(0, existing.length - this.start);
    return this.pending.slice(from);
  }

  applyDiff(diff: Uint8Array): KeyLog {
    if (diff.length === 0) return this;
    const next = new Uint8Array(this.pending.length + diff.length);
    next.set(this.pending);
    next.set(diff, this.pending.length);
    return new KeyLog(this.start, next);
  }

  subtract(acked: KeyLog): KeyLog {
    const drop = Math.min(this.pending.length, Math.max(0, acked.length - this.start));
    return drop === 0 ? this : new KeyLog(this.start + drop, this.pending.slice(drop));
  }

  equals(other: KeyLog): boolean {
    return this.length === other.length;
  }
}

/** How many keys the application has echoed: the absolute count, as a varint. */
export class EchoCount implements SyncState<EchoCount> {
  constructor(readonly count: number) {}

  diffFrom(existing: EchoCount): Uint8Array {
    if (existing.count === this.count) return new Uint8Array(0);
    const bytes: number[] = [];
    let n = this.count;
    do {
      bytes.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      n = Math.floor(n / 0x80);
    } while (n > 0);
    return Uint8Array.from(bytes);
  }

  applyDiff(diff: Uint8Array): EchoCount {
    if (diff.length === 0) return this;
    let n = 0;
    let scale = 1;
    for (const byte of diff) {
      n += (byte & 0x7f) * scale;
      scale *= 0x80;
      if ((byte & 0x80) === 0) return new EchoCount(n);
    }
    throw new RangeError('EchoCount.applyDiff: truncated varint');
  }

  subtract(): EchoCount {
    return this;
  }

  equals(other: EchoCount): boolean {
    return this.count === other.count;
  }
}
