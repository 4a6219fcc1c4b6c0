/**
 * The session on the thin link (1 Mbit/s each way behind a 64 KB buffer, 40 ms RTT, 1 % loss), under a
 * manual clock: a program floods the screen (every line scrolls into the history), Ctrl-C brings its prompt back,
 * then keys are typed at the prompt while the history catches up. The server's real sender (screen diffs, the
 * scrollback log, congestion control) over netem's model of the path; the client is a bare transport.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LinkDirection, directionProfile } from '@tsmosh/netem';
import { Connection, SessionKey, Transport, type PeerAddress, type TransportTiming } from '@tsmosh/protocol';
import { BLANK_CELL, blankFramebuffer, blankRow, InputStream, ScreenState, ScrollbackLog, type Framebuffer, type Row } from '@tsmosh/terminal';
import { Session, type SessionPty } from './session.js';
import { ManualTimer } from './manual-timer.test-helpers.js';

const random = (length: number): Uint8Array => new Uint8Array(randomBytes(length));
const CLIENT: PeerAddress = { host: '192.0.2.7', port: 40000 };
const SERVER: PeerAddress = { host: '192.0.2.1', port: 60001 };
const RTT_MS = 40;
const THIN = directionProfile({ delayMs: RTT_MS / 2, loss: 0.01, rateBytesPerSecond: 125_000, queue: { bytes: 64 * 1024 } });
const COLS = 80;
const ROWS = 24;

const rowOf = (text: string): Row => ({ cells: Array.from({ length: COLS }, (_, x) => (x < text.length ? { ...BLANK_CELL, text: text[x]! } : BLANK_CELL)), wrapped: false });
const textOf = (row: Row): string => row.cells.map((c) => c.text || ' ').join('').trimEnd();

/**
 * `seq` in a terminal, reduced to what the session sees: each `flood(n)` scrolls n numbered lines through the
 * screen into the log; Ctrl-C stops it and shows a prompt; a typed letter at the prompt is echoed there.
 */
class FloodPty implements SessionPty {
  readonly pid = 4243;
  flooding = false;
  private next = 1;
  constructor(private readonly lineOf: (n: number) => string) {}
  private lines: Row[] = Array.from({ length: ROWS }, () => blankRow(COLS));
  private log = ScrollbackLog.empty;
  private cursor = { x: 0, y: 0 };
  private screen: Framebuffer = blankFramebuffer(COLS, ROWS);
  private frameListener: () => void = () => {};
  private prompt = '';

  write(bytes: Uint8Array): void {
    const text = new TextDecoder().decode(bytes);
    if (text.includes('\x03')) {
      this.flooding = false;
      this.scroll([rowOf('^C')]);
      this.prompt = '$ ';
      this.lines[ROWS - 1] = rowOf(this.prompt);
      this.cursor = { x: 2, y: ROWS - 1 };
      this.announce();
    } else if (!this.flooding && this.prompt !== '' && /^[a-z]+$/.test(text)) {
      this.prompt += text;
      this.lines[ROWS - 1] = rowOf(this.prompt);
      this.cursor = { x: this.prompt.length, y: ROWS - 1 };
      this.announce();
    }
  }

  /** The program writes `count` more numbers, one a line. */
  flood(count: number): void {
    const rows: Row[] = [];
    for (let i = 0; i < count; i++) rows.push(rowOf(this.lineOf(this.next++)));
    this.scroll(rows);
    this.cursor = { x: 0, y: ROWS - 1 };
    this.announce();
  }

  get logEnd(): number {
    return this.log.end;
  }

  resize(): void {}
  snapshot(): Framebuffer {
    return this.screen;
  }
  scrollback(): ScrollbackLog {
    return this.log;
  }
  onFrame(listener: () => void): void {
    this.frameListener = listener;
  }
  onExit(): void {}
  dispose(): void {}

  /** `rows` are written at the bottom: the screen's top rows leave it for the log. */
  private scroll(rows: readonly Row[]): void {
    const all = [...this.lines.slice(0, ROWS - 1), ...rows];
    const keep = all.slice(-(ROWS - 1));
    this.log = this.log.append(all.slice(0, all.length - keep.length));
    this.lines = [...keep, blankRow(COLS)];
  }

  private announce(): void {
    this.screen = Object.freeze({ ...this.screen, lines: Object.freeze([...this.lines]), cursor: { ...this.screen.cursor, ...this.cursor } });
    this.frameListener();
  }
}

interface ThinRun {
  /** ms from Ctrl-C until the client's screen shows the prompt. */
  readonly ctrlCMs: number;
  /** ms from each key typed at the prompt until the client's screen shows it. */
  readonly echoMs: number[];
  /** ms after Ctrl-C until the client held the whole history. */
  readonly historyMs: number;
  /** bytes waiting in the server → client bottleneck, the most seen after Ctrl-C. */
  readonly maxQueueAfterCtrlCBytes: number;
}

/**
 * 2.5 s of flood (200 lines every 5 ms: 40,000 lines a second, as `seq` through a pty), Ctrl-C, then ten letters at
 * the prompt 150 ms apart, run until the client holds the whole history.
 */
