/**
 * The client and the server session together, under one manual clock: the real ClientSession (its runtime
 * injected: clock, timer, randomness, carrier) and the real server Session (clock, timer, randomness injected), over
 * an in-memory link with a fixed one-way delay, with a program that echoes what it is sent. No socket, no sleep:
 * time moves only when the test moves it, so every figure below is exact. The terminal front end
 * (runTerminalClient) runs on the same runtime.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionKey, TSMOSH_SERVER_TIMING, TSMOSH_TIMING as T, outageTrySpacingMs, type PeerAddress } from '@tsmosh/protocol';
import { rowText, BLANK_CELL, GLITCH_FLAG_THRESHOLD_MS, ScrollbackLog, type Framebuffer, type Row } from '@tsmosh/terminal';
import { SeededRandom } from '@tsmosh/netem';
import { FRAME_BURST, MIN_FRAME_INTERVAL_MS, connect, parseEscapeKey, runTerminalClient, type ClientStatsFile } from '@tsmosh/client';
import { Session, type SessionPty } from '@tsmosh/server';
import { ScreenPty } from '../packages/server/src/screen-pty.test-helpers.js';
import { CLIENT, SERVER, Scheduler, WALL_CLOCK_ORIGIN_MS, manualClientRuntime } from './helpers/manual-clock.js';

const ONE_WAY_MS = 50;
/** Timers one advanceTo may run: a bound on a run-away loop between the two ends. */
const MAX_STEPS = 100_000;

/** ms a program takes to echo what it read (a real pty's output always comes on a later turn of the loop). */
const ECHO_TURNAROUND_MS = 1;

/** A program whose only output is its first row, rewritten: the pty side of these tests. */
abstract class FirstRowPty extends ScreenPty {
  readonly pid = 4242;
  constructor() {
    super(80, 24);
  }
  /** The first row now reads `text`, with the cursor after it; the session hears of a new frame. */
  protected show(text: string): void {
    this.announce(this.withFirstRow(text));
  }
}

/** A program like `cat` with echo on: printable text it is sent appears on its first row ECHO_TURNAROUND_MS later. */
class EchoPty extends FirstRowPty {
  private text = '';
  constructor(private readonly scheduler: Scheduler) {
    super();
  }
  write(bytes: Uint8Array): void {
    let text = '';
    for (const byte of bytes) if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    this.scheduler.set(() => this.show((this.text += text)), ECHO_TURNAROUND_MS);
  }
}

function firstRow(screen: Framebuffer): string {
  return rowText(screen.lines[0]!);
}

/**
 * `holdDownUntil(t)`: the link holds what the server sends until t and then delivers it all at once, in order (a
 * stalled radio link letting go). `darkUntil(t)`: from now until t every datagram sent either way is lost (a
 * blackout, as the bench's netem drops them).
 */
function setUp(makePty: (scheduler: Scheduler) => SessionPty = (scheduler) => new EchoPty(scheduler), oneWayMs = ONE_WAY_MS) {
  const scheduler = new Scheduler(MAX_STEPS);
  const random = new SeededRandom(7);
  const key = SessionKey.generate((length) => random.nextBytes(length));
  const pty = makePty(scheduler);
  const datagrams = { up: 0, down: 0 };
  /** When each datagram was sent, each way (lost or not). */
  const sentAt = { up: [] as number[], down: [] as number[] };
  let heldUntil = -Infinity;
  const holdDownUntil = (time: number): void => void (heldUntil = time);
  let darkUntil = -Infinity;
  const dark = (): boolean => scheduler.now < darkUntil;
  /** Datagrams still to lose on their way: a single loss, as 1 % random loss makes one. */
  const drop = { up: 0, down: 0 };
  const lost = (way: 'up' | 'down'): boolean => {
    if (drop[way] === 0) return false;
    drop[way]--;
    return true;
  };
  const session = new Session({
    key,
    pty,
    send: (datagram) => {
      datagrams.down++;
      sentAt.down.push(scheduler.now);
      if (dark() || lost('down')) return;
      const arrival = Math.max(scheduler.now + oneWayMs, heldUntil);
      scheduler.set(() => deliverToClient(datagram.bytes, SERVER), arrival - scheduler.now);
    },
    clock: () => scheduler.now,
    timer: { set: (callback, delayMs) => scheduler.set(callback, delayMs), clear: (handle) => scheduler.clear(handle) },
    random: (length) => random.nextBytes(length),
    wallClockMs: () => WALL_CLOCK_ORIGIN_MS + scheduler.now,
  });
  const { runtime, deliverToClient } = manualClientRuntime(
    scheduler,
    (length) => random.nextBytes(length),
    (bytes) => {
      datagrams.up++;
      sentAt.up.push(scheduler.now);
      if (dark() || lost('up')) return;
      scheduler.set(() => session.receive(bytes, CLIENT), oneWayMs);
    },
  );
  return { scheduler, session, datagrams, sentAt, runtime, key, holdDownUntil, darkUntil: (time: number): void => void (darkUntil = time), drop };
}

function setUpSession(oneWayMs = ONE_WAY_MS) {
  const world = setUp(undefined, oneWayMs);
  const client = connect({ host: SERVER.host, port: SERVER.port, key: world.key.toString(), cols: 80, rows: 24, initialRttMs: Math.max(1, 2 * oneWayMs), runtime: world.runtime });
  return { ...world, client };
}

/** 'a' typed at 1 s and on screen by 1.5 s; from then on, when each first row was first shown. */
async function typedAThenWatched({ scheduler, client }: ReturnType<typeof setUpSession>): Promise<Map<string, number>> {
  await scheduler.advanceTo(1000);
  client.write('a');
  await scheduler.advanceTo(1500);
  const shownAt = new Map<string, number>();
  client.on('screen', (screen) => {
    const row = firstRow(screen);
    if (!shownAt.has(row)) shownAt.set(row, scheduler.now);
  });
  return shownAt;
}

