/**
 * The byte codec every tsmosh codec writes and reads with: a growable writer, a bounds-checked reader whose every
 * failure is a RangeError naming the field and the offset, one canonical unsigned LEB128 varint (the same rule as
 * bytes.ts decodeVarint: no overlong encodings, nothing above Number.MAX_SAFE_INTEGER) and length-prefixed UTF-8.
 * Moved here from terminal/screen-diff.ts so the terminal's codecs and the protocol's share one varint rule.
 */

const utf8Encoder = new TextEncoder();
// fatal: malformed UTF-8 must be rejected, not silently turned into U+FFFD; ignoreBOM: a leading U+FEFF is content.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes `ByteWriter.varint(value)` writes: a size computed without writing (7 bits a byte). */
export function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}

/**
 * Writes `value` as the writer's varint into `out` at `at` (room for varintLength(value) bytes is the caller's) and
 * returns the offset after it: for an encoder that sizes its output first and writes it once.
 */
export function putVarint(out: Uint8Array, at: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: ${value} is not a non-negative safe integer`);
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

/** A growable byte buffer for encoders. */
export class ByteWriter {
  private buffer = new Uint8Array(64);
  private used = 0;

  get length(): number {
    return this.used;
  }

  private reserve(extra: number): void {
    if (this.used + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.used + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.used));
    this.buffer = grown;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.used++] = value;
  }

  /** Unsigned LEB128; values up to Number.MAX_SAFE_INTEGER (anything else is a RangeError, as encodeVarint). */
  varint(value: number): void {
    this.reserve(8);
    this.used = putVarint(this.buffer, this.used, value);
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** A varint byte length, then the bytes. */
  lengthPrefixed(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.bytes(bytes);
  }

  string(text: string): void {
    // ASCII (nearly every cell of program output) is its own UTF-8: write it without a TextEncoder call, which costs
    // more than the copy for short strings. The bytes are the same either way.
    const length = text.length;
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      this.lengthPrefixed(utf8Encoder.encode(text));
      return;
    }
    this.varint(length);
    this.reserve(length);
    for (let i = 0; i < length; i++) this.buffer[this.used++] = text.charCodeAt(i);
  }

  append(other: ByteWriter): void {
    this.bytes(other.buffer.subarray(0, other.used));
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.used);
  }

  /** The bytes written so far, without a copy: valid until the next write or reset. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.used);
  }

  /** Forgets what was written, keeping the buffer, so one writer can serve many small encodings. */
  reset(): void {
    this.used = 0;
  }
}

/** A bounds-checked reader for decoders: every failure is a RangeError naming the field and the byte offset. */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** What is being decoded, for error messages ("screen diff"). */
    private readonly what: string,
  ) {}

  get atEnd(): boolean {
    return this.offset >= this.bytes.length;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(problem: string): never {
    throw new RangeError(`${this.what}: ${problem} (at byte ${this.offset} of ${this.bytes.length})`);
  }

  u8(field: string): number {
    if (this.offset >= this.bytes.length) this.fail(`truncated before ${field}`);
    return this.bytes[this.offset++]!;
  }

  /**
   * A canonical varint no greater than `max` (inclusive): an overlong encoding (a final zero group after the first
   * byte) or a value above Number.MAX_SAFE_INTEGER is refused, so every accepted byte string has one meaning (the
   * same rule as decodeVarint; the writer never produces either).
   */
  varint(field: string, max: number = Number.MAX_SAFE_INTEGER): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i === 8) this.fail(`${field} is a varint longer than 8 bytes`);
      const byte = this.u8(field);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) this.fail(`${field} is an overlong varint`);
        break;
      }
      scale *= 0x80;
    }
    if (!Number.isSafeInteger(value)) this.fail(`${field} is a varint above the largest safe integer`);
    if (value > max) this.fail(`${field} is ${value}, more than the maximum ${max}`);
    return value;
  }

  /** The bytes not read yet, as a view, without reading them: for a decoder that recognises a form before reading it. */
  peek(): Uint8Array {
    return this.bytes.subarray(this.offset);
  }

  take(length: number, field: string): Uint8Array {
    if (length > this.remaining) this.fail(`${field} needs ${length} bytes but only ${this.remaining} remain`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  /** A UTF-8 string of exactly `length` bytes. */
  utf8(length: number, field: string): string {
    const raw = this.take(length, field);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      this.offset -= length;
      return this.fail(`${field} is not valid UTF-8`);
    }
  }

  string(field: string): string {
    return this.utf8(this.varint(`${field} length`), field);
  }

  expectEnd(): void {
    if (!this.atEnd) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}
