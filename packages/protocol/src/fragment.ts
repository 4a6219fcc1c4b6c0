import { concatBytes, readU16, readU64, writeU16, writeU64 } from './bytes.js';
import {
  COMPLETED_INSTRUCTION_MEMORY,
  FRAGMENT_HEADER_BYTES,
  MAX_FRAGMENTS_PER_INSTRUCTION,
  MAX_INSTRUCTION_BYTES,
  MAX_PARTIAL_INSTRUCTIONS,
  MAX_REASSEMBLY_BYTES,
  PARITY_HEADER_BYTES,
  REASSEMBLY_FRAGMENT_COST_BYTES,
} from './constants.js';
import { DecodeError } from './errors.js';
import { decodeChunks, MAX_CODE_FRAGMENTS, parityChunk } from './fec.js';

/**
 * One piece of an encoded instruction. Layout: instruction ID (u64 BE) ‖ final flag (top bit), parity flag (the
 * next) and index (14 bits), u16 BE ‖ for a parity fragment, ParityInfo (u16 BE, u32 BE) ‖ chunk. The sending
 * Connection uses the sequence number of the instruction's first datagram as its ID, so IDs are unique, increase,
 * and keep increasing across a client restart (sequence numbers are clock-derived); a resend of a multi-fragment
 * instruction reuses its first try's ID (fragment-reuse.ts).
 *
 * A data fragment's chunk is bytes `index × chunk size` onwards of the encoded instruction; the final one has the
 * last. A parity fragment's chunk is the erasure code's chunk `index` (fec.ts) over the data chunks, so any
 * `dataFragments` distinct fragments of the instruction, data or parity, give it back.
 */
export interface Fragment {
  readonly instructionId: bigint;
  readonly index: number;
  readonly final: boolean;
  readonly chunk: Uint8Array;
  /** Present on a parity fragment only. */
  readonly parity?: ParityInfo;
}

/** What a parity fragment says of its instruction, so a receiver can decode before the final data fragment came. */
export interface ParityInfo {
  /** Data fragments the instruction was cut into (k): 2..MAX_CODE_FRAGMENTS − 1, and the index is ≥ it. */
  readonly dataFragments: number;
  /** bytes of the encoded instruction: the last data chunk's zero padding is cut off at this length. */
  readonly instructionBytes: number;
}

const FINAL_BIT = 0x8000;
const PARITY_BIT = 0x4000;
const INDEX_MASK = 0x3fff;
/** bytes: a single instruction larger than this cannot be a legal encoding (MAX_INSTRUCTION_BYTES plus its prefix). */
const MAX_ENCODED_INSTRUCTION_BYTES = MAX_INSTRUCTION_BYTES + 32;

export function encodeFragment(fragment: Fragment): Uint8Array {
  if (!Number.isInteger(fragment.index) || fragment.index < 0 || fragment.index >= MAX_FRAGMENTS_PER_INSTRUCTION) {
    throw new RangeError(`encodeFragment: index ${fragment.index} outside 0..${MAX_FRAGMENTS_PER_INSTRUCTION - 1}`);
  }
  const parity = fragment.parity;
  if (parity !== undefined) {
    const { dataFragments: k, instructionBytes } = parity;
    if (fragment.final || !Number.isInteger(k) || k < 2 || k >= MAX_CODE_FRAGMENTS || fragment.index < k || fragment.index >= MAX_CODE_FRAGMENTS) {
      throw new RangeError(`encodeFragment: parity fragment ${fragment.index} of ${k} data fragments (final ${fragment.final}) is not one a code has`);
    }
    if (!Number.isInteger(instructionBytes) || instructionBytes < 0 || instructionBytes > 0xffffffff) {
      throw new RangeError(`encodeFragment: instruction length ${instructionBytes} does not fit a u32`);
    }
  }
  const headerBytes = FRAGMENT_HEADER_BYTES + (parity === undefined ? 0 : PARITY_HEADER_BYTES);
  const out = new Uint8Array(headerBytes + fragment.chunk.length);
  writeU64(out, 0, fragment.instructionId);
  writeU16(out, 8, (fragment.final ? FINAL_BIT : 0) | (parity === undefined ? 0 : PARITY_BIT) | fragment.index);
  if (parity !== undefined) {
    writeU16(out, FRAGMENT_HEADER_BYTES, parity.dataFragments);
    new DataView(out.buffer, out.byteOffset).setUint32(FRAGMENT_HEADER_BYTES + 2, parity.instructionBytes);
  }
  out.set(fragment.chunk, headerBytes);
  return out;
}

/**
 * Throws DecodeError('truncated') when shorter than its header, and DecodeError('badFragment') for a parity
 * fragment that says it is final (no sender makes one).
 */
