import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from './bytes.js';
import {
  COMPLETED_INSTRUCTION_MEMORY,
  FRAGMENT_HEADER_BYTES,
  MAX_PARTIAL_INSTRUCTIONS,
  MAX_REASSEMBLY_BYTES,
  PARITY_HEADER_BYTES,
  REASSEMBLY_FRAGMENT_COST_BYTES,
} from './constants.js';
import { DecodeError } from './errors.js';
import { MAX_CODE_FRAGMENTS } from './fec.js';
import { decodeFragment, encodeFragment, FragmentReassembler, fragmentChunkBytes, parityFragment, splitIntoFragments, type Fragment } from './fragment.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('fragment codec', () => {
  it('round-trips ID, index, final flag and chunk', () => {
    fc.assert(
      fc.property(u64, fc.integer({ min: 0, max: 0x3fff }), fc.boolean(), fc.uint8Array({ maxLength: 1300 }), (instructionId, index, final, chunk) => {
        const bytes = encodeFragment({ instructionId, index, final, chunk });
        expect(bytes).toHaveLength(FRAGMENT_HEADER_BYTES + chunk.length);
        expect(decodeFragment(bytes)).toEqual({ instructionId, index, final, chunk });
      }),
    );
  });

  it('round-trips a parity fragment: its index, data fragment count and instruction length (property)', () => {
    fc.assert(
      fc.property(
        u64,
        fc.integer({ min: 2, max: MAX_CODE_FRAGMENTS - 1 }).chain((k) => fc.tuple(fc.constant(k), fc.integer({ min: k, max: MAX_CODE_FRAGMENTS - 1 }))),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 1300 }),
        (instructionId, [dataFragments, index], instructionBytes, chunk) => {
          const fragment: Fragment = { instructionId, index, final: false, chunk, parity: { dataFragments, instructionBytes } };
          const bytes = encodeFragment(fragment);
          expect(bytes).toHaveLength(FRAGMENT_HEADER_BYTES + PARITY_HEADER_BYTES + chunk.length);
          expect(decodeFragment(bytes)).toEqual(fragment);
        },
      ),
    );
  });

  it('refuses a short header, an index that does not fit 14 bits, a short or final parity fragment, and a parity index outside the code', () => {
    expect(() => decodeFragment(new Uint8Array(9))).toThrow(DecodeError);
    expect(() => encodeFragment({ instructionId: 0n, index: 0x4000, final: false, chunk: new Uint8Array() })).toThrow(/outside/);
    const parity = encodeFragment({ instructionId: 1n, index: 3, final: false, chunk: Uint8Array.of(1), parity: { dataFragments: 2, instructionBytes: 2 } });
    expect(() => decodeFragment(parity.subarray(0, FRAGMENT_HEADER_BYTES + 5))).toThrow(/shorter than a parity fragment/);
    const finalParity = parity.slice();
    finalParity[8]! |= 0x80;
    expect(() => decodeFragment(finalParity)).toThrow(/final flag/);
    expect(() => encodeFragment({ instructionId: 1n, index: 1, final: false, chunk: Uint8Array.of(1), parity: { dataFragments: 2, instructionBytes: 2 } })).toThrow(/not one a code has/);
    expect(() => encodeFragment({ instructionId: 1n, index: 256, final: false, chunk: Uint8Array.of(1), parity: { dataFragments: 2, instructionBytes: 2 } })).toThrow(/not one a code has/);
  });

  it('cuts an instruction of several fragments PARITY_HEADER_BYTES short of the room, so its parity fragments fit too', () => {
    expect(fragmentChunkBytes(100, 100)).toBe(100);
    expect(fragmentChunkBytes(101, 100)).toBe(100 - PARITY_HEADER_BYTES);
  });

  it('splits into chunks no larger than asked, the last one final, and an empty instruction into one fragment', () => {
    const fragments = splitIntoFragments(7n, new Uint8Array(25), 10);
    expect(fragments.map((f) => [f.index, f.final, f.chunk.length])).toEqual([
      [0, false, 10],
      [1, false, 10],
      [2, true, 5],
    ]);
    expect(splitIntoFragments(7n, new Uint8Array(0), 10)).toHaveLength(1);
  });
});

