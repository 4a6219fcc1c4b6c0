import { chunksForDelivery, MAX_CODE_FRAGMENTS } from './fec.js';

/**
 * How many fragments a try of a multi-fragment instruction sends (docs/protocol.md §5, "Parity fragments"): its k
 * data fragments and enough parity fragments (fec.ts) that, at the loss the link shows, at least k of them arrive
 * with probability PARITY_DELIVERY_TARGET, so the try completes by itself. A 57-fragment screen over 20 % loss
 * needs 79 (at least 57 of them arrive 97 % of the time) where its 57 alone arrive whole 3 × 10⁻⁶ of the time; a
 * screen redrawn twice a second then arrives frame by frame instead of each new frame starting from nothing.
 *
 * The loss is the share of the peer's datagrams found missing (DatagramLossWatch): loss on the way to us, taken for
 * the loss on the way from us. Nothing on the wire says how many of our datagrams arrived, and the transport's
 * own estimate counts frames, not datagrams (a large frame fails whenever one of its fragments is lost, so it reads
 * near 1 for any loss). A link lossy one way only gets too few parity fragments on the first try; its resends
 * still help, each sending fresh parity rather than the same fragments again (fragment-reuse.ts).
 */

/**
 * Estimated loss under which a try goes without parity on top of its data fragments (its resends still carry fresh
 * parity fragments rather than the same data again): a 40-fragment screen over 1 % loss arrives whole on its first
 * try 67 % of the time and after a resend nearly always, and a thin link (1 Mbit/s, 1 % loss) would queue its flood
 * behind the extra datagrams. 5 %: at 1 % loss the estimate (about the last 64 datagrams, one loss moving it 1.6
 * points) passes it only when three losses come close together. With 3 % the simulated 40-fragment screen over 5 %
 * loss sent 1477 datagrams in 20 s for the same delays as 1436 with 5 % (bench/src/large-state.ts).
 */
export const PARITY_MIN_LOSS = 0.05;
/**
 * Added to the estimated loss before sizing (probability, one-way): the estimate follows ~64 datagrams, so at 20 %
 * it strays by ±5 points, and too few parity fragments cost a resend (several hundred ms) while one too many costs a
 * datagram. At 20 % loss and 57 data fragments: 79 → 81 fragments, a try whole 97 → 99 % of the time (96 % if the
 * loss is really 22 %).
 */
const PARITY_LOSS_MARGIN = 0.02;
/** The chance a try completes by itself that the parity is sized for. */
const PARITY_DELIVERY_TARGET = 0.95;
/**
 * A try sends at most this many times its data fragments: a bound on what an estimate that reads too high costs (the
 * sizing's loss is at most 50 %, where a 57-fragment try would take 2.3 times its data fragments for the target).
 */
export const PARITY_MAX_FACTOR = 2;

/** Fragments one try of an instruction of `dataFragments` sends at an estimated one-way `loss` (≥ dataFragments). */
export function fragmentsPerTry(dataFragments: number, loss: number): number {
  if (dataFragments < 2 || dataFragments >= MAX_CODE_FRAGMENTS || !(loss >= PARITY_MIN_LOSS)) return dataFragments;
  const most = Math.min(MAX_CODE_FRAGMENTS, PARITY_MAX_FACTOR * dataFragments);
  return chunksForDelivery(dataFragments, Math.min(0.5, loss + PARITY_LOSS_MARGIN), PARITY_DELIVERY_TARGET, most);
}

/**
 * Datagrams of the peer's that the connection found missing, as a share: the mean over the first WINDOW datagrams,
 * then an exponentially weighted one over about the last WINDOW (at 20 % loss, ±5 points).
 */
const WINDOW = 64;

/** The share of the peer's datagrams that never came, lately. */
export class DatagramLossWatch {
  private share = 0;
  private seen = 0;

  /** `arrived` datagrams arrived and `missing` were found missing (Connection's datagramsMissed). */
  note(arrived: number, missing: number): void {
    for (let i = 0; i < arrived + missing; i++) {
      const sample = i < missing ? 1 : 0;
      this.seen = Math.min(WINDOW, this.seen + 1);
      this.share += (sample - this.share) / this.seen;
    }
  }

  get loss(): number {
    return this.share;
  }
}
