import { concatBytes, readU16, readU64, writeU16, writeU64 } from './bytes.js';
import {
  COMPLETED_INSTRUCTION_MEMORY,
  FRAGMENT_HEADER_BYTES,
  MAX_FRAGMENTS_PER_INSTRUCTION,
  MAX_INSTRUCTION_BYTES,
  MAX_PARTIAL_INSTRUCTIONS,
  MAX_REASSEMBLY_BYTES,
  REASSEMBLY_FRAGMENT_COST_BYTES,
} from './constants.js';
import { DecodeError } from './errors.js';

/**
 * One piece of an encoded instruction. Layout: instruction ID (u64 BE) ‖ final flag (top bit) and index (15 bits,
 * u16 BE) ‖ chunk. The sending Connection uses the sequence number of the instruction's first datagram as its ID,
 * so IDs are unique, increase, and keep increasing across a client restart (sequence numbers are clock-derived);
 * a resend of a multi-fragment instruction reuses its first try's ID and bytes (fragment-reuse.ts).
 */
export interface Fragment {
  readonly instructionId: bigint;
  readonly index: number;
  readonly final: boolean;
  readonly chunk: Uint8Array;
}

const FINAL_BIT = 0x8000;
/** bytes: a single instruction larger than this cannot be a legal encoding (MAX_INSTRUCTION_BYTES plus its prefix). */
const MAX_ENCODED_INSTRUCTION_BYTES = MAX_INSTRUCTION_BYTES + 32;

export function encodeFragment(fragment: Fragment): Uint8Array {
  if (!Number.isInteger(fragment.index) || fragment.index < 0 || fragment.index >= MAX_FRAGMENTS_PER_INSTRUCTION) {
    throw new RangeError(`encodeFragment: index ${fragment.index} outside 0..${MAX_FRAGMENTS_PER_INSTRUCTION - 1}`);
  }
  const out = new Uint8Array(FRAGMENT_HEADER_BYTES + fragment.chunk.length);
  writeU64(out, 0, fragment.instructionId);
  writeU16(out, 8, (fragment.final ? FINAL_BIT : 0) | fragment.index);
  out.set(fragment.chunk, FRAGMENT_HEADER_BYTES);
  return out;
}

/** Throws DecodeError('truncated') when shorter than a fragment header. */
export function decodeFragment(bytes: Uint8Array): Fragment {
  if (bytes.length < FRAGMENT_HEADER_BYTES) {
    throw new DecodeError('truncated', `fragment: ${bytes.length} bytes is shorter than the ${FRAGMENT_HEADER_BYTES}-byte header`);
  }
  const indexField = readU16(bytes, 8);
  return {
    instructionId: readU64(bytes, 0),
    index: indexField & ~FINAL_BIT,
    final: (indexField & FINAL_BIT) !== 0,
    chunk: bytes.slice(FRAGMENT_HEADER_BYTES),
  };
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
  readonly chunks: Map<number, Uint8Array>;
  total: number | undefined; // known once the final fragment arrived
  bytes: number; // chunk bytes: the instruction's size so far
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

  /** Partial instructions dropped to make room (a sign of loss plus heavy interleaving, or a flood). */
  get evictions(): number {
    return this.evictionCount;
  }
  get partialCount(): number {
    return this.partials.size;
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
      partial = { id, chunks: new Map(), total: undefined, bytes: 0, cost: 0 };
      this.partials.set(id, partial);
    }

    if (partial.chunks.has(index)) return IGNORED;
    if (final) {
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

    partial.chunks.set(index, chunk);
    partial.bytes += chunk.length;
    partial.cost += cost;
    this.heldByteCount += cost;
    if (partial.total === undefined || partial.chunks.size < partial.total) return { kind: 'pending' };

    const ordered: Uint8Array[] = [];
    for (let i = 0; i < partial.total; i++) ordered.push(partial.chunks.get(i)!);
    this.drop(id, false);
    this.remember(id);
    return { kind: 'complete', bytes: ordered.length === 1 ? ordered[0]! : concatBytes(...ordered) };
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