/** Instructions of random sizes, fragmented, then shuffled, thinned and duplicated. */
const deliveryScenario = fc
  .record({
    instructions: fc.array(fc.uint8Array({ minLength: 1, maxLength: 400 }), { minLength: 1, maxLength: 12 }),
    chunkSize: fc.integer({ min: 1, max: 64 }),
    seed: fc.integer(),
    dropRate: fc.constantFrom(0, 0.1, 0.4),
    duplicateRate: fc.constantFrom(0, 0.2),
  })
  .chain((scenario) => {
    const fragments = scenario.instructions.flatMap((bytes, i) => splitIntoFragments(1000n + BigInt(i) * 10n, bytes, scenario.chunkSize));
    return fc.record({
      scenario: fc.constant(scenario),
      order: fc.shuffledSubarray(fragments, { minLength: fragments.length, maxLength: fragments.length }),
      dropMask: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: fragments.length, maxLength: fragments.length }),
    });
  });

describe('FragmentReassembler', () => {
  it('returns each instruction exactly once, byte-exact, under shuffles, drops and duplicates', () => {
    fc.assert(
      fc.property(deliveryScenario, ({ scenario, order, dropMask }) => {
        const reassembler = new FragmentReassembler();
        const deliveries = new Map<bigint, Uint8Array[]>();
        const arrived: Fragment[] = [];
        order.forEach((fragment, i) => {
          if (dropMask[i]! < scenario.dropRate) return;
          arrived.push(fragment);
          if (dropMask[i]! > 1 - scenario.duplicateRate) arrived.push(fragment);
        });
        for (const fragment of arrived) {
          const result = reassembler.add(fragment);
          expect(result.kind).not.toBe('bad');
          if (result.kind === 'complete') {
            const list = deliveries.get(fragment.instructionId) ?? [];
            list.push(result.bytes);
            deliveries.set(fragment.instructionId, list);
          }
        }
        scenario.instructions.forEach((bytes, i) => {
          const id = 1000n + BigInt(i) * 10n;
          const fragmentsOfIt = order.filter((f) => f.instructionId === id);
          const allArrived = fragmentsOfIt.every((f) => arrived.includes(f));
          const got = deliveries.get(id) ?? [];
          expect(got.length).toBeLessThanOrEqual(1);
          if (got.length === 1) expect(got[0]).toEqual(bytes);
          // At most MAX_PARTIAL_INSTRUCTIONS are interleaved here, so nothing complete is ever evicted.
          if (allArrived && scenario.instructions.length <= MAX_PARTIAL_INSTRUCTIONS) expect(got).toHaveLength(1);
        });
        expect(reassembler.heldBytes).toBeLessThanOrEqual(MAX_REASSEMBLY_BYTES);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps several partial instructions at once (mosh keeps one)', () => {
    const reassembler = new FragmentReassembler();
    const a = splitIntoFragments(10n, Uint8Array.of(1, 2, 3, 4), 2);
    const b = splitIntoFragments(11n, Uint8Array.of(5, 6, 7, 8), 2);
    expect(reassembler.add(a[0]!).kind).toBe('pending');
    expect(reassembler.add(b[0]!).kind).toBe('pending');
    expect(reassembler.add(a[1]!)).toEqual({ kind: 'complete', bytes: Uint8Array.of(1, 2, 3, 4) });
    expect(reassembler.add(b[1]!)).toEqual({ kind: 'complete', bytes: Uint8Array.of(5, 6, 7, 8) });
    expect(reassembler.add(b[1]!).kind).toBe('ignored'); // delivered already
    expect(reassembler.partialCount).toBe(0);
  });

  it('evicts the oldest partial when too many are in progress, and ignores a fragment older than all of them', () => {
    const reassembler = new FragmentReassembler();
    for (let id = 100n; id < 100n + BigInt(MAX_PARTIAL_INSTRUCTIONS); id++) {
      expect(reassembler.add({ instructionId: id, index: 0, final: false, chunk: Uint8Array.of(1) }).kind).toBe('pending');
    }
    expect(reassembler.add({ instructionId: 50n, index: 0, final: false, chunk: Uint8Array.of(1) }).kind).toBe('ignored');
    expect(reassembler.add({ instructionId: 500n, index: 0, final: false, chunk: Uint8Array.of(1) }).kind).toBe('pending');
    expect(reassembler.evictions).toBe(1);
    // 100 was evicted; 101 survives and completes.
    expect(reassembler.add({ instructionId: 101n, index: 1, final: true, chunk: Uint8Array.of(2) })).toEqual({ kind: 'complete', bytes: Uint8Array.of(1, 2) });
    expect(reassembler.add({ instructionId: 100n, index: 1, final: true, chunk: Uint8Array.of(2) }).kind).toBe('pending');
    expect(reassembler.partialCount).toBe(MAX_PARTIAL_INSTRUCTIONS);
  });

  it('flags inconsistent fragments as bad and forgets that instruction', () => {
    const reassembler = new FragmentReassembler();
    reassembler.add({ instructionId: 1n, index: 3, final: false, chunk: Uint8Array.of(1) });
    expect(reassembler.add({ instructionId: 1n, index: 2, final: true, chunk: Uint8Array.of(1) }).kind).toBe('bad');
    reassembler.add({ instructionId: 2n, index: 1, final: true, chunk: Uint8Array.of(1) });
    expect(reassembler.add({ instructionId: 2n, index: 4, final: false, chunk: Uint8Array.of(1) }).kind).toBe('bad');
    reassembler.add({ instructionId: 3n, index: 1, final: true, chunk: Uint8Array.of(1) });
    expect(reassembler.add({ instructionId: 3n, index: 2, final: true, chunk: Uint8Array.of(1) }).kind).toBe('bad');
    expect(reassembler.partialCount).toBe(0);
    expect(reassembler.heldBytes).toBe(0);
  });

  it('holds bounded memory under a flood of never-finished fragments', () => {
    const reassembler = new FragmentReassembler();
    const chunk = new Uint8Array(1200);
    let maxHeld = 0;
    // 40,000 fragments (48 MB offered): many IDs, many indices each, never a final one.
    for (let i = 0; i < 40_000; i++) {
      const result = reassembler.add({ instructionId: BigInt(i % 37) * 1000n + BigInt(Math.floor(i / 5000)), index: i % 30_000, final: false, chunk });
      expect(result.kind).not.toBe('complete');
      maxHeld = Math.max(maxHeld, reassembler.heldBytes);
      expect(reassembler.partialCount).toBeLessThanOrEqual(MAX_PARTIAL_INSTRUCTIONS);
    }
    expect(maxHeld).toBeLessThanOrEqual(MAX_REASSEMBLY_BYTES);
    expect(reassembler.evictions).toBeGreaterThan(0);
  });

  it('charges every held fragment its bookkeeping, so empty and one-byte fragments cannot swell memory', () => {
    const reassembler = new FragmentReassembler();
    // Empty chunks: no sender makes one; each is refused and nothing is held (8 × 32,768 of them once held 53 MB).
    for (let i = 0; i < 10_000; i++) {
      expect(reassembler.add({ instructionId: BigInt(i % 8), index: i, final: false, chunk: new Uint8Array(0) }).kind).toBe('bad');
    }
    expect(reassembler.heldBytes).toBe(0);
    // One-byte chunks across eight never-finished instructions: held fragments stop at the budget's share.
    let maxHeld = 0;
    for (let i = 0; i < 8 * 32_768; i++) {
      reassembler.add({ instructionId: BigInt(i % 8), index: Math.floor(i / 8), final: false, chunk: Uint8Array.of(1) });
      maxHeld = Math.max(maxHeld, reassembler.heldBytes);
    }
    expect(maxHeld).toBeLessThanOrEqual(MAX_REASSEMBLY_BYTES);
    // Fragments still held: about 20,400 (≈ 4.4 MB of real heap at 213 B each), where all 262,144 were held before.
    const heldFragments = reassembler.heldBytes / (1 + REASSEMBLY_FRAGMENT_COST_BYTES);
    expect(Number.isInteger(heldFragments)).toBe(true);
    expect(heldFragments).toBeLessThan(21_000);
    expect(reassembler.evictions).toBeGreaterThan(0);
  });

  it('refuses a single instruction larger than any legal encoding', () => {
    const reassembler = new FragmentReassembler();
    const chunk = new Uint8Array(2000);
    let bad = 0;
    for (let index = 0; index < 3000 && bad === 0; index++) {
      if (reassembler.add({ instructionId: 9n, index, final: false, chunk }).kind === 'bad') bad++;
    }
    expect(bad).toBe(1);
    expect(reassembler.heldBytes).toBe(0);
  });

  it('ignores fragments older than the last 64 delivered instructions', () => {
    const reassembler = new FragmentReassembler();
    for (let id = 1000n; id < 1064n; id++) expect(reassembler.add({ instructionId: id, index: 0, final: true, chunk: Uint8Array.of(0) }).kind).toBe('complete');
    expect(reassembler.add({ instructionId: 999n, index: 0, final: true, chunk: Uint8Array.of(0) }).kind).toBe('ignored');
    expect(reassembler.add({ instructionId: 1064n, index: 0, final: true, chunk: Uint8Array.of(0) }).kind).toBe('complete');
  });

  it('gives a one-fragment instruction the outcome the rules give any fragment, among partials, duplicates and stale IDs', () => {
    // The rules, written out plainly (no shortcut for one-fragment instructions): what each fragment must give, and
    // how many partials are held after it. IDs that rise along the stream, most lagging a little behind and some far
    // behind, make duplicates, reordering, full partial slots and stale IDs (older than the last
    // COMPLETED_INSTRUCTION_MEMORY delivered) common.
    const piece = fc.record({
      lag: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 400 })),
      // Mostly one-fragment instructions, as on the wire.
      index: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 1 }),
      final: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      chunk: fc.uint8Array({ minLength: 0, maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(piece, { minLength: 400, maxLength: 1000 }), (pieces) => {
        const reassembler = new FragmentReassembler();
        const delivered: bigint[] = [];
        const partials = new Map<bigint, { chunks: Map<number, Uint8Array>; total?: number }>();
        for (const [position, { lag, index, final, chunk }] of pieces.entries()) {
          const id = BigInt(Math.max(0, position - lag));
          const f: Fragment = { instructionId: id, index, final, chunk };
          const stale = delivered.length === COMPLETED_INSTRUCTION_MEMORY && delivered.every((d) => id < d);
          let want: string;
          if (f.chunk.length === 0) want = 'bad';
          else if (delivered.includes(id) || stale) want = 'ignored';
          else {
            let partial = partials.get(id);
            if (partial === undefined && partials.size >= MAX_PARTIAL_INSTRUCTIONS) {
              const oldest = [...partials.keys()].reduce((a, b) => (a < b ? a : b));
              if (id < oldest) want = 'ignored';
              else partials.delete(oldest);
            }
            if (partial === undefined && partials.size < MAX_PARTIAL_INSTRUCTIONS) partials.set(id, (partial = { chunks: new Map() }));
            if (partial === undefined) want = 'ignored';
            else if (partial.chunks.has(f.index)) want = 'ignored';
            else if (f.final ? (partial.total !== undefined && partial.total !== f.index + 1) || [...partial.chunks.keys()].some((held) => held > f.index) : partial.total !== undefined && f.index >= partial.total) {
              partials.delete(id);
              want = 'bad';
            } else {
              if (f.final) partial.total = f.index + 1;
              partial.chunks.set(f.index, f.chunk);
              want = 'pending';
              if (partial.total !== undefined && partial.chunks.size === partial.total) {
                partials.delete(id);
                delivered.push(id);
                if (delivered.length > COMPLETED_INSTRUCTION_MEMORY) delivered.shift();
                want = 'complete';
              }
            }
          }
          expect(reassembler.add(f).kind).toBe(want!);
          expect(reassembler.partialCount).toBe(partials.size);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('concatenates chunks in index order', () => {
    const reassembler = new FragmentReassembler();
    const parts = [Uint8Array.of(1), Uint8Array.of(2, 3), Uint8Array.of(4)];
    expect(reassembler.add({ instructionId: 5n, index: 2, final: true, chunk: parts[2]! }).kind).toBe('pending');
    expect(reassembler.add({ instructionId: 5n, index: 0, final: false, chunk: parts[0]! }).kind).toBe('pending');
    expect(reassembler.add({ instructionId: 5n, index: 1, final: false, chunk: parts[1]! })).toEqual({ kind: 'complete', bytes: concatBytes(...parts) });
  });
});

/** An instruction's data fragments and its parity fragments up to index `codeLength` − 1, shuffled, thinned, duplicated. */
const codedScenario = fc
  .record({
    bytes: fc.uint8Array({ minLength: 2, maxLength: 600 }),
    chunkSize: fc.integer({ min: 1, max: 64 }),
    extra: fc.integer({ min: 0, max: 40 }),
  })
  .filter(({ bytes, chunkSize }) => Math.ceil(bytes.length / chunkSize) >= 2 && Math.ceil(bytes.length / chunkSize) < MAX_CODE_FRAGMENTS)
  .chain(({ bytes, chunkSize, extra }) => {
    const data = splitIntoFragments(77n, bytes, chunkSize);
    const k = data.length;
    const chunks = data.map((fragment) => fragment.chunk);
    const parity: Fragment[] = [];
    for (let index = k; index < Math.min(MAX_CODE_FRAGMENTS, k + extra); index++) parity.push(parityFragment(77n, chunks, chunkSize, index));
    const all = [...data, ...parity];
    return fc.record({
      bytes: fc.constant(bytes),
      k: fc.constant(k),
      arrivals: fc.array(fc.constantFrom(...all), { maxLength: 2 * all.length }),
    });
  });

describe('FragmentReassembler with parity fragments', () => {
  it('completes an instruction, byte-exact and once, as soon as any k distinct fragments of its code arrived (property)', () => {
    fc.assert(
      fc.property(codedScenario, ({ bytes, k, arrivals }) => {
        const reassembler = new FragmentReassembler();
        const distinct = new Set<string>();
        let completedAt: number | undefined;
        arrivals.forEach((fragment, i) => {
          const result = reassembler.add(fragment);
          const key = `${fragment.parity === undefined ? 'd' : 'p'}${fragment.index}`;
          const before = distinct.size;
          distinct.add(key);
          const dataHeld = [...distinct].filter((d) => d.startsWith('d')).length;
          // Complete exactly when the k-th distinct fragment comes, or all data, and never again after.
          const due = completedAt === undefined && distinct.size > before && (distinct.size >= k && [...distinct].some((d) => d.startsWith('p')) ? true : dataHeld === k);
          if (result.kind === 'complete') {
            expect(completedAt).toBeUndefined();
            expect(result.bytes).toEqual(bytes);
            completedAt = i;
          } else {
            expect(result.kind).not.toBe('bad');
          }
          expect(result.kind === 'complete').toBe(due);
        });
        expect(completedAt !== undefined).toBe(distinct.size >= k && ([...distinct].some((d) => d.startsWith('p')) || [...distinct].filter((d) => d.startsWith('d')).length === k));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses parity fragments that contradict the instruction: another count, another length, a data fragment past the count', () => {
    const bytes = Uint8Array.from({ length: 25 }, (_, i) => i);
    const data = splitIntoFragments(5n, bytes, 10);
    const chunks = data.map((fragment) => fragment.chunk);
    const parity = parityFragment(5n, chunks, 10, 3);
    const r1 = new FragmentReassembler();
    expect(r1.add(data[2]!).kind).toBe('pending');
    expect(r1.add({ ...parity, index: 4, parity: { dataFragments: 4, instructionBytes: 35 } })).toEqual({ kind: 'bad', reason: 'parity fragment says 4 data fragments, the instruction has 3' });
    const r2 = new FragmentReassembler();
    expect(r2.add(parity).kind).toBe('pending');
    expect(r2.add({ ...parityFragment(5n, chunks, 10, 4), parity: { dataFragments: 3, instructionBytes: 24 } })).toEqual({ kind: 'bad', reason: 'two parity fragments disagree on the instruction' });
    const r3 = new FragmentReassembler();
    expect(r3.add(parity).kind).toBe('pending');
    expect(r3.add({ instructionId: 5n, index: 3, final: false, chunk: Uint8Array.of(1) }).kind).toBe('bad');
    const r4 = new FragmentReassembler();
    expect(r4.add({ ...parity, parity: { dataFragments: 3, instructionBytes: 31 } }).kind).toBe('bad'); // 31 bytes need 4 chunks of 10
    // A data chunk of another length than the parity's code wants: refused when the code is used.
    const r5 = new FragmentReassembler();
    expect(r5.add(parity).kind).toBe('pending');
    expect(r5.add({ ...data[0]!, chunk: data[0]!.chunk.subarray(0, 9) }).kind).toBe('pending');
    expect(r5.add(parityFragment(5n, chunks, 10, 4)).kind).toBe('bad');
  });
});
