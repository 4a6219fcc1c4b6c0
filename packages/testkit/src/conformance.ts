import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyncState } from '@tsmosh/protocol';

export interface SyncStateArbitraries<S> {
  /** Any state the type can hold. */
  readonly state: fc.Arbitrary<S>;
  /**
   * States that `s` may become next, i.e. what a sender may diff against `s`. For an append-only stream: `s` with
   * more appended. For an absolute state such as a screen, leave it out: any state may follow any other.
   */
  readonly next?: (s: S) => fc.Arbitrary<S>;
  /** Hostile diff bytes. Default: arbitrary byte arrays up to 512 bytes. */
  readonly garbage?: fc.Arbitrary<Uint8Array>;
  /** fast-check runs per property. Default 200. */
  readonly numRuns?: number;
}

/**
 * The properties every SyncState must have for the transport to be correct (sync-state.ts). Call it at the top
 * level of a test file: it declares a `describe` block of vitest tests. See packages/testkit/README.md.
 */
export function syncStateConformance<S extends SyncState<S>>(name: string, arbitraries: SyncStateArbitraries<S>): void {
  const { state } = arbitraries;
  const next = arbitraries.next ?? (() => state);
  const garbage = arbitraries.garbage ?? fc.uint8Array({ maxLength: 512 });
  const runs = { numRuns: arbitraries.numRuns ?? 200 };
  /** [older, newer] where newer may follow older. */
  const pair = state.chain((older) => next(older).map((newer) => [older, newer] as const));
  /** [a0, a1, a2], each may follow the one before. */
  const chain = pair.chain(([a0, a1]) => next(a1).map((a2) => [a0, a1, a2] as const));

  describe(`SyncState conformance: ${name}`, () => {
    it('round trip: older.applyDiff(newer.diffFrom(older)) equals newer', () => {
      fc.assert(
        fc.property(pair, ([older, newer]) => {
          const rebuilt = older.applyDiff(newer.diffFrom(older));
          expect(rebuilt.equals(newer)).toBe(true);
          expect(newer.equals(rebuilt)).toBe(true);
        }),
        runs,
      );
    });

    it('a diff between equal states is empty and applies as the identity', () => {
      fc.assert(
        fc.property(state, (s) => {
          const diff = s.diffFrom(s);
          // An empty diff is how the receiver tells a heartbeat from data; a non-empty one would be acked forever.
          expect(diff.length).toBe(0);
          expect(s.applyDiff(diff).equals(s)).toBe(true);
        }),
        runs,
      );
    });

    it('diffFrom is deterministic and applyDiff leaves its receiver unchanged (states are values)', () => {
      fc.assert(
        fc.property(pair, ([older, newer]) => {
          const before = newer.diffFrom(older);
          older.applyDiff(before);
          expect(newer.diffFrom(older)).toEqual(before);
        }),
        runs,
      );
    });

    it('subtract keeps the pending suffix: a diff between states reduced by an acked state applies to the full base', () => {
      fc.assert(
        fc.property(chain, ([acked, base, target]) => {
          const diff = target.subtract(acked).diffFrom(base.subtract(acked));
          expect(base.applyDiff(diff).equals(target)).toBe(true);
          // Reducing by the acked state twice changes nothing more.
          expect(target.subtract(acked).subtract(acked).equals(target.subtract(acked))).toBe(true);
        }),
        runs,
      );
    });

    it('equals is reflexive and symmetric', () => {
      fc.assert(
        fc.property(state, state, (a, b) => {
          expect(a.equals(a)).toBe(true);
          expect(a.equals(b)).toBe(b.equals(a));
        }),
        runs,
      );
    });

    it('applyDiff on garbage returns a state or throws RangeError, nothing else', () => {
      fc.assert(
        fc.property(state, garbage, (s, bytes) => {
          try {
            s.applyDiff(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
          }
        }),
        runs,
      );
    });

    it('applyDiff with a diff made for another base returns a state or throws RangeError', () => {
      fc.assert(
        fc.property(pair, state, ([older, newer], other) => {
          try {
            other.applyDiff(newer.diffFrom(older));
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
          }
        }),
        runs,
      );
    });
  });
}