describe('a client and a server session under one manual clock', () => {
  it('brings a typed key and a paste to the screen one round trip after they are typed, to the millisecond', async () => {
    const { scheduler, client, session } = setUpSession();
    await scheduler.advanceTo(1000);
    expect(client.status.connected).toBe(true);
    expect(client.status.srttMs).toBe(2 * ONE_WAY_MS);

    const shownAt = new Map<string, number>();
    client.on('screen', (screen) => {
      const row = firstRow(screen);
      if (!shownAt.has(row)) shownAt.set(row, scheduler.now);
    });
    const typedAt = scheduler.now;
    client.write('h');
    await scheduler.advanceTo(typedAt + 1000);
    // One way up, the program's turnaround, the echo sent at once (a typed character waits for no settle), one way
    // down: nothing of tsmosh's own on the path.
    expect(shownAt.get('h')! - typedAt).toBe(2 * ONE_WAY_MS + ECHO_TURNAROUND_MS);
    expect(session.echoAck).toBe(client.inputPositionAfter(0));

    // A paste may be answered in several writes: its echo is still sent as soon as it is parsed (later writes would
    // follow in frames of their own), and only its acknowledgement waits ECHO_SETTLE_MS (2 ms) of quiet.
    const pastedAt = scheduler.now;
    client.write('ello');
    await scheduler.advanceTo(pastedAt + 1000);
    expect(shownAt.get('hello')! - pastedAt).toBe(2 * ONE_WAY_MS + ECHO_TURNAROUND_MS);
    expect(session.echoAck).toBe(client.inputPositionAfter(0));
  });

  it('a fast typist: the echo after the last key of a burst, acked by the client\'s delayed ack, is not judged lost nor copied', async () => {
    // Loopback: 0.2 ms each way.
    const { scheduler, client, datagrams } = setUpSession(0.2);
    await scheduler.advanceTo(1000);
    // Keys 40 ms apart (a fast typist's burst): each carries the ack of an echo, so the server sees acks sooner than
    // the client's delayed ack, which alone acknowledges the echo of a burst's last key.
    const bursts = 5; // 75 characters: the first row holds them all
    const keysPerBurst = 15;
    const before = { ...datagrams };
    let typed = '';
    for (let burst = 0; burst < bursts; burst++) {
      for (let key = 0; key < keysPerBurst; key++) {
        const char = String.fromCharCode(97 + ((burst + key) % 26));
        typed += char;
        client.write(char);
        await scheduler.advanceTo(scheduler.now + 40);
      }
      await scheduler.advanceTo(scheduler.now + 700);
    }
    expect(firstRow(client.screen)).toBe(typed.slice(0, 80));
    // A frame per echo, the acks riding on them and on the client's keys, at most a resend per burst: no copies. With
    // each burst's last echo judged lost when the client's delayed ack came after the timer learned from the keys'
    // acks, the loss estimate turned copies on: 96 datagrams down here instead of 75.
    expect(datagrams.down - before.down).toBeLessThanOrEqual(bursts * (keysPerBurst + 2));
  });

  it('keys into a prompt that shows nothing (a password) are not judged lost before the echo acknowledgement, and get no copies', async () => {
    // Loopback: 0.2 ms each way. The client's resend timer learned ~1 ms from the first round trips; a key with no
    // echo is acknowledged only by the server's echo acknowledgement, ECHO_ACK_TIMEOUT_MS after it arrives.
    class SilentPty extends FirstRowPty {
      write(): void {}
    }
    const world = setUp(() => new SilentPty(), 0.2);
    const client = connect({ host: SERVER.host, port: SERVER.port, key: world.key.toString(), cols: 80, rows: 24, initialRttMs: 1, runtime: world.runtime });
    const { scheduler, datagrams } = world;
    await scheduler.advanceTo(1000);
    const before = { ...datagrams };
    const keys = 40;
    for (let key = 0; key < keys; key++) {
      client.write('s');
      await scheduler.advanceTo(scheduler.now + 150);
    }
    expect(world.session.echoAck).toBe(client.inputPositionAfter(0)); // every key reached the program and was acknowledged
    // Its ack rides on the echo acknowledgement's frame, after the client's timer (learned from the first round trips)
    // resent the key once. Judged lost on that late ack, the keys soon went in copies: 232 datagrams up for 40 keys.
    expect(client.transportStats?.redundantCopies).toBe(0);
    expect(datagrams.up - before.up).toBeLessThanOrEqual(2 * keys + 2);
  });

  it('after a 2 s blackout, the keys typed in it are on screen within the outage\'s try spacing and a round trip of its end', async () => {
    const world = setUpSession();
    const { scheduler, client, darkUntil } = world;
    const shownAt = await typedAThenWatched(world);
    const blackoutEnd = scheduler.now + 2000;
    darkUntil(blackoutEnd);
    // Keys early in the blackout, as in the bench's trace: their resends have backed off to their ceiling by its end.
    const firstKeyAt = scheduler.now + 120;
    for (const key of 'bcd') {
      await scheduler.advanceTo(scheduler.now + 120);
      client.write(key);
    }
    await scheduler.advanceTo(blackoutEnd + 2000);
    expect(firstRow(client.screen)).toBe('abcd');
    // Once the silence reads as an outage, the client tries every SRTT/4 (25 ms) in single copies, thinning to 1/70
    // of the outage from 1.75 s of it: the first try after the link returns leaves within 27 ms of it, where the
    // backed-off timer's ceiling (150 ms) let it wait up to that. Then a round trip and the program's turnaround.
    const spacing = outageTrySpacingMs(blackoutEnd - firstKeyAt, (2 * ONE_WAY_MS) / 4, T.outageTryFraction, T.outageTryMaxMs);
    expect(spacing).toBe(27);
    expect(shownAt.get('abcd')! - blackoutEnd).toBeLessThanOrEqual(spacing + 2 * ONE_WAY_MS + ECHO_TURNAROUND_MS);
    expect(client.transportStats?.resends).toBeGreaterThan(0);
  });

  it('after a 2 s blackout, keys typed once it is over cost the datagrams they cost without one: the blackout\'s lost datagrams are no loss to either end, so no spaced copies', async () => {
    /**
     * Datagrams each way for ten keys typed 300 ms apart, 2 s after a 2 s spell (dark or not) with keys in it;
     * `answerInFlight`: a key typed 45 ms before the spell, so that its echo leaves into the dark.
     */
    const afterSpell = async (dark: boolean, answerInFlight = false) => {
      const world = setUpSession();
      const { scheduler, client, darkUntil, datagrams } = world;
      await typedAThenWatched(world);
      if (answerInFlight) {
        client.write('B');
        await scheduler.advanceTo(scheduler.now + ONE_WAY_MS - 5);
      }
      const spellEnd = scheduler.now + 2000;
      if (dark) darkUntil(spellEnd);
      for (const key of 'bcd') {
        await scheduler.advanceTo(scheduler.now + 120);
        client.write(key);
      }
      await scheduler.advanceTo(spellEnd + 2000);
      const before = { ...datagrams };
      for (const key of 'efghijklmn') {
        await scheduler.advanceTo(scheduler.now + 300);
        client.write(key);
      }
      await scheduler.advanceTo(scheduler.now + 1000);
      expect(firstRow(client.screen)).toBe(answerInFlight ? 'aBbcdefghijklmn' : 'abcdefghijklmn');
      return { up: datagrams.up - before.up, down: datagrams.down - before.down, clientSpaced: client.transportStats?.spacedCopies };
    };
    const clear = await afterSpell(false);
    // The daemon had nothing to send in the dark, so it never suspected an outage; it found 16+ of the client's
    // tries missing behind the first datagram after 2 s of silence (1cab82b): before, that read as loss and each
    // echo went twice for a minute (down 20 where 10).
    expect(await afterSpell(true)).toEqual(clear);
    expect(clear).toEqual({ up: 20, down: 10, clientSpaced: 0 });
    // The daemon's echo left into the dark: it resent it every 600 ms (its resend delay here includes the client's
    // ack hold), 2.4 s before it would suspect an outage, and judged the tries lost; the client, which did suspect
    // one, still noted the daemon's tries missing behind the silence's end. Both went into copies for the next keys
    // (up 31 and down 30 where 20 and 10) until one step undid the silence at either end.
    expect(await afterSpell(true, true)).toEqual(await afterSpell(false, true));
    expect(await afterSpell(false, true)).toEqual(clear);
  });

  it('once the link has lost something, a key or an echo lost on its way costs 10 ms (its spaced second copy), not a resend timeout', async () => {
    const { scheduler, client, drop, session } = setUpSession();
    await scheduler.advanceTo(1000);
    const shownAt = new Map<string, number>();
    client.on('screen', (screen) => {
      const row = firstRow(screen);
      if (!shownAt.has(row)) shownAt.set(row, scheduler.now);
    });
    // A clean start: keys and echoes in single copies.
    for (const key of 'ab') {
      client.write(key);
      await scheduler.advanceTo(scheduler.now + 300);
    }
    expect(client.transportStats?.spacedCopies).toBe(0);
    // One key's datagram and one echo lost (the resend timers make them good): both ends have now seen loss.
    drop.up = 1;
    client.write('c');
    await scheduler.advanceTo(scheduler.now + 300);
    drop.down = 1;
    client.write('d');
    await scheduler.advanceTo(scheduler.now + 1000);
    expect(firstRow(client.screen)).toBe('abcd');
    // 20 clean keys: the loss estimates fall back under the copies' threshold (a 1 % link's), single copies again.
    let typed = 'abcd';
    for (let i = 0; i < 20; i++) {
      typed += 'k';
      client.write('k');
      await scheduler.advanceTo(scheduler.now + 300);
    }
    expect(firstRow(client.screen)).toBe(typed);

    drop.up = 1;
    const keyAt = scheduler.now;
    client.write('e');
    await scheduler.advanceTo(keyAt + 1000);
    expect(shownAt.get(`${typed}e`)! - keyAt).toBe(T.awaitedRepeatAfterMs + 2 * ONE_WAY_MS + ECHO_TURNAROUND_MS);
    drop.down = 1;
    const echoAt = scheduler.now;
    client.write('f');
    await scheduler.advanceTo(echoAt + 1000);
    expect(shownAt.get(`${typed}ef`)! - echoAt).toBe(2 * ONE_WAY_MS + ECHO_TURNAROUND_MS + T.awaitedRepeatAfterMs);
    expect(session.echoAck).toBe(client.inputPositionAfter(0));
  });

  it('through a 60 s blackout with keys typed in it, tries thinning with its length at both ends, and catches up within 1/70 of it and a round trip', async () => {
    const world = setUpSession();
    const { scheduler, client, darkUntil, sentAt } = world;
    const shownAt = await typedAThenWatched(world);
    const blackoutStart = scheduler.now;
    const blackoutEnd = blackoutStart + 60_000;
    darkUntil(blackoutEnd);
    // A key every 2 s through the blackout, the first 120 ms into it, the last 1.88 s before its end.
    let typed = 'a';
    const firstKeyAt = blackoutStart + 120;
    for (let at = firstKeyAt, i = 0; at < blackoutEnd; at += 2000, i++) {
      await scheduler.advanceTo(at);
      const key = String.fromCharCode(98 + (i % 25));
      client.write(key);
      typed += key;
    }
    await scheduler.advanceTo(blackoutEnd + 5000);
    expect(firstRow(client.screen)).toBe(typed);
    const during = (times: number[]): number[] => times.filter((at) => at >= blackoutStart && at < blackoutEnd);
    // The client: every 25 ms for the first 1.75 s of the outage, then 1/70 of it (0.86 s at its end): 283 datagrams.
    // At dbcdbe2 365 (every 25 ms for 10 s, then the keys and the heartbeats).
    const up = during(sentAt.up);
    expect(up.length).toBe(283);
    const clientSpacing = outageTrySpacingMs(blackoutEnd - firstKeyAt, (2 * ONE_WAY_MS) / 4, T.outageTryFraction, T.outageTryMaxMs);
    expect(clientSpacing).toBe(855);
    for (let i = 1; i < up.length; i++) expect(up[i]! - up[i - 1]!).toBeLessThanOrEqual(clientSpacing);
    // The daemon, with nothing unacknowledged (no key reached it): heartbeats, thinning to 1/10 of the silence past
    // 30 s of it: 17 (20 at dbcdbe2).
    const down = during(sentAt.down);
    expect(down.length).toBe(17);
    const serverSpacing = outageTrySpacingMs(blackoutEnd - blackoutStart, ONE_WAY_MS, TSMOSH_SERVER_TIMING.outageTryFraction!, TSMOSH_SERVER_TIMING.outageTryMaxMs!);
    for (let i = 1; i < down.length; i++) expect(down[i]! - down[i - 1]!).toBeLessThanOrEqual(serverSpacing);
    // The first try after the return leaves within the client's spacing (here 793 ms after it, the keys on screen
    // 894 ms after it; at dbcdbe2 the next heartbeat 1120 ms after it, the keys at 1221 ms).
    expect(sentAt.up.find((at) => at >= blackoutEnd)! - blackoutEnd).toBe(793);
    expect(shownAt.get(typed)! - blackoutEnd).toBe(894);
    expect(shownAt.get(typed)! - blackoutEnd).toBeLessThanOrEqual(clientSpacing + 2 * ONE_WAY_MS + ECHO_TURNAROUND_MS);
  });

  it('through an hour-long blackout with nothing typed, the client probes at most 20 times a minute and the daemon once, and the output is on screen within 3 s and a round trip of its end', async () => {
    class PrintingPty extends EchoPty {
      print(text: string): void {
        this.show(text);
      }
    }
    let pty: PrintingPty | undefined;
    const world = setUp((scheduler) => (pty = new PrintingPty(scheduler)));
    const { scheduler, darkUntil, sentAt } = world;
    const client = connect({ host: SERVER.host, port: SERVER.port, key: world.key.toString(), cols: 80, rows: 24, initialRttMs: 2 * ONE_WAY_MS, runtime: world.runtime });
    await scheduler.advanceTo(1000);
    client.write('a');
    await scheduler.advanceTo(1500);
    const blackoutStart = scheduler.now;
    const blackoutEnd = blackoutStart + 3_600_000;
    darkUntil(blackoutEnd);
    // The program writes once, early in the blackout: the daemon has a screen to deliver all the way through.
    await scheduler.advanceTo(blackoutStart + 500);
    pty!.print('a done');
    let shownAt: number | undefined;
    client.on('screen', (screen) => void (shownAt ??= firstRow(screen) === 'a done' ? scheduler.now : undefined));
    await scheduler.advanceTo(blackoutEnd + 10_000);
    expect(firstRow(client.screen)).toBe('a done');
    expect(shownAt! - blackoutEnd).toBeLessThanOrEqual(T.outageTryMaxMs + 2 * ONE_WAY_MS);
    const within = (times: number[], from: number, to: number): number => times.filter((at) => at >= from && at < to).length;
    const minute = 60_000;
    const counts = (times: number[]) => ({
      first10s: within(times, blackoutStart, blackoutStart + 10_000),
      firstMinute: within(times, blackoutStart, blackoutStart + minute),
      firstHour: within(times, blackoutStart, blackoutEnd),
      lastMinute: within(times, blackoutEnd - minute, blackoutEnd),
    });
    // The client probes from 3.5 s of silence once per 250 ms, thinning to 1/70 of the silence from 17.5 s and to its
    // heartbeat's 3 s from 210 s: the output is back within 3 s and a round trip however long the outage. At
    // dbcdbe2: 27, 43, 1223 and 20 (probes for 10 s, then heartbeats).
    expect(counts(sentAt.up)).toEqual({ first10s: 29, firstMinute: 145, firstHour: 1363, lastMinute: 20 });
    // The daemon tries its screen every frame interval for half a second, then at 1/10 of the outage, once a minute
    // from 10 min: at dbcdbe2 141, 157, 1337 and 20 (every frame interval for 10 s, then heartbeats for ever).
    expect(counts(sentAt.down)).toEqual({ first10s: 20, firstMinute: 39, firstHour: 113, lastMinute: 1 });
    expect(sentAt.up.find((at) => at >= blackoutEnd)! - blackoutEnd).toBeLessThanOrEqual(T.outageTryMaxMs);
  });

  describe('the history of a flood (the server sends it a window per acknowledged state)', () => {
    /** Prints `linesPerWrite` numbered lines every WRITE_MS from `start` for `forMs`; every line scrolls into the log. */
    const WRITE_MS = 5;
    class ScrollingPty extends ScreenPty {
      readonly pid = 4245;
      private log = ScrollbackLog.empty;
      private printed = 0;
      constructor(scheduler: Scheduler, linesPerWrite: number, start: number, forMs: number) {
        super(80, 24);
        const write = (): void => {
          const lines: Row[] = [];
          for (let i = 0; i < linesPerWrite; i++) lines.push(textRow(String(++this.printed)));
          this.log = this.log.append(lines);
          this.announce({ ...this.screen, lines: [textRow(`line ${this.printed}`), ...this.screen.lines.slice(1)] });
          if (scheduler.now + WRITE_MS < start + forMs) scheduler.set(write, WRITE_MS);
        };
        scheduler.set(write, start - scheduler.now);
      }
      write(): void {}
      scrollback(): ScrollbackLog {
        return this.log;
      }
      get logged(): ScrollbackLog {
        return this.log;
      }
    }
    const textRow = (text: string): Row => ({ cells: Array.from({ length: 80 }, (_, x) => (x < text.length ? { ...BLANK_CELL, text: text[x]! } : BLANK_CELL)), wrapped: false });
    /** Runs the program on a loopback-like link; counts the client's datagrams while it prints and the windows that started past the one before. */
    async function flood(linesPerWrite: number) {
      let pty: ScrollingPty | undefined;
      const start = 1000;
      const forMs = 2000;
      const world = setUp((scheduler) => (pty = new ScrollingPty(scheduler, linesPerWrite, start, forMs)), 0.5);
      const client = connect({ host: SERVER.host, port: SERVER.port, key: world.key.toString(), cols: 80, rows: 24, initialRttMs: 1, runtime: world.runtime });
      let gaps = 0;
      let endBefore = 0;
      /** States that brought history while the program printed. */
      let windowsDuring = 0;
      client.on('screen', () => {
        if (endBefore > 0 && client.scrollback.start > endBefore) gaps++;
        if (client.scrollback.end > endBefore && world.scheduler.now > start && world.scheduler.now <= start + forMs) windowsDuring++;
        endBefore = client.scrollback.end;
      });
      await world.scheduler.advanceTo(start);
      const upBefore = world.datagrams.up;
      await world.scheduler.advanceTo(start + forMs);
      const upDuring = world.datagrams.up - upBefore;
      const logged = pty!.logged;
      let caughtUpAt: number | undefined;
      client.on('screen', () => void (caughtUpAt ??= client.scrollback.end === logged.end ? world.scheduler.now : undefined));
      await world.scheduler.advanceTo(start + forMs + 5000);
      // Exact either way: the client holds the log's window, line for line.
      expect(client.scrollback.end).toBe(logged.end);
      expect(client.scrollback.start).toBe(logged.start);
      for (const position of [logged.start, logged.end - 1]) expect(client.scrollback.plainText(position)).toBe(logged.plainText(position));
      return { upDuring, gaps, windowsDuring, catchUpMs: caughtUpAt! - (start + forMs) };
    }

    it('output that outruns the history: no window goes while it runs, the client acknowledges at its delay, and the history ends as the log after one gap', async () => {
      // 1,000 lines every 5 ms: the log's 10,000 lines turn over every 50 ms, faster than any window could follow.
      const { upDuring, gaps, windowsDuring, catchUpMs } = await flood(1000);
      // A window a frame, each past the one before (a marker line each in the user's history), went before: 98 gaps,
      // and the client acknowledged each window at once, a datagram a frame (100 in the 2 s). Now the window offered
      // before the log ran ahead stays until the output stops; then one gap, and the log's last lines.
      // (The first few go before the log has turned over: 10,000 lines, 50 ms.)
      expect(windowsDuring).toBeLessThanOrEqual(50 / 20 + 1);
      expect(gaps).toBe(1);
      expect(upDuring).toBeLessThanOrEqual(2000 / T.ackDelayMs + 2);
      // The last 10,000 lines (40 windows) come a window per frame once the output stops.
      expect(catchUpMs).toBeLessThanOrEqual(45 * 20);
    });

    it("a client that attaches to a session past its log's first 10,000 lines catches up while output it can keep up with goes on (never held)", async () => {
      // 10 lines every 5 ms (2,000 a second) from 1 s for 12 s; the client attaches at 8 s, 14,000 lines in.
      let pty: ScrollingPty | undefined;
      const world = setUp((scheduler) => (pty = new ScrollingPty(scheduler, 10, 1000, 12_000)), 0.5);
      await world.scheduler.advanceTo(8000);
      const client = connect({ host: SERVER.host, port: SERVER.port, key: world.key.toString(), cols: 80, rows: 24, initialRttMs: 1, runtime: world.runtime });
      expect(pty!.logged.start).toBeGreaterThan(0);
      // Two seconds later, the output still running: the client holds the log's window to within a window of its end.
      await world.scheduler.advanceTo(10_000);
      expect(client.scrollback.end).toBeGreaterThanOrEqual(pty!.logged.end - 256);
      expect(client.scrollback.start).toBeLessThanOrEqual(pty!.logged.start + 1000);
    });

    it('output the history keeps up with: every window is acknowledged at once, and no line is dropped', async () => {
      // 40 lines every 5 ms (8,000 a second): a 256-line window per 20 ms frame carries them all, if asked for at once.
      const { gaps, upDuring } = await flood(40);
      expect(gaps).toBe(0);
      expect(upDuring).toBeGreaterThan(2000 / 20 - 5);
    });
  });

  it("a program that ended before its client was heard still reaches a client whose window is not the session's size", async () => {
    // `tsmosh host -- cmd` with a quick cmd: the program printed and exited before the client's first datagram (which
    // carries its window size), so the session's last screen stays at the session's size. Both ends' state 0 must be
    // the same screen for the final state's diff to apply: when the client took its window's size for it, the diff
    // was refused, and the client ended with no screen and no exit status (status 0 for a command that failed).
    class QuickPty extends ScreenPty {
      readonly pid = 4343;
      private exitListener: ((exitCode: number, signal: number | undefined) => void) | undefined;
      constructor(scheduler: Scheduler) {
        super(80, 24);
        scheduler.set(() => {
          this.announce(this.withFirstRow('quick-42'));
          this.exitListener?.(3, undefined);
        }, 1);
      }
      write(): void {}
      override onExit(listener: (exitCode: number, signal: number | undefined) => void): void {
        this.exitListener = listener;
      }
    }
    const world = setUp((scheduler) => new QuickPty(scheduler));
    await world.scheduler.advanceTo(10); // the program has come and gone before the client starts
    const client = connect({ host: SERVER.host, port: SERVER.port, key: world.key.toString(), cols: 100, rows: 30, initialRttMs: 2 * ONE_WAY_MS, runtime: world.runtime });
    await world.scheduler.advanceTo(2000);
    const exit = await client.done;
    expect(exit).toMatchObject({ reason: 'remote-exit', ending: { kind: 'command-exited', exitCode: 3 }, message: 'tsmosh: the remote command exited with status 3.' });
    expect(firstRow(client.screen)).toBe('quick-42');
  });

  it('a long session does not keep its acknowledged keys: after thousands of keys the client holds only those in flight, the daemon none it has written', async () => {
    /** Shows how many bytes it has read: every key changes the screen, as an echo does. */
    class CountingPty extends FirstRowPty {
      private read = 0;
      constructor(private readonly scheduler: Scheduler) {
        super();
      }
      write(bytes: Uint8Array): void {
        this.read += bytes.length;
        const shown = String(this.read);
        this.scheduler.set(() => this.show(shown), ECHO_TURNAROUND_MS);
      }
    }
    const world = setUp((scheduler) => new CountingPty(scheduler));
    const client = connect({ host: SERVER.host, port: SERVER.port, key: world.key.toString(), cols: 80, rows: 24, initialRttMs: 2 * ONE_WAY_MS, runtime: world.runtime });
    const { scheduler } = world;
    await scheduler.advanceTo(1000);
    const keys = 1500;
    for (let i = 0; i < keys; i++) {
      client.write(String.fromCharCode(97 + (i % 26)));
      await scheduler.advanceTo(scheduler.now + 30);
    }
    await scheduler.advanceTo(scheduler.now + 1000);
    expect(firstRow(client.screen).trim()).toBe(String(keys));
    // Everything typed is acknowledged; the next key is all the client still holds (it held every key before: 1502).
    client.write('z');
    expect(client.heldInputEvents).toBe(1);
    // The daemon's side of the link, likewise: what it has written into the pty is no longer held.
    expect(world.session.heldInputEvents).toBe(0);
    await scheduler.advanceTo(scheduler.now + 1000);
    expect(firstRow(client.screen).trim()).toBe(String(keys + 1));
  });

  it('stays quiet when idle: one heartbeat each way per 3 s, and closes with the shutdown handshake', async () => {
    const { scheduler, client, datagrams } = setUpSession();
    await scheduler.advanceTo(2000);
    const before = { ...datagrams };
    await scheduler.advanceTo(32_000);
    // 30 s idle: about ten heartbeats each way, each answered by the other side's acknowledgement at most.
    expect(datagrams.up - before.up).toBeLessThanOrEqual(22);
    expect(datagrams.down - before.down).toBeLessThanOrEqual(22);
    expect(datagrams.up - before.up).toBeGreaterThanOrEqual(9);
    const closing = client.close();
    await scheduler.advanceTo(scheduler.now + 1000);
    expect((await closing).reason).toBe('user');
  });
});

