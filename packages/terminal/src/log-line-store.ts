/**
 * LogLineStore: the scrollback log's lines in wire form, kept as (array, start, end) in three Int32Arrays rather
 * than as one Uint8Array view per line.
 *
 * Why: the daemon keeps the last 10,000 lines of every session and a flood logs hundreds of thousands a second. A view
 * per line is a heap object that lives exactly as long as 10,000 further lines take to arrive: long enough to survive
 * the young generation's collections and be copied by each of them, then promoted and left to the old generation to
 * sweep (the daemon runs with 2 MiB semi-spaces). Measured on `seq 1 300000` through a mirror: a third of the daemon's
 * CPU was the garbage collector. Here a line costs three integers in typed arrays that grow by doubling (the array it lies in by index, its start, its end), and
 * a view is made only for a moment, when a line is read, compared or sent.
 */
export class LogLineStore {
  /** Lines held. */
  private count = 0;

  private constructor(
    /**
     * The byte arrays the lines lie in (shared slabs, or a large line's own array), each once, in the order lines
     * use them; never written below a line's end. A line names its array by index: a pointer per line would be a
     * store of a young object into an old array for every line of a flood (a write barrier each, and a slot for the
     * next young collection to visit).
     */
    private readonly arrays: Uint8Array[],
    /** Per line: its array's index, and where its bytes start and end there. Typed arrays: nothing for the GC to scan. */
    private arrayOf: Int32Array,
    private starts: Int32Array,
    private ends: Int32Array,
    count: number,
  ) {
    this.count = count;
  }

  static empty(): LogLineStore {
    return new LogLineStore([], new Int32Array(INITIAL_CAPACITY), new Int32Array(INITIAL_CAPACITY), new Int32Array(INITIAL_CAPACITY), 0);
  }

  get length(): number {
    return this.count;
  }

  /** Adds the line at bytes [start, end) of `array`, which must never change afterwards (lines are written once). */
  push(array: Uint8Array, start: number, end: number): void {
    let index = this.arrays.length - 1;
    if (index < 0 || this.arrays[index] !== array) {
      this.arrays.push(array);
      index++;
    }
    if (this.count === this.arrayOf.length) this.grow();
    this.arrayOf[this.count] = index;
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }

  /** Line `index`'s bytes: a fresh view, to read now rather than to keep. */
  line(index: number): Uint8Array {
    return this.arrays[this.arrayOf[index]!]!.subarray(this.starts[index]!, this.ends[index]!);
  }

  /** Whether line `index` here holds the same bytes as line `otherIndex` of `other`. */
  sameLine(index: number, other: LogLineStore, otherIndex: number): boolean {
    const a = this.arrays[this.arrayOf[index]!]!;
    const b = other.arrays[other.arrayOf[otherIndex]!]!;
    const aStart = this.starts[index]!;
    const bStart = other.starts[otherIndex]!;
    const length = this.ends[index]! - aStart;
    if (other.ends[otherIndex]! - bStart !== length) return false;
    if (a === b && aStart === bStart) return true;
    for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
    return true;
  }

  /**
   * A new store with lines [from, to) of this one (and only the arrays they lie in), with room for at least `room`
   * more lines before it grows (and for as many as it holds).
   */
  slice(from: number, to: number = this.count, room = 0): LogLineStore {
    to = Math.min(to, this.count);
    if (!(from < to)) return LogLineStore.empty();
    const first = this.arrayOf[from]!;
    const capacity = Math.max(INITIAL_CAPACITY, 2 * (to - from), to - from + room);
    const arrayOf = new Int32Array(capacity);
    for (let i = from; i < to; i++) arrayOf[i - from] = this.arrayOf[i]! - first;
    const starts = new Int32Array(capacity);
    starts.set(this.starts.subarray(from, to));
    const ends = new Int32Array(capacity);
    ends.set(this.ends.subarray(from, to));
    return new LogLineStore(this.arrays.slice(first, this.arrayOf[to - 1]! + 1), arrayOf, starts, ends, to - from);
  }

  private grow(): void {
    const capacity = 2 * this.arrayOf.length;
    const widen = (old: Int32Array): Int32Array => {
      const wider = new Int32Array(capacity);
      wider.set(old);
      return wider;
    };
    this.arrayOf = widen(this.arrayOf);
    this.starts = widen(this.starts);
    this.ends = widen(this.ends);
  }
}

/** Lines a new store has room for before it grows (it doubles). */
const INITIAL_CAPACITY = 64;
