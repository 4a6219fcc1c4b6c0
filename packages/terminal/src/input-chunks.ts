/**
 * Where a long key event (a paste, a file read from the terminal in bulk) may be cut into chunks, so the client can
 * hand the transport its input a window at a time (the client's input-window.ts) instead of as one diff of up to
 * 64 KB that no lossy or queue-limited link carries whole.
 *
 * A cut must change nothing for the program that reads the keys:
 * - never inside an escape sequence (CSI, SS3, an X10 mouse report, OSC/DCS/APC/SOS/PM strings, ESC and its next
 *   byte): its parts might reach the pty in separate writes, and a reader that times its Esc would split it;
 * - never inside a UTF-8 character (before a continuation byte), nor between CR and LF;
 * - every chunk longer than MAX_KEY_EVENT_BYTES, so no chunk is taken for a key (key-boundary.ts): the server's pacer
 *   (input-pacing.ts) then writes the chunks of one paste with no gap between them, as it wrote the paste.
 * Which bytes are inside a sequence depends on what came before the event (a read can end inside one), so the scan
 * state carries from one key event to the next (`ScanState`).
 *
 * Pure and byte-exact: the chunks, concatenated, are the event.
 */
import { MAX_KEY_EVENT_BYTES } from './key-boundary.js';

/**
 * A key event longer than this (bytes) is cut into chunks of at most this (unless one indivisible unit is longer):
 * the granularity of the client's input window. 1024: under one datagram's payload (a fragment carries ~1.2 kB),
 * so a window of one chunk is one datagram, and 64 chunks for the largest terminal read (64 KB).
 */
export const INPUT_CHUNK_BYTES = 1024;

/** The shortest chunk (bytes): one byte more than the longest event taken for a key (key-boundary.ts). */
export const INPUT_CHUNK_MIN_BYTES = MAX_KEY_EVENT_BYTES + 1;

/**
 * Where the byte scanner is: outside any sequence (`GROUND`) or inside one. Opaque small integers; `GROUND` is the
 * state at the start of a session.
 */
export type ScanState = number;

export const GROUND: ScanState = 0;
const ESC = 1; // after ESC (and any intermediates 0x20-0x2f)
const CSI_START = 2; // right after ESC [
const CSI = 3; // in a CSI's parameters
const SS3 = 4; // after ESC O: one more byte
const STRING = 5; // an OSC/DCS/APC/SOS/PM string, until BEL or ESC \
const STRING_ESC = 6; // ESC inside a string
const X10_LEFT_3 = 7; // after ESC [ M: three bytes of button and position follow (7, 8, 9: 3, 2, 1 left)
const X10_LEFT_1 = 9;

/** The scanner's state after `byte` in state `state`. */
function step(state: ScanState, byte: number): ScanState {
  switch (state) {
    case GROUND:
      return byte === 0x1b ? ESC : GROUND;
    case ESC:
      if (byte === 0x5b) return CSI_START;
      if (byte === 0x4f) return SS3;
      if (byte === 0x5d || byte === 0x50 || byte === 0x5f || byte === 0x58 || byte === 0x5e) return STRING;
      if (byte === 0x1b || (byte >= 0x20 && byte <= 0x2f)) return ESC; // ESC ESC (Alt+a sequence), intermediates
      return GROUND; // Alt+key: ESC and one byte (a UTF-8 character's continuation bytes are kept by the UTF-8 rule)
    case CSI_START:
      if (byte === 0x4d) return X10_LEFT_3;
      return csiByte(byte);
    case CSI:
      return csiByte(byte);
    case SS3:
      return GROUND;
    case STRING:
      if (byte === 0x07) return GROUND;
      return byte === 0x1b ? STRING_ESC : STRING;
    case STRING_ESC:
      return byte === 0x5c ? GROUND : byte === 0x1b ? STRING_ESC : STRING;
    default:
      // X10 mouse report bytes
      return state === X10_LEFT_1 ? GROUND : state + 1;
  }
}

function csiByte(byte: number): ScanState {
  if (byte >= 0x20 && byte <= 0x3f) return CSI; // parameters and intermediates
  if (byte === 0x1b) return ESC; // an interrupted sequence, a new one begins
  return GROUND; // the final byte (or a control that aborts it)
}

/** The scan state after `bytes`, from `state`. */
export function scanKeys(bytes: Uint8Array, state: ScanState = GROUND): ScanState {
  let s = state;
  for (const byte of bytes) s = step(s, byte);
  return s;
}

/**
 * The positions (1 … length − 1) at which `bytes`, read after scan state `state`, may be cut: outside any sequence,
 * not before a UTF-8 continuation byte, not between CR and LF. Chunk lengths are not considered here.
 */
export function cutAllowedAt(bytes: Uint8Array, state: ScanState = GROUND): boolean[] {
  const allowed = new Array<boolean>(bytes.length + 1).fill(false);
  let s = state;
  for (let i = 0; i < bytes.length; i++) {
    s = step(s, bytes[i]!);
    const next = bytes[i + 1];
    if (next === undefined) break;
    allowed[i + 1] = s === GROUND && (next & 0xc0) !== 0x80 && !(bytes[i] === 0x0d && next === 0x0a);
  }
  return allowed;
}

/**
 * `bytes` (a key event read after scan state `state`) cut into chunks of at most `maxBytes` where a cut is allowed,
 * each at least INPUT_CHUNK_MIN_BYTES; a chunk is longer than `maxBytes` only where no allowed cut comes sooner (one
 * indivisible unit: a long sequence, or text with no allowed cut). An event of at most `maxBytes` is returned whole.
 * The chunks are subarrays of `bytes`.
 */
export function splitKeyEvent(bytes: Uint8Array, state: ScanState = GROUND, maxBytes: number = INPUT_CHUNK_BYTES): Uint8Array[] {
  if (!(Number.isInteger(maxBytes) && maxBytes >= INPUT_CHUNK_MIN_BYTES)) {
    throw new RangeError(`splitKeyEvent: maxBytes ${maxBytes} is not an integer of at least ${INPUT_CHUNK_MIN_BYTES}`);
  }
  if (bytes.length <= maxBytes) return [bytes];
  const allowed = cutAllowedAt(bytes, state);
  const chunks: Uint8Array[] = [];
  const length = bytes.length;
  let start = 0;
  while (length - start > maxBytes) {
    // The last allowed cut within maxBytes that leaves both sides long enough; else the first one past it.
    const lastCut = length - INPUT_CHUNK_MIN_BYTES;
    let cut = -1;
    for (let c = Math.min(start + maxBytes, lastCut); c >= start + INPUT_CHUNK_MIN_BYTES; c--) {
      if (allowed[c]) {
        cut = c;
        break;
      }
    }
    if (cut < 0) {
      for (let c = start + maxBytes + 1; c <= lastCut; c++) {
        if (allowed[c]) {
          cut = c;
          break;
        }
      }
    }
    if (cut < 0) break;
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
