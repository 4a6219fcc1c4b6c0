import { ByteReader, ByteWriter, type SyncState } from '@tsmosh/protocol';

/**
 * Toy SyncStates for transport tests. They follow the contract strictly (a diff names its base, so a diff applied to
 * the wrong state is refused with a RangeError) so that the transport's base bookkeeping is really exercised.
 */

/**
 * An append-only byte log, the shape of the user input stream: diffs are cumulative since the base, `subtract`
 * drops the acknowledged prefix. `start` is the absolute position of the first byte held, `end` of the byte after
 * the last. Two logs are equal when they end at the same position and agree on the bytes both hold.
 */
export class ByteLogState implements SyncState<ByteLogState> {
  private constructor(
    readonly start: number,
    /** The bytes held, from `start`. Never mutated. */
    readonly held: Uint8Array,
  ) {}

  static empty(): ByteLogState {
    return new ByteLogState(0, new Uint8Array(0));
  }

  get end(): number {
    return this.start + this.held.length;
  }

  append(bytes: Uint8Array): ByteLogState {
    if (bytes.length === 0) return this;
    const held = new Uint8Array(this.held.length + bytes.length);
    held.set(this.held);
    held.set(bytes, this.held.length);
    return new ByteLogState(this.start, held);
  }

  /** The bytes from absolute position `from` to the end (throws if they are no longer held). */
  since(from: number): Uint8Array {
    if (from < this.start || from > this.end) {
      throw new RangeError(`ByteLogState.since(${from}): holds positions ${this.start}..${this.end} only`);
    }
    return this.held.slice(from - this.start);
  }

  /** Diff = varint(base end) ‖ the bytes after it. Empty when equal. */
  diffFrom(existing: ByteLogState): Uint8Array {
    if (existing.end === this.end) return new Uint8Array(0);
    if (existing.end > this.end || existing.end < this.start) {
      throw new Error(`ByteLogState.diffFrom: base ends at ${existing.end}, this log holds ${this.start}..${this.end}`);
    }
    const diff = new ByteWriter();
    diff.varint(existing.end);
    diff.bytes(this.since(existing.end));
    return diff.finish();
  }

  applyDiff(diff: Uint8Array): ByteLogState {
    if (diff.length === 0) return this;
    const [baseEnd, offset] = decodeVarint(diff, 0);
    if (baseEnd !== this.end) throw new RangeError(`ByteLogState.applyDiff: diff is based on position ${baseEnd}, this log ends at ${this.end}`);
    if (offset === diff.length) throw new RangeError('ByteLogState.applyDiff: a non-empty diff must append at least one byte');
    return this.append(diff.subarray(offset));
  }

  subtract(acked: ByteLogState): ByteLogState {
    const cut = Math.min(Math.max(acked.end, this.start), this.end);
    if (cut === this.start) return this;
    return new ByteLogState(cut, this.held.slice(cut - this.start));
  }

  equals(other: ByteLogState): boolean {
    if (other.end !== this.end) return false;
    const from = Math.max(this.start, other.start);
    for (let position = from; position < this.end; position++) {
      if (this.held[position - this.start] !== other.held[position - other.start]) return false;
    }
    return true;
  }
}

/**
 * A register holding one number, the shape of a screen: each state replaces the last, `subtract` is the identity.
 * Diff = varint(base value) ‖ varint(new value), so applying it to any other base is refused.
 */
export class CounterState implements SyncState<CounterState> {
  constructor(readonly value: number) {
    if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`CounterState: value must be a safe integer ≥ 0, got ${value}`);
  }

  diffFrom(existing: CounterState): Uint8Array {
    if (existing.value === this.value) return new Uint8Array(0);
    const diff = new ByteWriter();
    diff.varint(existing.value);
    diff.varint(this.value);
    return diff.finish();
  }

  applyDiff(diff: Uint8Array): CounterState {
    if (diff.length === 0) return this;
    const [base, offset] = decodeVarint(diff, 0);
    if (base !== this.value) throw new RangeError(`CounterState.applyDiff: diff is based on ${base}, this state is ${this.value}`);
    const [value, end] = decodeVarint(diff, offset);
    if (end !== diff.length) throw new RangeError(`CounterState.applyDiff: ${diff.length - end} trailing bytes`);
    return new CounterState(value);
  }

  subtract(): CounterState {
    return this;
  }

  equals(other: CounterState): boolean {
    return other.value === this.value;
  }
}

/** Unsigned LEB128 up to 2^53 − 1: protocol's ByteWriter varint, the one varint of the wire. */
export function encodeVarint(value: number): Uint8Array {
  const out = new ByteWriter();
  out.varint(value);
  return out.finish();
}

/** Returns [value, offset after it]. Throws RangeError on truncated, overlong or too-large input (ByteReader's rule). */
export function decodeVarint(bytes: Uint8Array, offset: number): [number, number] {
  const rest = bytes.subarray(offset);
  const reader = new ByteReader(rest, 'decodeVarint');
  const value = reader.varint('varint');
  return [value, offset + rest.length - reader.remaining];
}

/**
 * An opaque blob replaced wholesale, the shape of a screen at its worst (every cell changed): the diff is the base's
 * checksum and the whole new content, so a frame is as large as the state and a diff for another base is refused.
 */
export class BlobState implements SyncState<BlobState> {
  readonly checksum: number;

  constructor(readonly content: Uint8Array) {
    this.checksum = fnv1a32(content);
  }

  diffFrom(existing: BlobState): Uint8Array {
    if (this.equals(existing)) return new Uint8Array(0);
    const diff = new ByteWriter();
    diff.varint(existing.checksum);
    diff.u8(1); // marks a replacement, so an empty new content is still a non-empty diff
    diff.bytes(this.content);
    return diff.finish();
  }

  applyDiff(diff: Uint8Array): BlobState {
    if (diff.length === 0) return this;
    const [base, offset] = decodeVarint(diff, 0);
    if (base !== this.checksum) throw new RangeError(`BlobState.applyDiff: diff is based on checksum ${base}, this blob has ${this.checksum}`);
    if (diff[offset] !== 1) throw new RangeError('BlobState.applyDiff: missing replacement marker');
    return new BlobState(diff.slice(offset + 1));
  }

  subtract(): BlobState {
    return this;
  }

  equals(other: BlobState): boolean {
    if (other.checksum !== this.checksum || other.content.length !== this.content.length) return false;
    return other.content.every((byte, i) => byte === this.content[i]);
  }
}

function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}
