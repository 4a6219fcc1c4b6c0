/**
 * Errors the protocol package throws at its callers. Untrusted input never produces these out of a core: the
 * codecs throw `DecodeError` internally and `Connection` catches, counts and drops.
 */

/** A printable session key (TSMOSH_KEY, the CONNECT line) that cannot be used. The message says what to do. */
export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
}

/**
 * Bytes that do not parse as the structure a codec expected. `reason` names the drop counter the connection moves,
 * so a caller can count without parsing messages.
 */
export class DecodeError extends RangeError {
  override readonly name = 'DecodeError';
  constructor(
    readonly reason: 'truncated' | 'badFragment' | 'badInstruction',
    message: string,
  ) {
    super(message);
  }
}