/** What the front end wrote to its terminal (not a tty: 80x24, no raw mode), each write with the manual time it came. */
class RecordedTerminal extends EventEmitter {
  readonly isTTY = false;
  readonly writes: Array<{ at: number; text: string }> = [];
  constructor(private readonly scheduler: Scheduler) {
    super();
  }
  write(text: string): boolean {
    this.writes.push({ at: this.scheduler.now, text });
    return true;
  }
}

/** A program that redraws its first row every TICK_MS (a progress counter), TICKS times. */
const TICK_MS = 5;
const TICKS = 600;
class TickerPty extends FirstRowPty {
  private ticks = 0;
  constructor(scheduler: Scheduler) {
    super();
    const tick = (): void => {
      this.show(`tick ${++this.ticks}`);
      if (this.ticks < TICKS) scheduler.set(tick, TICK_MS);
    };
    scheduler.set(tick, TICK_MS);
  }
  write(): void {}
}

/**
 * A flood like TickerPty's that Ctrl-C ends: the program writes `answer` after the key, each [ms after it, first row]
 * (by default its prompt, ECHO_TURNAROUND_MS after the key).
 */
class InterruptiblePty extends FirstRowPty {
  private ticks = 0;
  private interrupted = false;
  constructor(
    private readonly scheduler: Scheduler,
    private readonly answer: (ticks: number) => ReadonlyArray<readonly [number, string]> = () => [[ECHO_TURNAROUND_MS, `^C ${COMMAND_PROMPT}`]],
  ) {
    super();
    const tick = (): void => {
      if (this.interrupted) return;
      this.show(`tick ${++this.ticks}`);
      if (this.ticks < TICKS) scheduler.set(tick, TICK_MS);
    };
    scheduler.set(tick, TICK_MS);
  }
  write(bytes: Uint8Array): void {
    if (!bytes.includes(0x03)) return;
    this.interrupted = true;
    for (const [afterMs, text] of this.answer(this.ticks)) this.scheduler.set(() => this.show(text), afterMs);
  }
}

