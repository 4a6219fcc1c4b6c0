import { deflateSync, inflateSync } from 'fflate';
import { ByteReader, putVarint, varintLength } from './byte-codec.js';
import { decodeVarint } from './bytes.js';
import { INSTRUCTION_FORMAT_VERSION, MAX_INSTRUCTION_BYTES } from './constants.js';
import { DecodeError } from './errors.js';
import type { Instruction } from './types.js';

/**
 * Instruction codec. Layout (docs/protocol.md §Instruction):
 *
 *   format version (1 byte) ‖ flags (1 byte; bit 0 = body deflated, other bits zero)
 *   ‖ [if deflated: inflated body length, varint] ‖ body (raw or DEFLATE, RFC 1951)
 *   body = oldNum ‖ newNum ‖ ackNum ‖ throwawayNum (varints) ‖ diff length (varint) ‖ diff ‖ chaff length (varint) ‖ chaff
 *
 * Varints are unsigned LEB128, canonical (no overlong forms), at most Number.MAX_SAFE_INTEGER, and nothing may trail
 * the chaff, so every accepted encoding has exactly one meaning. Compression is skipped when it does not shrink the
 * body (keystrokes, chaff-heavy acks), which the flag records.
 */

const FLAG_DEFLATED = 0x01;
/**
 * bytes: bodies shorter than this go raw, without a DEFLATE attempt. A keystroke instruction is ~10 bytes; the
 * frames that answer an Enter (the echo, a command's line, the prompt) are 48–160 bytes, and over 20 Enters of a
 * shell (66 such frames, session 13) deflating them saved 109 bytes in all, most attempts coming out no shorter,
 * while each attempt and the peer's inflate cost 65 and 55 µs between keys typed 300 ms apart (18 and 24 µs warm),
 * on the way from the program's write to the client's screen. A repaint or a flood's frame (hundreds of bytes to
 * kilobytes) still compresses. 512 was tried too and shifted the simulated thin link's acknowledgements
 * (docs/benchmarks-journal.md, "Enter → output beside a bare Node relay").
 */
export const MIN_COMPRESSIBLE_BODY_BYTES = 160;

export function encodeInstruction(instruction: Instruction): Uint8Array {
  const { oldNum, newNum, ackNum, throwawayNum, diff, chaff } = instruction;
  checkNumber('oldNum', oldNum);
  checkNumber('newNum', newNum);
  checkNumber('ackNum', ackNum);
  checkNumber('throwawayNum', throwawayNum);
  const bodyLength =
    varintLength(oldNum) + varintLength(newNum) + varintLength(ackNum) + varintLength(throwawayNum) +
    varintLength(diff.length) + diff.length + varintLength(chaff.length) + chaff.length;
  if (bodyLength > MAX_INSTRUCTION_BYTES) {
    throw new RangeError(`encodeInstruction: ${bodyLength} bytes exceeds the ${MAX_INSTRUCTION_BYTES}-byte limit a receiver accepts; send a smaller diff`);
  }
  // Sized first and written once, raw; a body long enough to compress is deflated from it. Each varint through a
  // writer of its own and the parts joined from number arrays were most of a cold encode (docs/benchmarks-journal.md,
  // "The answer's way out").
  const raw = new Uint8Array(2 + bodyLength);
  raw[0] = INSTRUCTION_FORMAT_VERSION;
  raw[1] = 0;
  let at = putVarint(raw, 2, oldNum);
  at = putVarint(raw, at, newNum);
  at = putVarint(raw, at, ackNum);
  at = putVarint(raw, at, throwawayNum);
  at = putVarint(raw, at, diff.length);
  raw.set(diff, at);
  at = putVarint(raw, at + diff.length, chaff.length);
  raw.set(chaff, at);

  if (bodyLength >= MIN_COMPRESSIBLE_BODY_BYTES) {
    const body = raw.subarray(2);
    const deflated = deflateSync(body, { level: 6 });
    const prefixLength = varintLength(bodyLength);
    if (prefixLength + deflated.length < bodyLength) {
      const out = new Uint8Array(2 + prefixLength + deflated.length);
      out[0] = INSTRUCTION_FORMAT_VERSION;
      out[1] = FLAG_DEFLATED;
      out.set(deflated, putVarint(out, 2, bodyLength));
      return out;
    }
  }
  return raw;
}

