/**
 * LogLineStore: the scrollback log's lines in wire form, kept as (slab, start, end) in three parallel arrays rather
 * than as one Uint8Array view per line.
 *
 * Why: the daemon keeps the last 10,000 lines of every session and a flood logs hundreds of thousands a second. A view
 * per line is a heap object that lives exactly as long as 10,000 further lines take to arrive: long enough to survive
 * the young generation's collections and be copied by each of them, then promoted and left to the old generation to
 * sweep (the daemon runs with 2 MiB semi-spaces). Measured on `seq 1 300000` through a mirror: a third of the daemon's
 * CPU was the garbage collector. Here a line costs a pointer and two small integers in arrays that grow in place, and
 * a view is made only for a moment, when a line is read, compared or sent.
 */
export class LogLineStore {
  private constructor(
    /** The byte array each line lies in (a shared slab, or the line's own array); never written below a line's end. */
    private readonly buffers: Uint8Array[],
    private readonly starts: number[],
    private readonly ends: number[],
  ) {}

  static empty(): LogLineStore {
    return new LogLineStore([], [], []);
  }

  get length(): number {
    return this.buffers.length;
  }

  /** Adds the line at bytes [start, end) of `buffer`, which must never change afterwards (lines are written once). */
  push(buffer: Uint8Array, start: number, end: number): void {
    this.buffers.push(buffer);
    this.starts.push(start);
    this.ends.push(end);
  }

  /** Line `index`'s bytes: a fresh view, to read now rather than to keep. */
  line(index: number): Uint8Array {
    return this.buffers[index]!.subarray(this.starts[index]!, this.ends[index]!);
  }

  /** Whether line `index` here holds the same bytes as line `otherIndex` of `other`. */
  sameLine(index: number, other: LogLineStore, otherIndex: number): boolean {
    const a = this.buffers[index]!;
    const b = other.buffers[otherIndex]!;
    const aStart = this.starts[index]!;
    const bStart = other.starts[otherIndex]!;
    const length = this.ends[index]! - aStart;
    if (other.ends[otherIndex]! - bStart !== length) return false;
    if (a === b && aStart === bStart) return true;
    for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
    return true;
  }

  /** A new store with lines [from, to) of this one. */
  slice(from: number, to: number = this.length): LogLineStore {
    return new LogLineStore(this.buffers.slice(from, to), this.starts.slice(from, to), this.ends.slice(from, to));
  }
}
