/**
 * The echo acknowledgement's timing, under a manual clock with a scripted pty, so the moment the program "answers"
 * is exact: the ack rides on the echo once the output settles, waits ECHO_TIMEOUT_MS for a key that produces no
 * output (a password), counts input-stream positions, and is never paired with a screen older than the output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BLANK_CELL, InputStream, PredictionEngine, type Framebuffer } from '@tsmosh/terminal';
import { ECHO_AWAY_MAX_MS, ECHO_AWAY_QUIET_MS, ECHO_SETTLE_MS, TYPED_ECHO_SETTLE_MS, ECHO_TIMEOUT_MS, MAX_RESPONSE_FRAMES, RESPONSE_WINDOW_MS, SNAPSHOT_MIN_INTERVAL_MS, Session, isTypedCharacter } from './session.js';
import { AnswerWatch, SMALL_ANSWER_BYTES } from './answer-output.js';
import { ECHO_WATCH_MS } from './typed-echo.js';
import { CARRIED_ACK_MAX_MS } from './carried-ack.js';
import { FULL_PTY_READ_BYTES } from './pty-drain.js';
import { OfferedScreen, WriteBoundary } from './write-boundary.js';
import { linkedSession } from './session-link.test-helpers.js';
import { ScreenPty } from './screen-pty.test-helpers.js';

/**
 * Time (ms) the server's sender may take to put a changed screen on the wire: its 8 ms collection interval plus
 * frame pacing (≥ 20 ms between frames). Kept below ECHO_TIMEOUT_MS - ECHO_SETTLE_MS so an ack seen within it
 * cannot have come from the timeout.
 */
const SEND_ALLOWANCE_MS = 30;


/**
 * A program whose output the test writes: `show(text)` puts text on row 0 and announces a frame; `bytes` is how much
 * output that took (the text's length unless given: a flood's read is kilobytes however little of it shows).
 */
class ScriptedPty extends ScreenPty {
  readonly pid = 4242;
  /** Rows `rows` (row number → text) written, the cursor left at `cursor` (a shell's echo, output, prompt). */
  paint(rows: Record<number, string>, cursor: { x: number; y: number }, bytes = 16): void {
    this.answers.output(bytes, 0);
    const lines = this.screen.lines.map((line, y) => {
      const text = rows[y];
      if (text === undefined) return line;
      const cells = [...line.cells];
      [...text].forEach((char, x) => (cells[x] = { ...BLANK_CELL, text: char }));
      return { cells, wrapped: false };
    });
    this.announce({ ...this.screen, lines, cursor: { ...this.screen.cursor, ...cursor } });
  }
  readonly written: string[] = [];
  /** The small-answer judgement as PtyHost makes it; only its size verdict is read here (the session times frames). */
  private readonly answers = new AnswerWatch();
  constructor() {
    super(80, 24);
  }
  get answerIsSmall(): boolean {
    return this.answers.small;
  }
  write(bytes: Uint8Array): void {
    this.written.push(new TextDecoder().decode(bytes));
    this.answers.input(0);
  }
  show(text: string, bytes = text.length): void {
    this.answers.output(bytes, 0);
    this.announce(this.withFirstRow(text));
  }
  /**
   * Output that leaves the cursor where it is (an answer streaming above a prompt, a clock, a flood in tmux's other
   * pane), on row 10; `bytes` as in `show`.
   */
  showElsewhere(text: string, bytes = text.length): void {
    this.answers.output(bytes, 0);
    this.announce(this.withRow10(text));
  }
  /** Only input modes switched (bash's bracketed paste before its prompt): nothing on the screen moves. */
  switchModes(modes: Partial<Framebuffer['modes']>, bytes = 8): void {
    this.answers.output(bytes, 0);
    this.announce({ ...this.screen, modes: { ...this.screen.modes, ...modes } });
  }
  /** The cursor gone to row 10, nothing else changed (tmux, blocked, redrawing its other pane: no echo there). */
  cursorAway(): void {
    this.announce({ ...this.screen, cursor: { ...this.screen.cursor, x: 0, y: 10 } });
  }
  protected withRow10(text: string): Framebuffer {
    const cells = [...this.screen.lines[10]!.cells];
    [...text].forEach((char, x) => (cells[x] = { ...BLANK_CELL, text: char }));
    return { ...this.screen, lines: this.screen.lines.map((line, y) => (y === 10 ? { cells, wrapped: false } : line)) };
  }
}

/**
 * A ScriptedPty behind PtyHost's write boundary (write-boundary.ts): a read that ends mid-write changes the mirror
 * but starts a hold, and the screen is offered only after a read that ends a write; the session is given the screen
 * as PtyHost gives it (OfferedScreen).
 */
