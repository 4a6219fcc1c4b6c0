/**
 * The contract every synchronized object satisfies (docs/protocol.md §8). Both directions of a tsmosh session use one
 * generic transport over a state type: the screen (server → client) and the user's input stream (client → server).
 *
 * States are immutable values. A state never changes after it is built; `applyDiff` and `subtract` return new
 * states, so the sender can keep every state it sent without copying.
 */
export interface SyncState<S> {
  /** Bytes that turn `existing` into this state. Empty when the two are equal. */
  diffFrom(existing: S): Uint8Array;
  /**
   * A new state: this state with `diff` applied. `diff` comes from an authenticated peer but may still be
   * malformed (a bug, a version skew); implementations throw a `RangeError` on bytes they cannot parse, and the
   * transport counts and drops it. Property: `b.applyDiff(a.diffFrom(b)).equals(a)`.
   */
  applyDiff(diff: Uint8Array): S;
  /**
   * Drop what the peer has acknowledged. For an append-only stream this removes the acknowledged prefix (so
   * diffs stay small); for absolute states such as a screen it returns `this`.
   */
  subtract(acked: S): S;
  equals(other: S): boolean;
}
