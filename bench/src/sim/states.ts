/**
 * Two minimal SyncStates for transport benchmarks, so that a timing comparison measures the transport and nothing
 * else. `KeyLog` behaves like the input stream (append-only, cumulative diffs, acknowledged prefix dropped);
 * `EchoCount` like a screen that shows how many keys the application has echoed (an absolute state).
 */
import { ByteReader, ByteWriter, type SyncState } from '@tsmosh/protocol';

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
    const out = new ByteWriter();
    out.varint(this.count);
    return out.finish();
  }

  applyDiff(diff: Uint8Array): EchoCount {
    if (diff.length === 0) return this;
    return new EchoCount(new ByteReader(diff, 'EchoCount.applyDiff').varint('count'));
  }

  subtract(): EchoCount {
    return this;
  }

  equals(other: EchoCount): boolean {
    return this.count === other.count;
  }
}