export function decodeFragment(bytes: Uint8Array): Fragment {
  if (bytes.length < FRAGMENT_HEADER_BYTES) {
    throw new DecodeError('truncated', `fragment: ${bytes.length} bytes is shorter than the ${FRAGMENT_HEADER_BYTES}-byte header`);
  }
  const indexField = readU16(bytes, 8);
  const instructionId = readU64(bytes, 0);
  const index = indexField & INDEX_MASK;
  const final = (indexField & FINAL_BIT) !== 0;
  if ((indexField & PARITY_BIT) === 0) return { instructionId, index, final, chunk: bytes.slice(FRAGMENT_HEADER_BYTES) };
  if (final) throw new DecodeError('badFragment', `fragment: parity fragment ${index} has the final flag`);
  const headerBytes = FRAGMENT_HEADER_BYTES + PARITY_HEADER_BYTES;
  if (bytes.length < headerBytes) {
    throw new DecodeError('truncated', `fragment: ${bytes.length} bytes is shorter than a parity fragment's ${headerBytes}-byte header`);
  }
  const parity: ParityInfo = {
    dataFragments: readU16(bytes, FRAGMENT_HEADER_BYTES),
    instructionBytes: new DataView(bytes.buffer, bytes.byteOffset).getUint32(FRAGMENT_HEADER_BYTES + 2),
  };
  return { instructionId, index, final, chunk: bytes.slice(headerBytes), parity };
}

/**
 * bytes per data chunk for an encoded instruction of `encodedBytes` when a datagram has room for `maxChunkBytes`:
 * all of it in one fragment when it fits, else chunks PARITY_HEADER_BYTES shorter, so that the instruction's parity
 * fragments (a chunk as long plus their header) fit a datagram too.
 */
export function fragmentChunkBytes(encodedBytes: number, maxChunkBytes: number): number {
  return encodedBytes <= maxChunkBytes ? maxChunkBytes : maxChunkBytes - PARITY_HEADER_BYTES;
}

/**
 * Parity fragment `index` of an instruction cut at `chunkBytes` (splitIntoFragments): `data` are its data fragments'
 * chunks. The instruction must have 2..MAX_CODE_FRAGMENTS − 1 data fragments, and `index` lie in k..255.
 */
export function parityFragment(instructionId: bigint, data: readonly Uint8Array[], chunkBytes: number, index: number): Fragment {
  let instructionBytes = 0;
  for (const chunk of data) instructionBytes += chunk.length;
  return { instructionId, index, final: false, chunk: parityChunk(data, chunkBytes, index), parity: { dataFragments: data.length, instructionBytes } };
}

/** Cuts an encoded instruction into fragments whose chunks hold at most `maxChunkBytes` each (at least one fragment). */
export function splitIntoFragments(instructionId: bigint, encoded: Uint8Array, maxChunkBytes: number): Fragment[] {
  if (!Number.isInteger(maxChunkBytes) || maxChunkBytes < 1) throw new RangeError(`splitIntoFragments: chunk size ${maxChunkBytes} must be a positive integer`);
  const count = Math.max(1, Math.ceil(encoded.length / maxChunkBytes));
  if (count > MAX_FRAGMENTS_PER_INSTRUCTION) {
    throw new RangeError(`splitIntoFragments: ${encoded.length} bytes needs ${count} fragments of ${maxChunkBytes}; at most ${MAX_FRAGMENTS_PER_INSTRUCTION} fit the index`);
  }
  const fragments: Fragment[] = [];
  for (let index = 0; index < count; index++) {
    fragments.push({
      instructionId,
      index,
      final: index === count - 1,
      chunk: encoded.subarray(index * maxChunkBytes, Math.min(encoded.length, (index + 1) * maxChunkBytes)),
    });
  }
  return fragments;
}

export type ReassemblyResult =
  | { readonly kind: 'complete'; readonly bytes: Uint8Array }
  | { readonly kind: 'pending' }
  /** A fragment already held, or one of an instruction already delivered or too old to matter. */
  | { readonly kind: 'ignored' }
  /** Inconsistent fragments (two different final indices, an index past the final one, an oversize instruction). */
  | { readonly kind: 'bad'; readonly reason: string };

const IGNORED: ReassemblyResult = { kind: 'ignored' };

interface Partial {
  readonly id: bigint;
  /** Data chunks by index. */
  readonly chunks: Map<number, Uint8Array>;
  /** Parity chunks by index (fec.ts). */
  readonly parity: Map<number, Uint8Array>;
  total: number | undefined; // data fragments: known once the final one or a parity fragment arrived
  /** What the parity fragments say: the encoded length and the chunk size (their chunks' length). */
  code: { readonly instructionBytes: number; readonly chunkBytes: number } | undefined;
  bytes: number; // chunk bytes held, parity included
  cost: number; // chunk bytes plus REASSEMBLY_FRAGMENT_COST_BYTES per fragment: what it holds of the budget
}

