import { bytesEqual } from './bytes.js';
import { COMPLETED_INSTRUCTION_MEMORY } from './constants.js';
import type { Instruction } from './types.js';

/**
 * Resending a large instruction with the fragments of its first try (docs/protocol.md §5, "Resends share fragments").
 *
 * A state diff larger than one datagram is one instruction cut into fragments, and the receiver can only use it
 * whole. Sent afresh on every try (a new instruction ID, a new encoding), a 40-fragment diff over 10 % loss arrives
 * whole in 0.9^40 ≈ 1.5 % of tries, however many are made. Sent again under the same ID with the same bytes, every
 * try fills the holes the earlier ones left: the receiver's reassembler already joins fragments of one ID from any
 * datagrams, so after k tries a fragment is missing with probability p^k and the diff arrives in 3 tries out of 4
 * (p = 10 %, 40 fragments: 0.999^40 = 96 % by the third).
 *
 * The sender keeps its newest instruction of more than one fragment, encoded, and sends that encoding again under
 * that ID when the transport hands it the same diff again: the same base and target state numbers and the same diff
 * bytes. Every byte must be the first try's for the fragments to fit together, so the first try's acknowledgement,
 * throwaway number and chaff go with it. An older throwaway number only makes the receiver forget a state a little
 * later. An older acknowledgement says less than the sender knows: the Connection tells the transport which
 * acknowledgement went (`lastSentAckNum`), and the transport then keeps its acknowledgement due, to go in a frame
 * of its own (a heartbeat's single datagram), rather than hold back a resend the receiver can join.
 */

/**
 * Instructions the sender may send after a kept one before it stops reusing its ID: half the receiver's memory of
 * delivered IDs (COMPLETED_INSTRUCTION_MEMORY = 64), so an ID reused is never older than everything the receiver
 * remembers delivering, which it would ignore as stale. A resend goes a resend delay (hundreds of ms) after its
 * first try and a screen's acks and heartbeats are a few a second, so this allows several seconds of tries.
 */
export const FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN = COMPLETED_INSTRUCTION_MEMORY / 2;

interface KeptInstruction {
  readonly oldNum: number;
  readonly newNum: number;
  /** The acknowledgement the encoding carries. */
  readonly ackNum: number;
  readonly diff: Uint8Array;
  readonly id: bigint;
  readonly encoded: Uint8Array;
  /** bytes per fragment chunk: a try cut at another size would not fit the first try's fragments. */
  readonly chunkBytes: number;
  /** The sender's instruction count when it was first sent. */
  readonly sentAtCount: number;
}

/** The sender's side: its newest multi-fragment instruction, to send again under the same ID. */
export class FragmentReuse {
  private kept: KeptInstruction | undefined;

  /**
   * The ID and encoding `instruction` went with before (and the acknowledgement that encoding carries), if it is the
   * kept one sent again: the same state numbers and diff, cut at the same chunk size, and fewer than
   * FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN instructions since. `instructionsSent` counts every instruction this
   * sender has sent.
   */
  find(
    instruction: Instruction,
    chunkBytes: number,
    instructionsSent: number,
  ): { readonly id: bigint; readonly encoded: Uint8Array; readonly ackNum: number } | undefined {
    const kept = this.kept;
    if (kept === undefined) return undefined;
    if (instruction.newNum !== kept.newNum || instruction.oldNum !== kept.oldNum) return undefined;
    if (chunkBytes !== kept.chunkBytes || instructionsSent - kept.sentAtCount >= FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN) return undefined;
    if (!bytesEqual(instruction.diff, kept.diff)) return undefined;
    return kept;
  }

  /**
   * Notes an instruction just sent for the first time under `id`. One that fits a single fragment changes nothing
   * (resent whole it arrives whole, and the kept one stays reusable); a larger one replaces the kept one.
   */
  sent(instruction: Instruction, id: bigint, encoded: Uint8Array, chunkBytes: number, instructionsSent: number): void {
    if (encoded.length <= chunkBytes) return;
    const { oldNum, newNum, ackNum, diff } = instruction;
    this.kept = { oldNum, newNum, ackNum, diff, id, encoded, chunkBytes, sentAtCount: instructionsSent };
  }
}

/**
 * The receiver's side: the newest instruction that came in more than one fragment, handed over again once for each
 * later try of it. The reassembler ignores the fragments of an ID it delivered, so without this a resend whose
 * first try was complete would go unanswered, and a lost acknowledgement would leave the sender resending until the
 * receiver's next heartbeat; handed over again, the transport counts a duplicate state and acknowledges it, as it
 * does every resend that is a new instruction.
 *
 * A try is told by the sequence number of its first datagram: a try's fragments go in consecutive datagrams, so
 * sequence number minus fragment index is the same for all of them and differs between tries.
 */
export class RepeatedInstructionWatch {
  private last: { readonly id: bigint; readonly instruction: Instruction; tryStart: bigint } | undefined;

  /** An instruction of `id` was completed by the fragment with `index` that came in datagram `seq`. */
  delivered(id: bigint, index: number, final: boolean, seq: bigint, instruction: Instruction): void {
    if (index === 0 && final) return; // one fragment: a resend is a new instruction and arrives as one
    this.last = { id, instruction, tryStart: seq - BigInt(index) };
  }

  /**
   * The instruction to hand over again for an ignored fragment of `id` with `index` from datagram `seq`: the last
   * multi-fragment instruction, on the first fragment of each try after the one that completed it. Otherwise
   * undefined.
   */
  repeated(id: bigint, index: number, seq: bigint): Instruction | undefined {
    const last = this.last;
    if (last === undefined || last.id !== id) return undefined;
    const tryStart = seq - BigInt(index);
    if (tryStart <= last.tryStart) return undefined; // the completing try's own late fragments, or an older try's
    last.tryStart = tryStart;
    return last.instruction;
  }
}
