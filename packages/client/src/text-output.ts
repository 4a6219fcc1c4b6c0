/**
 * The session's output as text, for a standard output that is not a terminal (`tsmosh host -- make > build.log`,
 * `tsmosh host -- ls | grep x`) or when asked with --output=text: each line that leaves the remote screen once, in
 * order, and the final screen's lines when the session ends, with no escape sequence (PlainTextWriter in
 * @tsmosh/terminal has the rules). A terminal's drawing (frontend.ts) is left out altogether: no raw mode, no
 * alternate screen, no status line, no local echo.
 *
 * What tsmosh itself has to say goes to stderr, never into the text: lines the daemon's history no longer held when
 * they were due (a flood it could not keep up with), the suspension note, the session's ending.
 */
import { PlainTextWriter, type Framebuffer, type ScrollbackLog } from '@tsmosh/terminal';

/** Where the text and the notices go: standard output and standard error, or a test's collectors. */
export interface TextSink {
  text(chunk: string): void;
  notice(line: string): void;
}

export class TextOutput {
  private readonly writer = new PlainTextWriter();
  private droppedTotal = 0;

  constructor(private readonly sink: TextSink) {}

  /** Writes the lines of `log` that left the screen since the last call (each frame drawn calls it). */
  update(log: ScrollbackLog): void {
    this.emit(this.writer.history(log));
  }

  /** The session ended: the rest of the history and the final screen's lines (`screen` undefined: none). */
  finish(log: ScrollbackLog, screen: Framebuffer | undefined): void {
    this.emit(this.writer.finish(log, screen));
    if (screen?.alternateScreen === true) {
      this.sink.notice('tsmosh: the session ended on a full-screen program\'s screen (the alternate screen); its text is not written');
    }
  }

  /** Lines lost in all (the daemon no longer held them when they were due). */
  get dropped(): number {
    return this.droppedTotal;
  }

  private emit(got: { readonly text: string; readonly dropped: number }): void {
    // The notice first: the lost lines came before this text.
    if (got.dropped > 0) {
      this.droppedTotal += got.dropped;
      this.sink.notice(`tsmosh: ${got.dropped} line${got.dropped === 1 ? '' : 's'} of output lost here: the daemon no longer held ${got.dropped === 1 ? 'it' : 'them'} when ${got.dropped === 1 ? 'it was' : 'they were'} due (it keeps the last lines of a flood it cannot send on at once)`);
    }
    if (got.text !== '') this.sink.text(got.text);
  }
}