class HoldingPty extends ScriptedPty {
  private readonly boundary = new WriteBoundary();
  private readonly offered = new OfferedScreen(this.screen);
  constructor(private readonly clock: { now: number }) {
    super();
  }
  override snapshot(): Framebuffer {
    return this.offered.take(this.boundary.holding, () => this.screen);
  }
  get offerHeldBack(): boolean {
    return this.offered.behindOffer(this.boundary.holding);
  }
  /** A full read that ends inside the program's write: row 0 reads `text` in the mirror, and nothing is offered. */
  midWrite(text: string): void {
    this.screen = this.withFirstRow(text);
    expect(this.boundary.parsed(this.boundary.read(FULL_PTY_READ_BYTES), this.clock.now)).toBe(false);
  }
  /** A read that ends the program's write: row 0 reads `text`, offered. */
  atRest(text: string): void {
    const screen = this.withFirstRow(text);
    if (!this.boundary.parsed(this.boundary.read(text.length), this.clock.now)) throw new Error('a short read with no scroll region is at rest');
    this.offered.offer();
    this.announce(screen);
  }
}

function harness(makePty: (clock: { now: number }) => ScriptedPty = () => new ScriptedPty()) {
  const clock = { now: 1000 };
  const pty = makePty(clock);
  const { session, client, exchange, at, sentToClient } = linkedSession(pty, clock);
  let input = InputStream.empty();
  const type = (text: string): void => {
    input = input.append({ kind: 'keys', bytes: new TextEncoder().encode(text) });
    client.setLocal(input, clock.now);
    exchange();
  };
  const row0 = (): string => client.remote.framebuffer.lines[0]!.cells.map((c) => c.text || ' ').join('').trimEnd();
  return { clock, session, pty, client, at, type, row0, input: () => input, sentToClient };
}

