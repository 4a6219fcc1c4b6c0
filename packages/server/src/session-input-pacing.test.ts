/**
 * The session's input pacing under a manual clock (ms): keys that reach the daemon in one state go into the pty as
 * input-pacing.ts decides (a, Esc, j apart, each after its gap; typed text at once), on the session's one timer, in
 * order with resizes, and each is acknowledged for its echo only once it is written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InputStream, type InputEvent } from '@tsmosh/terminal';
import { Session } from './session.js';
import { ESCAPE_KEY_GAP_MS, SEPARATE_KEY_GAP_MS } from './input-pacing.js';
import { linkedSession } from './session-link.test-helpers.js';
import { ScreenPty } from './screen-pty.test-helpers.js';

const ESC = '\x1b';

/** A program that logs each write (and resize) the session makes, with the session clock's time. */
class LoggingPty extends ScreenPty {
  readonly pid = 4243;
  readonly log: { at: number; what: string }[] = [];
  constructor(private readonly clock: { now: number }) {
    super(80, 24);
  }
  write(bytes: Uint8Array): void {
    this.log.push({ at: this.clock.now, what: new TextDecoder().decode(bytes) });
  }
  override resize(cols: number, rows: number): void {
    this.log.push({ at: this.clock.now, what: `<resize ${cols}x${rows}>` });
  }
  /** The program echoes what it was given (a typed key's echo, for the acknowledgement). */
  echo(text: string): void {
    this.announce(this.withFirstRow(text));
  }
}

function harness() {
  const clock = { now: 1000 };
  const pty = new LoggingPty(clock);
  const { session, client, exchange, at } = linkedSession(pty, clock);
  let input = InputStream.empty();
  /** Events the client read one by one (one read of the user's terminal each), sent in one state. */
  const sendTogether = (events: readonly (string | InputEvent)[]): void => {
    for (const event of events) input = input.append(typeof event === 'string' ? { kind: 'keys', bytes: new TextEncoder().encode(event) } : event);
    client.setLocal(input, clock.now);
    exchange();
  };
  return { clock, session, pty, client, sendTogether, at };
}

describe('Session input pacing', () => {
  const sessions: Session[] = [];
  afterEach(() => {
    for (const session of sessions.splice(0)) session.kill();
  });

  it('writes a, Esc and j that arrive in one state as three writes, Esc after the short gap and j after the long one', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.sendTogether(['a', ESC, 'j']);
    expect(h.pty.log).toEqual([{ at: 1000, what: 'a' }]);
    h.at(1500);
    expect(h.pty.log).toEqual([
      { at: 1000, what: 'a' },
      { at: 1000 + SEPARATE_KEY_GAP_MS, what: ESC },
      { at: 1000 + SEPARATE_KEY_GAP_MS + ESCAPE_KEY_GAP_MS, what: 'j' },
    ]);
  });

  it('writes typed text that arrives in one state in one write, in the turn it arrives, and a lone Enter too', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.sendTogether(['h', 'e', 'l', 'l', 'o']);
    // Plain text is merged on the wire (key-boundary.ts): one event, one write.
    expect(h.pty.log).toEqual([{ at: 1000, what: 'hello' }]);
    h.at(1200);
    h.sendTogether(['\r']);
    // The client sends it at its own next wake-up (its pacing); the daemon writes it as it arrives.
    const sentAt = h.client.nextWakeup(h.clock.now);
    h.at(sentAt);
    expect(h.pty.log.slice(1)).toEqual([{ at: sentAt, what: '\r' }]);
  });

  it('keeps a resize in its place between paced keys, and a later state behind what still waits', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.sendTogether([ESC, { kind: 'resize', cols: 100, rows: 30 }, 'j']);
    h.at(1030);
    h.sendTogether(['k', '\x02']);
    h.at(2000);
    expect(h.pty.log).toEqual([
      { at: 1000, what: ESC },
      { at: 1000, what: '<resize 100x30>' },
      { at: 1000 + ESCAPE_KEY_GAP_MS, what: 'j' },
      { at: 1000 + ESCAPE_KEY_GAP_MS, what: 'k' },
      { at: 1000 + ESCAPE_KEY_GAP_MS + SEPARATE_KEY_GAP_MS, what: '\x02' },
    ]);
  });

  it('acknowledges the echo of a key only once it is written', () => {
    const h = harness();
    sessions.push(h.session);
    h.at(1000);
    h.sendTogether(['a', ESC, 'j']);
    h.at(1001);
    h.pty.echo('a');
    h.at(1000 + SEPARATE_KEY_GAP_MS - 1);
    // `a` (position 1) is answered; Esc and j wait, so nothing past them is acknowledged.
    expect(h.session.echoAck).toBe(1);
    h.at(1000 + SEPARATE_KEY_GAP_MS + ESCAPE_KEY_GAP_MS - 1);
    expect(h.session.echoAck).toBeLessThanOrEqual(2);
    h.at(1000 + SEPARATE_KEY_GAP_MS + ESCAPE_KEY_GAP_MS + 1);
    h.pty.echo('aj');
    h.at(3000);
    expect(h.session.echoAck).toBe(3);
    expect(h.client.remote.echoAck).toBe(3);
  });

  it('writes nothing after the session ends, and leaves no wake-up behind for keys that waited', () => {
    const h = harness();
    h.at(1000);
    h.sendTogether(['a', ESC, 'j']);
    h.session.kill();
    h.at(5000);
    expect(h.pty.log.map((w) => w.what)).toEqual(['a']);
  });
});