function floodThenPrompt(seed: number, lineOf: (n: number) => string, transportTiming?: Partial<TransportTiming>): ThinRun {
  const clock = { now: 1000 };
  const timer = new ManualTimer(clock);
  const key = SessionKey.generate(random);
  const pty = new FloodPty(lineOf);
  const down = new LinkDirection(THIN, { seed });
  const up = new LinkDirection(THIN, { seed: seed + 1 });
  const inFlight: Array<{ at: number; to: 'client' | 'server'; bytes: Uint8Array }> = [];
  const session = new Session({ key, pty, send: (d) => down.submit(d.bytes.length, clock.now).forEach((at) => inFlight.push({ at, to: 'client', bytes: d.bytes })), clock: () => clock.now, timer, transportTiming });
  const client = new Transport<InputStream, ScreenState>({
    connection: new Connection({ role: 'client', key, random, initialSeq: 1n, serverAddress: SERVER, initialRttMs: RTT_MS }),
    initialLocal: InputStream.empty(),
    initialRemote: ScreenState.initial(COLS, ROWS),
    timing: { collectionIntervalMs: 0 },
  });
  let input = InputStream.empty();
  const type = (text: string): void => {
    input = input.append({ kind: 'keys', bytes: new TextEncoder().encode(text) });
    client.setLocal(input, clock.now);
  };
  const bottomRow = (): string => textOf(client.remote.framebuffer.lines[ROWS - 1]!);

  const FLOOD_FROM = 1500;
  const CTRL_C_AT = 4000;
  const KEYS = 'abcdefghij';
  const events: Array<{ at: number; run: () => void }> = [];
  events.push({ at: 1100, run: () => type('x') }); // the session's first exchange
  events.push({ at: FLOOD_FROM, run: () => (pty.flooding = true) });
  for (let at = FLOOD_FROM; at < CTRL_C_AT; at += 5) events.push({ at, run: () => pty.flooding && pty.flood(200) });
  events.push({ at: CTRL_C_AT, run: () => type('\x03') });
  const typedAt: number[] = [];
  let promptAt: number | undefined;
  const echoAt: number[] = [];
  let historyAt: number | undefined;
  let maxQueue = 0;
  const step = (): void => {
    for (const d of client.tick(clock.now)) up.submit(d.bytes.length, clock.now).forEach((at) => inFlight.push({ at, to: 'server', bytes: d.bytes }));
    const screen = client.remote.framebuffer;
    if (promptAt === undefined && screen.cursor.x === 2 && bottomRow() === '$') {
      promptAt = clock.now;
      // Typing at the prompt, from the moment it shows.
      KEYS.split('').forEach((letter, i) => events.push({ at: clock.now + 150 * i, run: () => (typedAt.push(clock.now), type(letter)) }));
    }
    while (echoAt.length < typedAt.length && bottomRow().startsWith(`$ ${KEYS.slice(0, echoAt.length + 1)}`)) echoAt.push(clock.now);
    if (historyAt === undefined && promptAt !== undefined && client.remote.scrollback.end === pty.logEnd) historyAt = clock.now;
    if (clock.now >= CTRL_C_AT) maxQueue = Math.max(maxQueue, down.queuedBytes(clock.now));
  };
  let stepsAtOneTime = 0;
  let lastTime = clock.now;
  try {
    while (clock.now < 60_000 && (historyAt === undefined || echoAt.length < KEYS.length)) {
      stepsAtOneTime = clock.now === lastTime ? stepsAtOneTime + 1 : 0;
      lastTime = clock.now;
      if (stepsAtOneTime > 1000) throw new Error(`stuck at ${clock.now} ms: nothing moves the clock`);
      events.sort((a, b) => a.at - b.at);
      const next = Math.min(events[0]?.at ?? Infinity, timer.pending?.due ?? Infinity, client.nextWakeup(clock.now), ...inFlight.map((d) => d.at));
      timer.advanceTo(Math.max(clock.now, next));
      while (events.length > 0 && events[0]!.at <= clock.now) events.shift()!.run();
      for (const d of inFlight.filter((x) => x.at <= clock.now)) {
        if (d.to === 'server') session.receive(d.bytes, CLIENT);
        else client.receive(d.bytes, SERVER, clock.now);
      }
      inFlight.splice(0, inFlight.length, ...inFlight.filter((x) => x.at > clock.now));
      step();
    }
  } finally {
    session.kill();
  }
  return {
    ctrlCMs: (promptAt ?? Infinity) - CTRL_C_AT,
    echoMs: echoAt.map((at, i) => at - typedAt[i]!),
    historyMs: (historyAt ?? Infinity) - CTRL_C_AT,
    maxQueueAfterCtrlCBytes: maxQueue,
  };
}

describe('the session on a thin link (1 Mbit/s, 64 KB buffer, 40 ms RTT, 1 % loss)', () => {
  it('Ctrl-C in a `seq` flood brings the prompt back within 2 RTT, and keys typed at the prompt echo within 2 RTT while the history catches up', () => {
    const run = floodThenPrompt(1, (n) => String(n));
    expect(run.ctrlCMs).toBeLessThan(2 * RTT_MS);
    expect(run.echoMs).toHaveLength(10);
    for (const ms of run.echoMs) expect(ms).toBeLessThan(2 * RTT_MS);
    // The history the flood left (the log's last 10,000 lines) follows behind the prompt and the echoes.
    expect(run.historyMs).toBeLessThan(10_000);
    // Nothing waits in the buffer that an echo would queue behind.
    expect(run.maxQueueAfterCtrlCBytes).toBeLessThan(4 * 1252);
  });
});