/**
 * A flood in tmux that Ctrl-C ends, as traced on the thin link (docs/benchmarks-journal.md, session 25): the flood's
 * last line is drawn ECHO_TURNAROUND_MS after the key, the output goes quiet (the server acknowledges the key there),
 * and tmux draws its prompt TMUX_PROMPT_AFTER_MS after the key, in a write of its own.
 */
const TMUX_PROMPT_AFTER_MS = 6;
const tmuxInterruptible = (scheduler: Scheduler): InterruptiblePty =>
  new InterruptiblePty(scheduler, (ticks) => [
    [ECHO_TURNAROUND_MS, `tick ${ticks + 1}`],
    [TMUX_PROMPT_AFTER_MS, `^C ${COMMAND_PROMPT}`],
  ]);

/** The terminal front end on `world`'s runtime; keys arrive as a tty's 'data' events, at the manual time they are typed. */
function startFrontEnd(world: ReturnType<typeof setUp>, predict?: 'always' | 'never') {
  const input = Object.assign(new EventEmitter(), { isTTY: false, resume: () => input, pause: () => input });
  const output = new RecordedTerminal(world.scheduler);
  const finished = runTerminalClient({
    host: SERVER.host,
    port: SERVER.port,
    key: world.key.toString(),
    input: input as unknown as NodeJS.ReadStream,
    output: output as unknown as NodeJS.WriteStream,
    escapeKey: parseEscapeKey(undefined),
    initialRttMs: 2 * ONE_WAY_MS,
    runtime: world.runtime,
    ...(predict === undefined ? {} : { predict }),
  });
  return { ...world, input, output, finished };
}

