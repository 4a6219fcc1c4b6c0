/**
 * An OSC handler for xterm's parser that collects an ASCII payload into bytes instead of a string.
 *
 * xterm's own handler (what `parser.registerOscHandler(id, callback)` installs) turns each parsed slice into a string
 * one character at a time, so a 1 Mi-character clipboard write (OSC 52, within its budget) left about 30 MB of
 * short-lived strings behind; four 3 MB writes from one session raised the shared daemon's peak memory by 96 MiB
 * (bench hostile-neighbour). OSC 52's payload is a selection and base64, plain ASCII: this handler copies the code
 * points into a growing byte buffer and makes one string at the end. A code point above 0x7f marks the payload as
 * not ASCII, and the callback gets `undefined` (the caller refuses it, as it would refuse non-base64).
 */
import type { Terminal } from '@xterm/headless';

/** bytes: the buffer's first size; it doubles as the payload grows, to the escape-string budget at most. */
const INITIAL_BUFFER_BYTES = 256;

interface OscHandlerShape {
  start(): void;
  put(data: Uint32Array, start: number, end: number): void;
  end(success: boolean): boolean;
}

interface InputHandlerShape {
  _parser?: { registerOscHandler?: (ident: number, handler: OscHandlerShape) => { dispose(): void } };
}

/**
 * Registers `callback` for OSC `ident` on `term`'s parser (xterm private API, checked). The callback gets the whole
 * payload once the string ends (`undefined` if it was not ASCII) and returns whether it handled it; a string that is
 * abandoned (over its budget, or cut by the parser) never reaches it.
 */
export function registerAsciiOscHandler(term: Terminal, ident: number, callback: (payload: string | undefined) => boolean): { dispose(): void } {
  const parser = (term as unknown as { _core?: { _inputHandler?: InputHandlerShape } })._core?._inputHandler?._parser;
  if (typeof parser?.registerOscHandler !== 'function') {
    throw new Error('@xterm/headless internals changed: _core._inputHandler._parser.registerOscHandler is missing; update packages/server/src/ascii-osc-handler.ts');
  }
  let buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
  let length = 0;
  let ascii = true;
  const handler: OscHandlerShape = {
    start() {
      length = 0;
      ascii = true;
    },
    put(data, start, end) {
      if (!ascii) return;
      const needed = length + (end - start);
      if (needed > buffer.length) {
        let size = buffer.length;
        while (size < needed) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(buffer.subarray(0, length));
        buffer = grown;
      }
      for (let index = start; index < end; index++) {
        const codePoint = data[index]!;
        if (codePoint > 0x7f) {
          ascii = false;
          return;
        }
        buffer[length++] = codePoint;
      }
    },
    end(success) {
      const payload = ascii ? Buffer.from(buffer.buffer, buffer.byteOffset, length).toString('latin1') : undefined;
      // Let a large buffer go with its string rather than hold it for the next one.
      if (buffer.length > INITIAL_BUFFER_BYTES) buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
      length = 0;
      return success ? callback(payload) : false;
    },
  };
  return parser.registerOscHandler(ident, handler);
}