function checkNumber(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`encodeInstruction: ${name} = ${value} is not a non-negative safe integer`);
}

/**
 * Bytes `decodeInstruction` would inflate for this encoding: the declared length of a deflated body, 0 for a raw
 * one (or for an encoding too malformed to say, which decodeInstruction refuses anyway). Lets a receiver charge the
 * work against a budget before doing it.
 */
export function inflatedLength(bytes: Uint8Array): number {
  if (bytes.length < 2 || (bytes[1]! & FLAG_DEFLATED) === 0) return 0;
  return decodeVarint(bytes, 2)?.value ?? 0;
}

/** Parses an instruction. Throws DecodeError('badInstruction') on anything malformed; never allocates more than the cap. */
export function decodeInstruction(bytes: Uint8Array): Instruction {
  const fail = (what: string): never => {
    throw new DecodeError('badInstruction', `instruction: ${what}`);
  };
  if (bytes.length < 2) fail(`${bytes.length} bytes is shorter than the 2-byte prefix`);
  if (bytes[0] !== INSTRUCTION_FORMAT_VERSION) fail(`format version ${bytes[0]}, expected ${INSTRUCTION_FORMAT_VERSION}`);
  const flags = bytes[1]!;
  if ((flags & ~FLAG_DEFLATED) !== 0) fail(`unknown flags 0x${flags.toString(16)}`);

  let body: Uint8Array;
  if ((flags & FLAG_DEFLATED) !== 0) {
    const declared = decodeVarint(bytes, 2) ?? fail('bad inflated-length varint');
    if (declared.value > MAX_INSTRUCTION_BYTES) fail(`declared inflated length ${declared.value} exceeds ${MAX_INSTRUCTION_BYTES}`);
    // One spare byte detects a stream that inflates to more than it declared (fflate stops at the buffer's end).
    const out = new Uint8Array(declared.value + 1);
    try {
      body = inflateSync(bytes.subarray(declared.next), { out });
    } catch {
      return fail('DEFLATE stream is corrupt');
    }
    if (body.length !== declared.value) fail(`inflated to ${body.length > declared.value ? 'more' : body.length} bytes, declared ${declared.value}`);
  } else {
    body = bytes.subarray(2);
    if (body.length > MAX_INSTRUCTION_BYTES) fail(`body of ${body.length} bytes exceeds ${MAX_INSTRUCTION_BYTES}`);
  }

  // One reader over the body (a varint's reader, subarray and result object each cost more than its bytes); its
  // RangeError names the field and the offset.
  const reader = new ByteReader(body, 'instruction');
  try {
    const oldNum = reader.varint('oldNum');
    const newNum = reader.varint('newNum');
    const ackNum = reader.varint('ackNum');
    const throwawayNum = reader.varint('throwawayNum');
    const diffLength = reader.varint('diff length');
    if (diffLength > reader.remaining) fail(`diff length ${diffLength} overruns the body`);
    const diff = reader.take(diffLength, 'diff').slice();
    const chaffLength = reader.varint('chaff length');
    if (chaffLength !== reader.remaining) fail(`chaff length ${chaffLength} does not match the ${reader.remaining} bytes left`);
    const chaff = reader.take(chaffLength, 'chaff').slice();
    return { oldNum, newNum, ackNum, throwawayNum, diff, chaff };
  } catch (error) {
    if (error instanceof RangeError) throw new DecodeError('badInstruction', error.message);
    throw error;
  }
}