/**
 * Reassembles instructions from fragments that may arrive lost, reordered, duplicated and interleaved with other
 * instructions' fragments. Only authentic fragments reach it (the Connection verifies first), so the adversary is a
 * buggy or hostile-but-keyed peer; the caps still hold memory to about MAX_REASSEMBLY_BYTES.
 *
 * Eviction keeps the newest instructions. The sender diffs each new instruction against the newest state it believes
 * the receiver holds, so a newer instruction supersedes older ones, and it resends fragments only under the ID of its
 * newest multi-fragment instruction (fragment-reuse.ts; any other resend is a new instruction with a new ID). A
 * partial that newer IDs have overtaken is therefore the least likely to complete and the least useful if it does,
 * so under pressure the lowest ID goes first.
 */
export class FragmentReassembler {
  private readonly partials = new Map<bigint, Partial>();
  private heldByteCount = 0;
  // IDs delivered recently, oldest first, so late duplicates are ignored and IDs older than all of them are stale.
  private readonly completed: bigint[] = [];
  // The highest ID ever delivered: a fragment of a higher one (every new instruction of a peer, whose IDs increase)
  // is neither a duplicate nor stale, so `add` skips the scans of `completed` (BigInt compares, ~20 µs of a received
  // keystroke's cold path with the single-fragment shortcut below).
  private highestCompleted: bigint | undefined;
  private evictionCount = 0;
  private decodeCount = 0;

  /** Partial instructions dropped to make room (a sign of loss plus heavy interleaving, or a flood). */
  get evictions(): number {
    return this.evictionCount;
  }
  get partialCount(): number {
    return this.partials.size;
  }
  /** Instructions completed with parity fragments in place of data fragments. */
  get decoded(): number {
    return this.decodeCount;
  }
  /** What the partials cost against MAX_REASSEMBLY_BYTES: chunk bytes plus a fixed cost per fragment held. */
  get heldBytes(): number {
    return this.heldByteCount;
  }

  add(fragment: Fragment): ReassemblyResult {
    const { instructionId: id, index, final, chunk } = fragment;
    // A sender never makes an empty chunk (every encoded instruction has bytes to carry); a peer that does is only
    // spending our memory on bookkeeping.
    if (chunk.length === 0) return { kind: 'bad', reason: `empty fragment ${index}` };
    const newer = this.highestCompleted === undefined || id > this.highestCompleted;
    if (!newer) {
      if (this.completed.includes(id)) return IGNORED;
      if (this.completed.length === COMPLETED_INSTRUCTION_MEMORY && id < this.completed.reduce((a, b) => (a < b ? a : b))) {
        return IGNORED; // older than the last COMPLETED_INSTRUCTION_MEMORY delivered instructions: stale
      }
    }
    // An instruction in one fragment (a keystroke, an ack, an echo: nearly every datagram) completes here without a
    // partial's Map and entry, when the general path below would neither evict nor refuse anything for it: the same
    // outcome, without its allocations.
    if (
      newer &&
      index === 0 &&
      final &&
      fragment.parity === undefined &&
      this.partials.size < MAX_PARTIAL_INSTRUCTIONS &&
      (this.partials.size === 0 || !this.partials.has(id)) &&
      chunk.length <= MAX_ENCODED_INSTRUCTION_BYTES &&
      this.heldByteCount + chunk.length + REASSEMBLY_FRAGMENT_COST_BYTES <= MAX_REASSEMBLY_BYTES
    ) {
      this.remember(id);
      return { kind: 'complete', bytes: chunk };
    }

    let partial = this.partials.get(id);
    if (partial === undefined) {
      if (this.partials.size >= MAX_PARTIAL_INSTRUCTIONS) {
        const oldest = this.oldestId();
        if (id < oldest) return IGNORED; // would be the first to go
        this.drop(oldest, true);
      }
      partial = { id, chunks: new Map(), parity: new Map(), total: undefined, code: undefined, bytes: 0, cost: 0 };
      this.partials.set(id, partial);
    }

    if (fragment.parity !== undefined) {
      const { dataFragments: k, instructionBytes } = fragment.parity;
      if (partial.parity.has(index)) return IGNORED;
      if (k < 2 || k >= MAX_CODE_FRAGMENTS || index < k || index >= MAX_CODE_FRAGMENTS) return this.bad(id, `parity fragment ${index} of ${k} data fragments`);
      if (partial.total !== undefined && partial.total !== k) return this.bad(id, `parity fragment says ${k} data fragments, the instruction has ${partial.total}`);
      for (const held of partial.chunks.keys()) if (held >= k) return this.bad(id, `fragment ${held} lies past the ${k} data fragments a parity fragment names`);
      const chunkBytes = chunk.length;
      if (instructionBytes <= (k - 1) * chunkBytes || instructionBytes > k * chunkBytes) return this.bad(id, `parity fragment: ${instructionBytes} bytes do not make ${k} chunks of ${chunkBytes}`);
      const code = partial.code;
      if (code !== undefined && (code.instructionBytes !== instructionBytes || code.chunkBytes !== chunkBytes)) return this.bad(id, 'two parity fragments disagree on the instruction');
      partial.total = k;
      partial.code = { instructionBytes, chunkBytes };
    } else if (partial.chunks.has(index)) {
      return IGNORED;
    } else if (final) {
      if (partial.total !== undefined && partial.total !== index + 1) return this.bad(id, `two final fragments (${partial.total - 1} and ${index})`);
      for (const held of partial.chunks.keys()) if (held > index) return this.bad(id, `fragment ${held} lies past final fragment ${index}`);
      partial.total = index + 1;
    } else if (partial.total !== undefined && index >= partial.total) {
      return this.bad(id, `fragment ${index} lies past final fragment ${partial.total - 1}`);
    }
    if (partial.bytes + chunk.length > MAX_ENCODED_INSTRUCTION_BYTES) return this.bad(id, `instruction exceeds ${MAX_ENCODED_INSTRUCTION_BYTES} bytes`);

    // Make room under the budget, oldest first; if this instruction is itself the oldest, it gives way.
    const cost = chunk.length + REASSEMBLY_FRAGMENT_COST_BYTES;
    while (this.heldByteCount + cost > MAX_REASSEMBLY_BYTES) {
      const oldest = this.oldestId();
      this.drop(oldest, true);
      if (oldest === id) return IGNORED;
    }

    (fragment.parity === undefined ? partial.chunks : partial.parity).set(index, chunk);
    partial.bytes += chunk.length;
    partial.cost += cost;
    this.heldByteCount += cost;
    const total = partial.total;
    if (total === undefined) return { kind: 'pending' };
    if (partial.chunks.size === total) {
      const ordered: Uint8Array[] = [];
      for (let i = 0; i < total; i++) ordered.push(partial.chunks.get(i)!);
      this.drop(id, false);
      this.remember(id);
      return { kind: 'complete', bytes: ordered.length === 1 ? ordered[0]! : concatBytes(...ordered) };
    }
    if (partial.code === undefined || partial.chunks.size + partial.parity.size < total) return { kind: 'pending' };
    return this.decode(partial, total, partial.code);
  }

