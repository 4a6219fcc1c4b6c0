import { bytesEqual } from './bytes.js';
import { COMPLETED_INSTRUCTION_MEMORY } from './constants.js';
import { MAX_CODE_FRAGMENTS } from './fec.js';
import { parityFragment, type Fragment } from './fragment.js';
import type { Instruction } from './types.js';

/**
 * Resending a large instruction under its first try's ID (docs/protocol.md §5, "Resends share fragments" and "Parity
 * fragments").
 *
 * A state diff larger than one datagram is one instruction cut into fragments, and the receiver can only use it
 * whole. Sent afresh on every try (a new instruction ID, a new encoding), a 40-fragment diff over 10 % loss arrives
 * whole in 0.9^40 ≈ 1.5 % of tries, however many are made. Sent again under the same ID, every try adds to what the
 * earlier ones brought: the receiver's reassembler joins fragments of one ID from any datagrams.
 *
 * The sender keeps its newest instruction of more than one fragment, cut into its data fragments, and sends more of
 * it under that ID when the transport hands it the same diff again: the same base and target state numbers and the
 * same diff bytes. A try sends fragments of the instruction's erasure code (fec.ts) from where the last try stopped:
 * the data fragments first, then parity fragments never sent before, and any k distinct fragments (k data fragments
 * in the instruction) complete it wherever they came from, so no datagram of a resend repeats one the receiver holds.
 * How many a try sends is parity.ts's business. The data fragments must be the first try's for the pieces to fit
 * together, so the first try's acknowledgement, throwaway number and chaff go with them. An older throwaway number
 * only makes the receiver forget a state a little later. An older acknowledgement says less than the sender knows:
 * the Connection tells the transport which acknowledgement went (`lastSentAckNum`), and the transport then keeps its
 * acknowledgement due, to go in a frame of its own (a heartbeat's single datagram), rather than hold back a resend
 * the receiver can join.
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
  /** Its data fragments, cut at `chunkBytes`. */
  readonly data: readonly Fragment[];
  /** bytes a datagram had room for when it was first sent: a try to another MTU would not fit its fragments. */
  readonly maxChunkBytes: number;
  /** bytes per data chunk (fragmentChunkBytes). */
  readonly chunkBytes: number;
  /** The sender's instruction count when it was first sent. */
  readonly sentAtCount: number;
  /** The index of the fragment the next try starts with: tries go on through the code's indices (tryOf). */
  nextIndex: number;
  /** The sequence number and index of the last fragment sent, once one was. */
  last: { readonly seq: bigint; readonly index: number } | undefined;
}

/** The next try of a kept instruction: its ID, the acknowledgement it carries, and its fragments. */
export interface KeptTry {
  readonly id: bigint;
  readonly ackNum: number;
  /** Data fragments in the instruction (k): a try sends at least this many. */
  readonly dataFragments: number;
  /**
   * The next `count` fragments of the instruction, none sent before while the code has indices left, to go in
   * datagrams numbered from `firstSeq` on.
   */
  fragments(count: number, firstSeq: bigint): Fragment[];
}

/** The sender's side: its newest multi-fragment instruction, to send again under the same ID. */
export class FragmentReuse {
  private kept: KeptInstruction | undefined;

  /**
   * The next try of `instruction`, if it is the kept one sent again: the same state numbers and diff, to a datagram
   * of the same room, and fewer than FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN instructions since. `instructionsSent`
   * counts every instruction this sender has sent.
   */
  find(instruction: Instruction, maxChunkBytes: number, instructionsSent: number): KeptTry | undefined {
    const kept = this.kept;
    if (kept === undefined) return undefined;
    if (instruction.newNum !== kept.newNum || instruction.oldNum !== kept.oldNum) return undefined;
    if (maxChunkBytes !== kept.maxChunkBytes || instructionsSent - kept.sentAtCount >= FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN) return undefined;
    if (!bytesEqual(instruction.diff, kept.diff)) return undefined;
    return tryOf(kept);
  }

  /**
   * Notes an instruction about to be sent for the first time under `id`, cut into `data` at `chunkBytes`, and
   * returns its first try. One that fits a single fragment changes nothing (resent whole it arrives whole, and the
   * kept one stays reusable): undefined. A larger one replaces the kept one.
   */
  sent(instruction: Instruction, id: bigint, data: readonly Fragment[], maxChunkBytes: number, chunkBytes: number, instructionsSent: number): KeptTry | undefined {
    if (data.length <= 1) return undefined;
    const { oldNum, newNum, ackNum, diff } = instruction;
    this.kept = { oldNum, newNum, ackNum, diff, id, data, maxChunkBytes, chunkBytes, sentAtCount: instructionsSent, nextIndex: 0, last: undefined };
    return tryOf(this.kept);
  }
}

/**
 * A try of `kept`: fragments from its next index on. The code's indices are the data fragments' and then its parity
 * fragments' up to MAX_CODE_FRAGMENTS (fec.ts); a try goes on from where the last one stopped, so every fragment of
 * a resend is one the receiver has not been sent, and any k distinct ones complete the instruction wherever they came
 * from. After the last index the tries start over at 0 (a code of MAX_CODE_FRAGMENTS or more data fragments has no
 * parity, and its tries are the data fragments again, as they were before parity).
 *
 * The receiver tells tries apart by sequence number minus index (RepeatedInstructionWatch), which grows from one try
 * to the next as long as a try does not go on in the very next datagram at the very next index: then the two would
 * read as one. Such a try starts one index back, sending the last fragment of the one before again (a datagram in a
 * try of dozens).
 */
function tryOf(kept: KeptInstruction): KeptTry {
  const k = kept.data.length;
  const codeLength = k < MAX_CODE_FRAGMENTS ? MAX_CODE_FRAGMENTS : k;
  const chunks = kept.data.map((fragment) => fragment.chunk);
  return {
    id: kept.id,
    ackNum: kept.ackNum,
    dataFragments: k,
    fragments(count: number, firstSeq: bigint): Fragment[] {
      const out: Fragment[] = [];
      const last = kept.last;
      if (last !== undefined && firstSeq === last.seq + 1n && kept.nextIndex === last.index + 1) kept.nextIndex = last.index;
      for (let i = 0; i < count; i++) {
        kept.last = { seq: firstSeq + BigInt(i), index: kept.nextIndex };
        const index = kept.nextIndex;
        kept.nextIndex = (index + 1) % codeLength;
        out.push(index < k ? kept.data[index]! : parityFragment(kept.id, chunks, kept.chunkBytes, index));
      }
      return out;
    },
  };
}

/**
 * The receiver's side: the newest instruction that came in more than one fragment, handed over again once for each
 * later try of it. The reassembler ignores the fragments of an ID it delivered, so without this a resend whose
 * first try was complete would go unanswered, and a lost acknowledgement would leave the sender resending until the
 * receiver's next heartbeat; handed over again, the transport counts a duplicate state and acknowledges it, as it
 * does every resend that is a new instruction.
 *
 * A try is told by sequence number minus fragment index: a try's fragments go in consecutive datagrams at consecutive
 * indices, so it is the same for all of them (but across the code's wrap to index 0, which reads as a new try and
 * costs an acknowledgement), and the sender makes it grow from one try to the next (tryOf).
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
