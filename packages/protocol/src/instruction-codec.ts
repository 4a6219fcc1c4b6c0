import { deflateSync, inflateSync } from 'fflate';
import { decodeVarint, encodeVarint } from './bytes.js';
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
 * (docs/benchmarks.md, "Enter → output beside a bare Node relay").
 */
export const MIN_COMPRESSIBLE_BODY_BYTES = 160;

export function encodeInstruction(instruction: Instruction): Uint8Array {
  const head: number[] = [];
  for (const [name, value] of [
    ['oldNum', instruction.oldNum],
    ['newNum', instruction.newNum],
    ['ackNum', instruction.ackNum],
    ['throwawayNum', instruction.throwawayNum],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`encodeInstruction: ${name} = ${value} is not a non-negative safe integer`);
    encodeVarint(value, head);
  }
  encodeVarint(instruction.diff.length, head);
  const middle: number[] = [];
  encodeVarint(instruction.chaff.length, middle);
  const bodyLength = head.length + instruction.diff.length + middle.length + instruction.chaff.length;
  if (bodyLength > MAX_INSTRUCTION_BYTES) {
    throw new RangeError(`encodeInstruction: ${bodyLength} bytes exceeds the ${MAX_INSTRUCTION_BYTES}-byte limit a receiver accepts; send a smaller diff`);
  }
  const body = new Uint8Array(bodyLength);
  body.set(head, 0);
  body.set(instruction.diff, head.length);
  body.set(middle, head.length + instruction.diff.length);
  body.set(instruction.chaff, head.length + instruction.diff.length + middle.length);

  if (body.length >= MIN_COMPRESSIBLE_BODY_BYTES) {
    const deflated = deflateSync(body, { level: 6 });
    const lengthPrefix: number[] = [];
    encodeVarint(body.length, lengthPrefix);
    if (lengthPrefix.length + deflated.length < body.length) {
      const out = new Uint8Array(2 + lengthPrefix.length + deflated.length);
      out[0] = INSTRUCTION_FORMAT_VERSION;
      out[1] = FLAG_DEFLATED;
      out.set(lengthPrefix, 2);
      out.set(deflated, 2 + lengthPrefix.length);
      return out;
    }
  }
  const out = new Uint8Array(2 + body.length);
  out[0] = INSTRUCTION_FORMAT_VERSION;
  out[1] = 0;
  out.set(body, 2);
  return out;
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

  let offset = 0;
  const next = (name: string): number => {
    const varint = decodeVarint(body, offset) ?? fail(`bad varint for ${name} at offset ${offset}`);
    offset = varint.next;
    return varint.value;
  };
  const oldNum = next('oldNum');
  const newNum = next('newNum');
  const ackNum = next('ackNum');
  const throwawayNum = next('throwawayNum');
  const diffLength = next('diff length');
  if (diffLength > body.length - offset) fail(`diff length ${diffLength} overruns the body`);
  const diff = body.slice(offset, offset + diffLength);
  offset += diffLength;
  const chaffLength = next('chaff length');
  if (chaffLength !== body.length - offset) fail(`chaff length ${chaffLength} does not match the ${body.length - offset} bytes left`);
  const chaff = body.slice(offset);
  return { oldNum, newNum, ackNum, throwawayNum, diff, chaff };
}