  /** Any `total` distinct chunks of a partial held: its data chunks from the erasure code (fec.ts). */
  private decode(partial: Partial, total: number, code: { readonly instructionBytes: number; readonly chunkBytes: number }): ReassemblyResult {
    const { id } = partial;
    const { instructionBytes, chunkBytes } = code;
    const lastBytes = instructionBytes - (total - 1) * chunkBytes;
    const held = new Map<number, Uint8Array>();
    for (const [index, chunk] of partial.chunks) {
      // A sender cuts every data chunk but the last at the chunk size, and the last at the instruction's end.
      if (chunk.length !== (index === total - 1 ? lastBytes : chunkBytes)) return this.bad(id, `data fragment ${index} has ${chunk.length} bytes; the parity fragments' code wants ${index === total - 1 ? lastBytes : chunkBytes}`);
      held.set(index, chunk);
    }
    for (const [index, chunk] of partial.parity) {
      if (held.size === total) break;
      held.set(index, chunk);
    }
    const data = decodeChunks(total, chunkBytes, held);
    const bytes = new Uint8Array(instructionBytes);
    for (let i = 0; i < total; i++) bytes.set(i === total - 1 ? data[i]!.subarray(0, lastBytes) : data[i]!, i * chunkBytes);
    this.drop(id, false);
    this.remember(id);
    this.decodeCount++;
    return { kind: 'complete', bytes };
  }

  private remember(id: bigint): void {
    this.completed.push(id);
    if (this.completed.length > COMPLETED_INSTRUCTION_MEMORY) this.completed.shift();
    if (this.highestCompleted === undefined || id > this.highestCompleted) this.highestCompleted = id;
  }

  private oldestId(): bigint {
    let oldest: bigint | undefined;
    for (const id of this.partials.keys()) if (oldest === undefined || id < oldest) oldest = id;
    return oldest!;
  }

  private drop(id: bigint, evicted: boolean): void {
    const partial = this.partials.get(id);
    if (partial === undefined) return;
    this.heldByteCount -= partial.cost;
    this.partials.delete(id);
    if (evicted) this.evictionCount++;
  }

  private bad(id: bigint, reason: string): ReassemblyResult {
    this.drop(id, false);
    return { kind: 'bad', reason };
  }
}