describe('Session echo acknowledgement', () => {
  const sessions: Session[] = [];
  afterEach(() => {
    for (const session of sessions.splice(0)) session.kill();
  });

  it('acknowledges an echoed key once the echo has settled, with the screen that shows it, in input positions', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.type('ab');
    expect(h.pty.written.join('')).toBe('ab');
    const writtenAt = h.clock.now;
    h.at(writtenAt + 1);
    h.pty.show('ab');
    h.at(writtenAt + 1 + ECHO_SETTLE_MS - 1);
    expect(h.session.echoAck).toBe(0); // still settling
    h.at(writtenAt + 1 + ECHO_SETTLE_MS);
    expect(h.session.echoAck).toBe(2); // decided on the echo, not the timeout
    h.at(writtenAt + 1 + ECHO_SETTLE_MS + SEND_ALLOWANCE_MS);
    expect(h.client.remote.echoAck).toBe(2); // two key bytes: two positions
    expect(h.row0()).toBe('ab');
    expect(h.clock.now - writtenAt).toBeLessThan(ECHO_TIMEOUT_MS);
  });

  it('sends the echo of one typed character as soon as it is parsed, with its acknowledgement', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.type('w'); // the first input also carries the window size: that batch settles as any other
    h.at(1001);
    h.pty.show('w');
    h.at(1100);
    expect(h.client.remote.echoAck).toBe(1);
    h.type('x');
    h.at(1101);
    h.pty.show('wx');
    expect(h.session.echoAck).toBe(2); // no settle: a typed character is echoed in one write
    h.at(1101 + SEND_ALLOWANCE_MS);
    expect(h.row0()).toBe('wx');
    expect(h.client.remote.echoAck).toBe(2);
  });

  it('tells a typed character from everything else', () => {
    const bytes = (...values: number[]) => Uint8Array.from(values);
    for (const typed of [bytes(0x61), bytes(0x20), bytes(0x7f), bytes(0xc3, 0xa9), bytes(0xe4, 0xb8, 0xad), bytes(0xf0, 0x9f, 0x98, 0x80)]) {
      expect(isTypedCharacter(typed)).toBe(true);
    }
    for (const other of [bytes(), bytes(0x0d), bytes(0x03), bytes(0x1b), bytes(0x1b, 0x5b, 0x41), bytes(0x61, 0x62), bytes(0xc3), bytes(0xc3, 0x41), bytes(0x80)]) {
      expect(isTypedCharacter(other)).toBe(false);
    }
  });

  it('does not take output elsewhere for a typed key\'s echo (a program streaming while the user types)', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.type('a');
    h.at(1005);
    h.pty.show('a');
    h.at(1100);
    expect(h.client.remote.echoAck).toBe(1);
    h.type('b');
    const writtenAt = h.clock.now;
    h.at(writtenAt + 3);
    h.pty.showElsewhere('streamed line 1');
    h.at(writtenAt + 10);
    h.pty.showElsewhere('streamed line 2');
    h.at(writtenAt + 20);
    expect(h.session.echoAck).toBe(1); // the cursor and the cell under it never moved: no answer yet
    h.pty.show('ab');
    h.at(writtenAt + 21);
    expect(h.session.echoAck).toBe(2); // the echo itself, well before the timeout
    h.at(writtenAt + 21 + SEND_ALLOWANCE_MS);
    expect(h.client.remote.echoAck).toBe(2);
    expect(h.row0()).toBe('ab');
  });

  it('acknowledges a key the program does not echo only after ECHO_TIMEOUT_MS', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.pty.show('Password: ');
    h.at(1100);
    h.type('s');
    const writtenAt = h.clock.now;
    h.at(writtenAt + ECHO_TIMEOUT_MS - 1);
    expect(h.session.echoAck).toBe(0);
    h.at(writtenAt + ECHO_TIMEOUT_MS + SEND_ALLOWANCE_MS);
    expect(h.client.remote.echoAck).toBe(1);
    expect(h.row0()).toBe('Password:');
  });

  it('never pairs the acknowledgement with a snapshot older than the output (throttled snapshots)', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.pty.show('x'); // a snapshot is taken now; the next one is throttled for SNAPSHOT_MIN_INTERVAL_MS
    h.at(1001);
    h.type('y');
    const writtenAt = h.clock.now;
    h.at(1002);
    h.pty.show('xy'); // the echo lands inside the throttle window
    const sessionRow0 = () => h.session.screen.lines[0]!.cells.map((c) => c.text || ' ').join('').trimEnd();
    h.at(1002 + ECHO_SETTLE_MS);
    expect(h.session.echoAck).toBe(1);
    expect(sessionRow0()).toBe('xy'); // at the moment of the ack, not only after the next throttled snapshot
    h.at(writtenAt + ECHO_SETTLE_MS + SEND_ALLOWANCE_MS);
    expect(h.client.remote.echoAck).toBe(1);
    expect(h.row0()).toBe('xy');
  });

  it('acknowledges in order: a later echo does not acknowledge input still waiting on its own', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.type('a');
    h.at(1010);
    h.pty.show('a');
    h.at(1010 + ECHO_SETTLE_MS + SEND_ALLOWANCE_MS);
    expect(h.client.remote.echoAck).toBe(1);
    h.at(1100);
    h.type('b'); // unanswered for now
    h.at(1120);
    expect(h.session.echoAck).toBe(1);
    h.pty.show('ab');
    h.at(1120 + TYPED_ECHO_SETTLE_MS); // a typed character's echo needs no settle; well before b's own timeout at 1150
    expect(h.session.echoAck).toBe(2);
  });

  it('sends the answer to a keystroke as soon as it is parsed, even inside the frame pacing after a flood frame (Ctrl-C), and acknowledges it once it settles', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.pty.show('flood 1');
    h.at(1008); // the flood frame: the next paced frame may go only an interval (≥ 20 ms) later
    expect(h.row0()).toBe('flood 1');
    h.at(1010);
    h.type('\x03');
    h.at(1011);
    h.pty.show('prompt!');
    h.at(1011);
    expect(h.row0()).toBe('prompt!'); // at once, not at 1008 + the pacing interval, nor after a settle
    expect(h.client.remote.echoAck).toBe(0); // a control key's answer may come in bursts: judged once it settles
    h.at(1011 + ECHO_SETTLE_MS);
    expect(h.client.remote.echoAck).toBe(1);
  });

  it('in a flood, Ctrl-C\'s answer frames are not spent on the flood\'s tail: the prompt after it goes unpaced once it settles', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.pty.show('flood 1');
    h.at(1008);
    h.type('\x03');
    // The flood goes on for a while after the key (the pty's and the mirror's backlog), never quiet for the settle.
    // Each read is a flood's: kilobytes, so after the key's first frame its tail is coalesced, not a frame per read.
    const shown = new Set<string>();
    for (let t = 1009; t <= 1040; t++) {
      h.at(t);
      h.pty.show(`flood ${t}`, 4096);
      shown.add(h.row0());
    }
    expect(shown.size).toBeLessThanOrEqual(3); // the first frame at once, then at most the pacing's
    expect(1041 + ECHO_SETTLE_MS).toBeLessThan(1008 + RESPONSE_WINDOW_MS);
    h.at(1041);
    h.pty.show('prompt!!!!');
    h.at(1041 + ECHO_SETTLE_MS);
    expect(h.row0()).toBe('prompt!!!!'); // not a pacing interval after the last flood frame
  });

  /** Enter typed at 1000 and its echo written at 1001: sent at once, the answer's first frame. */
  const enterEchoed = (): ReturnType<typeof harness> => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.type('\r');
    h.at(1001);
    h.pty.show('echo..');
    h.at(h.clock.now); // delivered
    expect(h.row0()).toBe('echo..');
    return h;
  };

  it('sends each write of a small answer as soon as it is parsed, the last unpaced frame once the output settles, then paces again', () => {
    expect(MAX_RESPONSE_FRAMES).toBe(6); // the script below has one write more than that
    const h = enterEchoed();
    expect(h.client.remote.echoAck).toBe(0); // acknowledged once it settles, and carried by the next answer frame
    h.at(1001 + ECHO_SETTLE_MS);
    expect(h.client.remote.echoAck).toBe(0);
    // A pipeline's writes: each process's output, bash's bracketed-paste switch and its prompt back to back in the
    // same millisecond; each is sent as it is parsed, none waits for the settle nor the pacing (frames 2 to 5).
    h.at(1010);
    h.pty.show('output');
    h.at(h.clock.now); // delivered
    expect(h.row0()).toBe('output');
    expect(h.client.remote.echoAck).toBe(1);
    h.at(1011);
    h.pty.show('outpu2');
    h.at(h.clock.now); // delivered
    expect(h.row0()).toBe('outpu2');
    h.at(1016);
    h.pty.show('mode..');
    h.pty.show('prompt');
    h.at(h.clock.now); // delivered
    expect(h.row0()).toBe('prompt');
    // The last frame allowed waits until the output has settled, so that the rest of a longer answer goes in one.
    h.at(1020);
    h.pty.show('more 1');
    h.at(1021);
    h.pty.show('more 2');
    h.at(1021 + ECHO_SETTLE_MS - 1);
    expect(h.row0()).toBe('prompt');
    h.at(1021 + ECHO_SETTLE_MS);
    expect(h.row0()).toBe('more 2');
    const lastUnpaced = h.clock.now;
    h.at(1030);
    h.pty.show('chatty'); // a seventh frame: output like any other, paced
    expect(1030 + ECHO_SETTLE_MS).toBeLessThan(1000 + RESPONSE_WINDOW_MS);
    h.at(1030 + ECHO_SETTLE_MS + 5);
    expect(h.row0()).toBe('more 2');
    h.at(lastUnpaced + 20); // ≥ sendIntervalMinMs after the last frame: paced, but not stuck
    h.at(lastUnpaced + 60);
    expect(h.row0()).toBe('chatty');
  });

  /**
   * A shell at `$ ls` (cursor after it) and Enter typed, echoed 1 ms later (`\r\n`: the cursor at the start of row 1),
   * with a client-side prediction engine fed every state the client holds. Returns the harness, when the Enter was
   * written and the datagrams sent so far.
   */
  const enterAtPrompt = () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.pty.paint({ 0: '$ ls' }, { x: 4, y: 0 });
    h.at(1100);
    const engine = new PredictionEngine({ mode: 'always' });
    const judge = (): void => engine.onServerScreen(h.client.remote.framebuffer, h.client.remote.echoAck, h.clock.now, h.client.remote.answeredCursor);
    judge();
    engine.onUserInput(new TextEncoder().encode('\r'), h.client.remote.framebuffer, 1, h.clock.now);
    h.type('\r');
    const writtenAt = h.clock.now;
    h.at(writtenAt + 1);
    h.pty.paint({}, { x: 0, y: 1 }, 2);
    h.at(h.clock.now); // the echo, delivered
    judge();
    return { h, engine, judge, writtenAt, sent: h.sentToClient() };
  };

  it("carries an Enter's acknowledgement on the command's output that follows within CARRIED_ACK_MAX_MS: a datagram fewer, the guess judged on the echo's cursor", () => {
    const { h, engine, judge, writtenAt, sent } = enterAtPrompt();
    expect(h.client.remote.framebuffer.cursor).toMatchObject({ x: 0, y: 1 });
    expect(h.client.remote.echoAck).toBe(0);
    // The echo settles: decided, but nothing is sent for it (before: a frame that showed nothing, acknowledging 1).
    h.at(writtenAt + 1 + ECHO_SETTLE_MS);
    h.at(writtenAt + 4);
    expect(h.sentToClient()).toBe(sent);
    expect(h.client.remote.echoAck).toBe(0);
    // The command's output, 4 ms after the echo: it carries the acknowledgement, with the echo's cursor.
    h.at(writtenAt + 5);
    h.pty.paint({ 1: 'a.txt b.txt' }, { x: 0, y: 2 });
    h.at(h.clock.now);
    expect(h.sentToClient()).toBe(sent + 1);
    expect(h.client.remote.echoAck).toBe(1);
    expect(h.client.remote.answeredCursor).toEqual({ upTo: 1, x: 0, y: 1 });
    judge();
    // The prompt: a frame of its own, as before. Echo, output, prompt: three datagrams where there were four.
    h.at(writtenAt + 6);
    h.pty.paint({ 2: '$ ' }, { x: 2, y: 2 });
    h.at(h.clock.now);
    judge();
    expect(h.sentToClient()).toBe(sent + 2);
    expect(h.client.remote.echoAck).toBe(1);
    // The Enter's guess (the cursor to the start of row 1) was judged on the echo's cursor: right, as when the
    // acknowledgement came alone on the echo's screen. Judged on the output's cursor it would be wrong.
    expect(engine.stats).toMatchObject({ erased: 0, discardedUnshown: 0 });
    expect(engine.pendingCount).toBe(0);
  });

  it("sends an Enter's acknowledgement alone, CARRIED_ACK_MAX_MS after the Enter, when nothing follows its echo", () => {
    const { h, engine, judge, writtenAt, sent } = enterAtPrompt();
    h.at(writtenAt + CARRIED_ACK_MAX_MS - 0.5);
    expect(h.sentToClient()).toBe(sent);
    expect(h.client.remote.echoAck).toBe(0);
    h.at(writtenAt + CARRIED_ACK_MAX_MS);
    expect(h.sentToClient()).toBe(sent + 1);
    expect(h.client.remote.echoAck).toBe(1);
    expect(h.client.remote.answeredCursor).toBeUndefined(); // on the screen it was decided on
    judge();
    expect(engine.stats).toMatchObject({ erased: 0, discardedUnshown: 0 });
    expect(engine.pendingCount).toBe(0);
  });

  it("a key typed while an Enter's acknowledgement is held carries it with its own; a key whose answer settles is never held", () => {
    const { h, writtenAt, sent } = enterAtPrompt();
    h.at(writtenAt + 10);
    h.type('x');
    // The client sends it at its next send interval; the session writes it as it comes.
    while (h.pty.written.length < 2) h.at(h.clock.now + 1);
    expect(h.clock.now).toBeLessThan(writtenAt + CARRIED_ACK_MAX_MS - 1);
    expect(h.client.remote.echoAck).toBe(0);
    h.at(h.clock.now + 0.5);
    h.pty.paint({ 1: 'x' }, { x: 1, y: 1 }, 1);
    h.at(h.clock.now);
    expect(h.client.remote.echoAck).toBe(2);
    expect(h.sentToClient()).toBe(sent + 1);
    // Ctrl-L (not an Enter): acknowledged once its answer settles, in a frame of its own, as before.
    h.at(writtenAt + 100);
    h.type('\x0c');
    h.at(writtenAt + 101);
    h.pty.paint({ 0: 'cleared' }, { x: 7, y: 0 }, 20);
    h.at(writtenAt + 101 + ECHO_SETTLE_MS);
    expect(h.client.remote.echoAck).toBe(3);
  });

  it("holds a write of an answer that only switches input modes (bash's bracketed paste) for the prompt after it: one frame carries both", () => {
    const h = enterEchoed();
    h.at(1010);
    h.pty.show('output');
    h.at(h.clock.now); // delivered
    expect(h.row0()).toBe('output');
    const framesBefore = h.sentToClient();
    h.at(1011);
    h.pty.switchModes({ bracketedPaste: true });
    h.at(1011.3);
    expect(h.client.remote.framebuffer.modes.bracketedPaste).toBe(false); // nothing the user sees waits for it
    expect(h.sentToClient()).toBe(framesBefore);
    h.pty.show('prompt');
    h.at(h.clock.now); // delivered at once, with the switch
    expect(h.row0()).toBe('prompt');
    expect(h.client.remote.framebuffer.modes.bracketedPaste).toBe(true);
    expect(h.sentToClient()).toBe(framesBefore + 1);
  });

  it('sends a held switch of input modes once the output settles when nothing follows it, and never holds the first answer', () => {
    const h = enterEchoed();
    h.at(1010);
    h.pty.switchModes({ mouseTracking: 'vt200', focusReporting: true });
    h.at(1010 + ECHO_SETTLE_MS - 0.5);
    expect(h.client.remote.framebuffer.modes.mouseTracking).toBe('none');
    h.at(1010 + ECHO_SETTLE_MS);
    expect(h.client.remote.framebuffer.modes.mouseTracking).toBe('vt200');
    expect(h.client.remote.framebuffer.modes.focusReporting).toBe(true);
    // A key's first answer goes as it is parsed even when it changes only modes (vim's first write, a password prompt).
    h.at(1200);
    h.type('x');
    h.at(1201);
    h.pty.switchModes({ bracketedPaste: true }, 8);
    h.at(h.clock.now);
    expect(h.client.remote.framebuffer.modes.bracketedPaste).toBe(true);
  });

  it('sends a large answer\'s first write at once and the rest in one frame once it settles, not a frame per read', () => {
    const h = enterEchoed();
    // A listing: more than SMALL_ANSWER_BYTES in reads a millisecond apart.
    const read = Math.ceil(SMALL_ANSWER_BYTES / 2);
    h.at(1005);
    h.pty.show('list 1', read);
    h.at(h.clock.now); // delivered
    expect(h.row0()).toBe('list 1'); // still small: at once
    h.at(1006);
    h.pty.show('list 2', read);
    h.at(1007);
    h.pty.show('list 3', read);
    h.at(1008);
    h.pty.show('prompt', 20);
    h.at(1008 + ECHO_SETTLE_MS - 1);
    expect(h.row0()).toBe('list 1'); // past SMALL_ANSWER_BYTES: coalesced until it settles
    h.at(1008 + ECHO_SETTLE_MS);
    expect(h.row0()).toBe('prompt');
  });

  it('paces output that comes later than RESPONSE_WINDOW_MS after the keystroke', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.type('x');
    h.at(1001);
    h.pty.show('x');
    h.at(1001 + ECHO_SETTLE_MS);
    expect(h.row0()).toBe('x');
    const afterWindow = 1000 + RESPONSE_WINDOW_MS + 10;
    h.at(afterWindow);
    h.pty.show('late1'); // nothing sent for a while: goes after the 8 ms collection interval
    h.at(afterWindow + 8);
    expect(h.row0()).toBe('late1');
    h.at(afterWindow + 10);
    h.pty.show('late2'); // settles at +14, but the frame pacing (≥ 20 ms after the last frame) holds it
    h.at(afterWindow + 8 + 19);
    expect(h.row0()).toBe('late1');
    h.at(afterWindow + 8 + 60);
    expect(h.row0()).toBe('late2');
  });
  it('in a flood, snapshots the screen once per frame it can send, and an echo typed inside the flood is not held for it', () => {
    const h = harness();
    sessions.push(h.session);
    let snapshots = 0;
    const snapshot = h.pty.snapshot.bind(h.pty);
    h.pty.snapshot = () => {
      snapshots++;
      return snapshot();
    };
    let frames = 0;
    h.at(1000);
    h.at(1100);
    const start = h.clock.now;
    snapshots = 0;
    let shown = '';
    // 200 ms of a flood read every millisecond (4 KiB each): frames go every 20 ms (the frame pacing's floor).
    let seen = h.row0();
    for (let t = 1; t <= 200; t++) {
      h.at(start + t);
      if (h.row0() !== seen) frames++;
      seen = h.row0();
      shown = `line ${t}`;
      h.pty.show(shown, 4096);
    }
    // One snapshot per frame that can go (8 ms collection, then every 20 ms), not one per 8 ms throttle (25).
    expect(snapshots).toBeLessThanOrEqual(frames + 1);
    expect(frames).toBeLessThanOrEqual(11);
    // A key typed inside the pacing interval: its echo is snapshotted and sent as soon as it is parsed.
    h.at(start + 201);
    h.type('q');
    h.pty.show(`${shown}q`, 1);
    h.at(h.clock.now);
    expect(h.row0()).toBe(`${shown}q`);
  });

  it('acts on each deadline at the instant it wakes for, also where floating point makes (x + interval) - x fall short', () => {
    // Times from a link model (or performance.now()) are fractional. Where x + interval crosses a power of two it
    // is rounded, and (x + 8) - x can be 7.999…: a step that compared `now - x` with the interval woke, did nothing,
    // and re-armed for the same instant.
    const trap = (interval: number): number => {
      for (let x = 2048 - interval; x < 2048; x += 0.001) if (x + interval - x < interval) return x;
      throw new Error(`no x below 2048 where (x + ${interval}) - x < ${interval}`);
    };
    const sessionRow0 = (h: ReturnType<typeof harness>) => h.session.screen.lines[0]!.cells.map((c) => c.text || ' ').join('').trimEnd();

    // A snapshot is taken when it can be sent: after the collection interval (8 ms, as the throttle) from the output.
    const snapshot = harness();
    sessions.push(snapshot.session);
    snapshot.at(1000);
    const shownAt = trap(SNAPSHOT_MIN_INTERVAL_MS);
    snapshot.at(shownAt);
    snapshot.pty.show('x');
    snapshot.at(shownAt + 1);
    snapshot.pty.show('xy');
    expect(sessionRow0(snapshot)).toBe(''); // not yet: it could not be sent
    snapshot.at(shownAt + SNAPSHOT_MIN_INTERVAL_MS);
    expect(sessionRow0(snapshot)).toBe('xy');

    // An echo is acknowledged when it has settled, not at the timeout.
    const settle = harness();
    sessions.push(settle.session);
    settle.at(1000);
    const echoedAt = trap(ECHO_SETTLE_MS);
    settle.at(echoedAt - 1);
    settle.type('ab');
    settle.at(echoedAt);
    settle.pty.show('ab');
    settle.at(echoedAt + ECHO_SETTLE_MS);
    expect(settle.session.echoAck).toBe(2);

    // A key nothing answers is acknowledged at its timeout.
    const timeout = harness();
    sessions.push(timeout.session);
    timeout.at(1000);
    timeout.at(trap(ECHO_TIMEOUT_MS));
    timeout.type('s');
    const typedAt = timeout.clock.now;
    timeout.at(typedAt + ECHO_TIMEOUT_MS);
    expect(timeout.session.echoAck).toBe(1);
  });

  /** 'a' typed and echoed, then a frame of output: the frame pacing then holds whatever is not an answer. */
  const typedThenPaced = (): ReturnType<typeof harness> => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.type('a');
    h.at(1001);
    h.pty.show('a');
    h.at(1100);
    expect(h.client.remote.echoAck).toBe(1);
    h.pty.showElsewhere('flood 0', 300);
    h.at(1108);
    return h;
  };

  /** `key` typed at the prompt, and `afterMs` later the cursor gone to another pane (tmux drawing it) with no echo. */
  const typedThenCursorAway = (key: string, afterMs: number): { h: ReturnType<typeof harness>; writtenAt: number } => {
    const h = typedThenPaced();
    h.type(key);
    const writtenAt = h.clock.now;
    h.at(writtenAt + afterMs);
    h.pty.cursorAway();
    return { h, writtenAt };
  };

  it("sends a typed key's echo at once when a flood elsewhere (tmux's other pane) spent the key's unpaced frames before it (its acknowledgement carries it), and paces the flood", () => {
    const h = typedThenPaced();
    h.type('q');
    const writtenAt = h.clock.now;
    // The flood's reads (300 bytes each, every ms) keep the cursor where it was: none is the key's echo, but each
    // of the first ones goes as an answer frame (nothing tells them from a program's answer in several writes).
    for (let t = 1; t <= 11; t++) {
      h.at(writtenAt + t);
      h.pty.showElsewhere(`flood ${t}`, 300);
    }
    h.at(writtenAt + 11.5);
    h.pty.show('aq'); // the echo, the flood going on, never quiet for the settle the last unpaced frame waits for
    h.at(h.clock.now);
    expect(h.row0()).toBe('aq'); // at once, not after the collection interval and the pacing
    // Past the key's unpaced frames the flood is paced: a frame per interval, not one per read.
    const floodShown = new Set<string>();
    const row10 = (): string => h.client.remote.framebuffer.lines[10]!.cells.map((c) => c.text || ' ').join('').trimEnd();
    for (let t = 12; t <= 41; t++) {
      h.at(writtenAt + t);
      h.pty.showElsewhere(`flood ${t}`, 300);
      floodShown.add(row10());
    }
    expect(floodShown.size).toBeLessThanOrEqual(3);
    expect(h.client.remote.echoAck).toBe(2);
  });

  it('sends at once the echo of a typed key acknowledged on a screen without it (the cursor gone to another pane, or the timeout), up to ECHO_WATCH_MS after the key', () => {
    // tmux that cannot keep up moves the cursor to its other pane 3 ms after the key and draws the echo only at its
    // 100 ms redraw timer, going quiet in between: the key is acknowledged once the output has been quiet
    // ECHO_AWAY_QUIET_MS with the cursor away; its echo still goes unpaced.
    const { h: away, writtenAt } = typedThenCursorAway('q', 3);
    away.at(writtenAt + 3 + ECHO_AWAY_QUIET_MS);
    expect(away.client.remote.echoAck).toBe(2);
    away.at(writtenAt + 111);
    away.pty.show('aq');
    away.at(away.clock.now);
    expect(away.row0()).toBe('aq'); // not after the 8 ms collection interval and the pacing

    // Nothing at all until after the timeout.
    const silent = typedThenPaced();
    silent.type('q');
    const silentAt = silent.clock.now;
    silent.at(silentAt + ECHO_TIMEOUT_MS);
    expect(silent.client.remote.echoAck).toBe(2);
    silent.at(silentAt + 120);
    silent.pty.show('aq');
    silent.at(silent.clock.now);
    expect(silent.row0()).toBe('aq');

    // Written while a half-drawn screen had the cursor elsewhere: the echo is recognised by its character.
    const halfDrawn = typedThenPaced();
    halfDrawn.pty.cursorAway();
    halfDrawn.at(1140);
    halfDrawn.type('q');
    const halfDrawnAt = halfDrawn.clock.now;
    halfDrawn.at(halfDrawnAt + 3);
    halfDrawn.pty.showElsewhere('flood 1', 300); // the cursor stays away: no echo
    halfDrawn.at(halfDrawnAt + 80);
    halfDrawn.pty.show('aq');
    halfDrawn.at(halfDrawn.clock.now);
    expect(halfDrawn.row0()).toBe('aq');

    // Output elsewhere does not end the watch; the echo after ECHO_WATCH_MS is output like any other.
    const late = typedThenPaced();
    late.type('q');
    const lateAt = late.clock.now;
    late.at(lateAt + 3);
    late.pty.cursorAway();
    late.at(lateAt + 60);
    late.pty.showElsewhere('flood 1', 300);
    late.at(lateAt + ECHO_WATCH_MS + 30);
    late.pty.show('aq');
    late.at(late.clock.now);
    expect(late.row0()).toBe('a');
    late.at(late.clock.now + 60);
    expect(late.row0()).toBe('aq');
  });

  it("does not acknowledge a typed key on a screen with the cursor away from the key's row (tmux drawing its other pane) until the echo shows, and the client's guesses all stand", () => {
    const h = typedThenPaced();
    const engine = new PredictionEngine({ mode: 'always' });
    const judge = (): void => engine.onServerScreen(h.client.remote.framebuffer, h.client.remote.echoAck, h.clock.now);
    // The engine learns that typing echoes here: 'a' was confirmed.
    engine.onUserInput(new TextEncoder().encode('b'), h.client.remote.framebuffer, 2, h.clock.now);
    h.type('b');
    const writtenAt = h.clock.now;
    // tmux's other pane is redrawn with the cursor in it (3 ms after the key), and goes on being drawn there.
    h.at(writtenAt + 3);
    h.pty.cursorAway();
    h.at(writtenAt + 4);
    judge();
    for (let t = 5; t < 40; t += 2) {
      h.pty.showElsewhere(`flood ${t}`, 300);
      h.at(writtenAt + t);
      judge();
      expect(h.session.echoAck).toBe(1); // before: 2 from the cursor's move on, the guess judged on it
    }
    h.pty.show('ab'); // the echo, the cursor back after it
    h.at(h.clock.now);
    expect(h.client.remote.echoAck).toBe(2);
    judge();
    expect(engine.stats).toMatchObject({ confirmed: 1, erased: 0, discardedUnshown: 0 });
    expect(engine.pendingCount).toBe(0);
  });

  it('acknowledges a key with the cursor away within a bound: ECHO_AWAY_MAX_MS after it while the program keeps writing, ECHO_AWAY_QUIET_MS after its output stops (vim\'s j)', () => {
    // A program that keeps drawing elsewhere with the cursor there and never echoes does not stall prediction.
    const { h: busy, writtenAt: busyAt } = typedThenCursorAway('q', 3);
    let ackedAt: number | undefined;
    for (let t = 4; t <= ECHO_AWAY_MAX_MS + 10; t++) {
      busy.at(busyAt + t);
      busy.pty.showElsewhere(`flood ${t}`, 300);
      if (ackedAt === undefined && busy.session.echoAck === 2) ackedAt = busy.clock.now;
    }
    expect(ackedAt).toBe(busyAt + ECHO_AWAY_MAX_MS);

    // The cursor moved a row and nothing more (vim's j): acknowledged as an unanswered key is, after a quiet spell.
    const { h: moved, writtenAt: movedAt } = typedThenCursorAway('j', 2);
    moved.at(movedAt + 2 + ECHO_AWAY_QUIET_MS - 1);
    expect(moved.session.echoAck).toBe(1);
    moved.at(movedAt + 2 + ECHO_AWAY_QUIET_MS);
    expect(moved.session.echoAck).toBe(2);
  });

  it('sends the screen offered, not an older one, when a read that begins a hold came between the offer and the snapshot', () => {
    const h = harness((clock) => new HoldingPty(clock));
    const pty = h.pty as HoldingPty;
    sessions.push(h.session);
    h.at(1000);
    pty.atRest('zero');
    h.at(1050);
    expect(h.row0()).toBe('zero');
    pty.atRest('one!'); // offered at rest: the snapshot is due after the collection interval
    const offeredAt = h.clock.now;
    h.at(offeredAt + 4);
    pty.midWrite('tw..'); // tmux's next redraw, cut by a full read: a hold begins
    h.at(offeredAt + SNAPSHOT_MIN_INTERVAL_MS);
    expect(h.row0()).toBe('zero'); // 'one!' is gone from the pty: nothing older is sent in its place
    h.at(offeredAt + 10);
    pty.atRest('two!'); // the write ends: offered again, and taken at once (the snapshot was due)
    h.at(h.clock.now);
    expect(h.row0()).toBe('two!');
    // Before, the snapshot at offeredAt + 8 took the older screen ('zero', no change) and cleared the dirty mark, and
    // 'two!' waited for a new collection interval.
  });
});