describe('the terminal front end under the same manual clock', () => {
  it('draws a burst of screens at once (FRAME_BURST) and then one per frame interval on its own timer, and quits with the escape key', async () => {
    const { scheduler, holdDownUntil, input, output, finished } = startFrontEnd(setUp((clock) => new TickerPty(clock)));
    await scheduler.advanceTo(1000);
    // The link holds the server's screens for half a second, then hands them over in one instant.
    const releasedAt = 1500;
    holdDownUntil(releasedAt);
    await scheduler.advanceTo(releasedAt - 1);
    const before = output.writes.length;
    await scheduler.advanceTo(releasedAt + 3 * MIN_FRAME_INTERVAL_MS);
    const draws = output.writes.slice(before).map((write) => write.at - releasedAt);
    // FRAME_BURST frames back to back as the screens arrive, then the frame pacing's timer: the injected one (under
    // Node's, nothing more would be drawn while the manual clock stands still).
    expect(draws.slice(0, FRAME_BURST + 1)).toEqual([...new Array<number>(FRAME_BURST).fill(0), MIN_FRAME_INTERVAL_MS]);

    input.emit('data', Buffer.from('\x1e.')); // Ctrl-^ . : quit, with the shutdown handshake on the manual clock
    await scheduler.advanceTo(scheduler.now + 1000);
    const result = await finished;
    expect(result.exit?.reason).toBe('user');
    expect(result.exitCode).toBe(0);
  });

  it("redraws a guess whose echo is late by its row when the engine's timer wakes it, not by a whole frame", async () => {
    // The stats file counts how each wake-up was drawn; the front end reads the variable as it starts.
    const dir = mkdtempSync(join(tmpdir(), 'tsmosh-wake-'));
    const statsFile = join(dir, 'stats.json');
    process.env.TSMOSH_CLIENT_STATS_FILE = statsFile;
    try {
      const { scheduler, holdDownUntil, input, output, finished } = startFrontEnd(setUp(), 'always');
      await scheduler.advanceTo(1000);
      input.emit('data', Buffer.from('a')); // echoed a round trip later: the guesses' epoch is confirmed
      await scheduler.advanceTo(1500);
      // The next echo is held past GLITCH_FLAG_THRESHOLD_MS: then the engine's timer wakes and underlines the late
      // guess (the link is glitching), with nothing else to draw: by the guess's row.
      holdDownUntil(1500 + GLITCH_FLAG_THRESHOLD_MS + 500);
      input.emit('data', Buffer.from('b'));
      const typedAt = scheduler.now;
      await scheduler.advanceTo(typedAt + GLITCH_FLAG_THRESHOLD_MS + 20);
      const atWake = output.writes.filter((write) => write.at === typedAt + GLITCH_FLAG_THRESHOLD_MS).map((write) => write.text).join('');
      expect(atWake).toContain('b');
      expect(atWake).toMatch(/\x1b\[[0-9;]*4[0-9;]*m/); // the guess, now underlined
      await scheduler.advanceTo(1500 + GLITCH_FLAG_THRESHOLD_MS + 1000);
      expect(output.writes.at(-1)?.text).toContain('b'); // the echo: the guess's underline gone
      input.emit('data', Buffer.from('\x1e.'));
      await scheduler.advanceTo(scheduler.now + 1000);
      expect((await finished).exitCode).toBe(0);
      const { keyDraws } = JSON.parse(readFileSync(statsFile, 'utf8')) as ClientStatsFile;
      expect(keyDraws?.rows).toBe(2);
      expect(keyDraws?.wakeRows).toBeGreaterThanOrEqual(1);
    } finally {
      delete process.env.TSMOSH_CLIENT_STATS_FILE;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws a key whose guess shows before sending it, and sends Enter, or any key while guesses are not shown, before its draw', async () => {
    for (const [predict, key, sentBeforeDraw] of [
      ['always', 'a', false],
      ['always', '\r', true],
      // Adaptive prediction on this 100 ms link shows guesses: 'never' stands for a fast link's hidden ones.
      ['never', 'a', true],
    ] as const) {
      const what = `${predict} ${JSON.stringify(key)}`;
      const { scheduler, holdDownUntil, input, output, datagrams, finished } = startFrontEnd(setUp((clock) => new TickerPty(clock)), predict);
      // Each write to the terminal notes how many datagrams the client had sent by then.
      const sentAtWrite = new Map<number, number>();
      const record = output.write.bind(output);
      output.write = (text: string) => {
        sentAtWrite.set(output.writes.length, datagrams.up);
        return record(text);
      };
      // A burst of the ticker's frames in one instant: FRAME_BURST drawn, the next waits for the frame pacing, so the
      // key's draw (a whole frame while one waits) writes it at once and its order against the send is seen.
      holdDownUntil(1500);
      await scheduler.advanceTo(1500 + MIN_FRAME_INTERVAL_MS / 2);
      const before = output.writes.length;
      const sentBefore = datagrams.up;
      input.emit('data', Buffer.from(key));
      expect(datagrams.up, `${what}: sent at once`).toBe(sentBefore + 1);
      expect(output.writes.length, `${what}: drawn at once`).toBeGreaterThan(before);
      expect(sentAtWrite.get(before), `${what}: sent before the draw`).toBe(sentBeforeDraw ? sentBefore + 1 : sentBefore);
      input.emit('data', Buffer.from('\x1e.'));
      await scheduler.advanceTo(scheduler.now + 1000);
      expect((await finished).exitCode).toBe(0);
    }
  });

  /**
   * The link holds a flood's screens and hands them over in one instant: they use up the pacing's burst, so the next
   * server frame may be drawn only a frame interval later. Ctrl-C is typed so that its answer arrives a few ms after
   * that instant. Returns when the answer has had time to be drawn.
   */
  async function ctrlCAfterSpentBurst(pty: Parameters<typeof setUp>[0]) {
    const frontEnd = startFrontEnd(setUp(pty));
    const { scheduler, holdDownUntil, input, output } = frontEnd;
    await scheduler.advanceTo(1000);
    const releasedAt = 1500;
    holdDownUntil(releasedAt);
    const typedAt = releasedAt - 2 * ONE_WAY_MS;
    await scheduler.advanceTo(typedAt);
    input.emit('data', Buffer.from('\x03'));
    await scheduler.advanceTo(releasedAt + 3 * MIN_FRAME_INTERVAL_MS);
    expect(output.writes.filter((write) => write.at === releasedAt)).toHaveLength(FRAME_BURST);
    return { ...frontEnd, releasedAt, typedAt };
  }

  it("draws Ctrl-C's prompt as the state acknowledging the key arrives, even when a flood has used up the pacing's burst", async () => {
    // The answer: the prompt, then the state acknowledging the key once the output has settled.
    const { scheduler, input, output, finished, releasedAt, typedAt } = await ctrlCAfterSpentBurst((clock) => new InterruptiblePty(clock));
    // The answer's way: a round trip, the program's turnaround and the wait for its output to settle; not the
    // pacing's next token (releasedAt + MIN_FRAME_INTERVAL_MS), which a flood's frame would wait for.
    const promptAt = output.writes.find((write) => write.text.includes(COMMAND_PROMPT))?.at;
    expect(promptAt).toBeGreaterThanOrEqual(typedAt + 2 * ONE_WAY_MS + ECHO_TURNAROUND_MS);
    expect(promptAt).toBeLessThan(releasedAt + MIN_FRAME_INTERVAL_MS);

    input.emit('data', Buffer.from('\x1e.'));
    await scheduler.advanceTo(scheduler.now + 1000);
    expect((await finished).exitCode).toBe(0);
  });

  it("draws Ctrl-C's prompt as it arrives when the state acknowledging the key came before it, the pacing's burst spent", async () => {
    // As above; Ctrl-C's answer now comes in two frames: the flood's last line with the key's acknowledgement (its
    // output went quiet), then the prompt.
    const { scheduler, input, output, finished, releasedAt, typedAt } = await ctrlCAfterSpentBurst(tmuxInterruptible);
    const promptAt = output.writes.find((write) => write.text.includes(COMMAND_PROMPT))?.at;
    // The acknowledgement's frame was drawn first, at once (the rule above); the prompt's frame moves nothing, and
    // is the rest of the answer: drawn as it arrives, not at the pacing's next token (releasedAt + MIN_FRAME_INTERVAL_MS).
    const ackDrawnAt = output.writes.find((write) => write.at > releasedAt)?.at;
    expect(ackDrawnAt).toBeLessThan(promptAt!);
    expect(promptAt).toBeGreaterThanOrEqual(typedAt + 2 * ONE_WAY_MS + TMUX_PROMPT_AFTER_MS);
    expect(promptAt).toBeLessThan(releasedAt + MIN_FRAME_INTERVAL_MS);

    input.emit('data', Buffer.from('\x1e.'));
    await scheduler.advanceTo(scheduler.now + 1000);
    expect((await finished).exitCode).toBe(0);
  });

  it("draws a command's prompt as it arrives after Enter's echo, its acknowledgement and the output", async () => {
    // Enter's answer comes in four writes (echo, output, and bash's bracketed-paste switch and prompt back to back),
    // and between the echo and the output the server sends a state that only acknowledges the echo. None of them
    // may wait for the frame pacing, nor for the output to settle.
    const { scheduler, input, output, finished } = startFrontEnd(setUp((clock) => new CommandPty(clock)));
    await scheduler.advanceTo(1000);
    const enteredAt = scheduler.now;
    input.emit('data', Buffer.from('\r'));
    await scheduler.advanceTo(enteredAt + 1000);
    const promptDrawnAt = output.writes.find((write) => write.text.includes(COMMAND_PROMPT))?.at;
    // One way up, the program's time to its prompt, one way down: nothing of tsmosh's own on the path.
    expect(promptDrawnAt! - enteredAt).toBe(2 * ONE_WAY_MS + COMMAND_PROMPT_AFTER_MS);

    input.emit('data', Buffer.from('\x1e.'));
    await scheduler.advanceTo(scheduler.now + 1000);
    expect((await finished).exitCode).toBe(0);
  });
});

/** When a command run by Enter writes its output and the shell its prompt after that (ms after the Enter is read). */
const COMMAND_OUTPUT_AFTER_MS = 10;
const COMMAND_PROMPT_AFTER_MS = 15;
const COMMAND_PROMPT = 'PROMPT>';

/**
 * A shell on its first row: Enter is echoed at once, a command's output follows, then the prompt, in two writes as
 * bash's (its bracketed-paste switch, then the prompt itself).
 */
class CommandPty extends FirstRowPty {
  constructor(private readonly scheduler: Scheduler) {
    super();
  }
  write(bytes: Uint8Array): void {
    if (!bytes.includes(0x0d)) return;
    this.scheduler.set(() => this.show('$ run'), ECHO_TURNAROUND_MS);
    this.scheduler.set(() => this.show('$ run: output'), COMMAND_OUTPUT_AFTER_MS);
    this.scheduler.set(() => this.show('$ run: output '), COMMAND_PROMPT_AFTER_MS);
    this.scheduler.set(() => this.show(`$ run: output ${COMMAND_PROMPT}`), COMMAND_PROMPT_AFTER_MS);
  }
}
