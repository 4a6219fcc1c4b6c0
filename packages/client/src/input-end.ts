/**
 * The end of an input that is not the user's terminal in raw mode (a script's file or pipe, or the user's Ctrl-D
 * beside text output), told to the remote program. Behind ssh the command's stdin is a pipe and reads end of file
 * there. Here the command reads a pty, whose line discipline gives a reader end of file when the end-of-file
 * character (VEOF, Ctrl-D by default) is typed at the start of a line; typed after text that has no line break, it only
 * hands that text over, and a second one ends the file. Without this, `printf 'a\nb\n' | tsmosh host -- wc -l` waited
 * for ever: wc never saw its input end.
 *
 * A program that set its own modes (raw mode: an editor, a shell's line editor) reads Ctrl-D as a key, as it would
 * from a user; that is what a person would have typed to end its input too.
 */

/** VEOF as every pty starts with it (termios c_cc[VEOF], Ctrl-D). */
export const END_OF_FILE_KEY = 0x04;

const LF = 0x0a;
const CR = 0x0d;

/** Tracks the last byte sent, to say what ends the remote command's input. */
export class InputEnd {
  private lastByte: number | undefined;

  /** Bytes about to go to the remote program, in order. */
  sent(bytes: Uint8Array): void {
    if (bytes.length > 0) this.lastByte = bytes[bytes.length - 1];
  }

  /**
   * What to send at the input's end: one Ctrl-D at the start of a line (or when nothing was sent), two after a
   * partial line (the first hands the line over, the second is the end of file).
   */
  endBytes(): Uint8Array {
    const atLineStart = this.lastByte === undefined || this.lastByte === LF || this.lastByte === CR;
    return atLineStart ? Uint8Array.of(END_OF_FILE_KEY) : Uint8Array.of(END_OF_FILE_KEY, END_OF_FILE_KEY);
  }
}
