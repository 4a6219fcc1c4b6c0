/**
 * The session loop under a manual clock and a manual timer: the transport's behaviour and the session's timeouts
 * are driven by explicit time steps, never by sleeping. The program runs in a real pty (its output arrives in real
 * time; tests wait for it by condition, not by duration).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, SessionKey, Transport, peekSessionId, type OutgoingDatagram, type PeerAddress } from '@tsmosh/protocol';
import { InputStream, ScreenState } from '@tsmosh/terminal';
import { ATTACHED_WITHIN_MS, NO_CLIENT_TIMEOUT_MS, PENDING_ATTACH_TIMEOUT_MS, Session, type SessionEndReason } from './session.js';
import { spawnSessionPty } from './pty-host.js';
import { ManualTimer } from './manual-timer.test-helpers.js';

const random = (length: number): Uint8Array => new Uint8Array(randomBytes(length));
const CLIENT: PeerAddress = { host: '192.0.2.7', port: 40000 };
const SERVER: PeerAddress = { host: '192.0.2.1', port: 60001 };


/** The program in a real 80×24 pty with a UTF-8 locale, as the daemon would start it. */
function spawnTestPty(command: readonly string[]) {
  return spawnSessionPty({
    file: command[0]!,
    args: command.slice(1),
    env: { ...(process.env as Record<string, string>), LANG: 'C.UTF-8', TERM: 'xterm-256color' },
    cwd: '/',
    cols: 80,
    rows: 24,
  });
}

/** Steps time 10 ms at a time, exchanging datagrams, until `condition` holds (bounded in simulated and real time). */
async function stepUntil(clock: { now: number }, timer: ManualTimer, exchange: () => void, condition: () => boolean, what: string): Promise<void> {
  for (let step = 0; step < 5000 && !condition(); step++) {
    timer.advanceTo(clock.now + 10);
    exchange();
    // Let the pty's real output reach the mirror.
    await new Promise((resolve) => setImmediate(resolve));
    if (step % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!condition()) throw new Error(`never reached: ${what}`);
}

function harness(options: { command?: string[]; networkTimeoutMs?: number; endsWhenClientQuits?: boolean } = {}) {
  const clock = { now: 1000 };
  const timer = new ManualTimer(clock);
  const key = SessionKey.generate(random);
  const toClient: OutgoingDatagram[] = [];
  const command = options.command ?? ['/bin/cat'];
  const pty = spawnTestPty(command);
  const session = new Session({
    key,
    pty,
    send: (datagram) => toClient.push(datagram),
    clock: () => clock.now,
    timer,
    ...(options.networkTimeoutMs !== undefined ? { networkTimeoutMs: options.networkTimeoutMs } : {}),
    ...(options.endsWhenClientQuits !== undefined ? { endsWhenClientQuits: options.endsWhenClientQuits } : {}),
  });
  let endedWith: SessionEndReason | undefined;
  void session.ended.then((reason) => (endedWith = reason));
  const client = new Transport<InputStream, ScreenState>({
    connection: new Connection({ role: 'client', key, random, initialSeq: 1n, serverAddress: SERVER }),
    initialLocal: InputStream.empty(),
    initialRemote: ScreenState.initial(80, 24),
  });
  let input = InputStream.empty();
  /** One exchange in both directions at the current time. */
  const exchange = (): void => {
    for (const datagram of client.tick(clock.now)) session.receive(datagram.bytes, CLIENT);
    for (const datagram of toClient.splice(0)) client.receive(datagram.bytes, SERVER, clock.now);
  };
  return {
    clock,
    timer,
    session,
    client,
    pty,
    exchange,
    ended: () => endedWith,
    resizeTo(cols: number, rows: number): void {
      input = input.append({ kind: 'resize', cols, rows });
      client.setLocal(input, clock.now);
    },
    type(text: string): void {
      input = input.append({ kind: 'keys', bytes: new TextEncoder().encode(text) });
      client.setLocal(input, clock.now);
    },
    runUntil: (condition: () => boolean, what: string): Promise<void> => stepUntil(clock, timer, exchange, condition, what),
  };
}

const text = (screen: ScreenState): string =>
  screen.framebuffer.lines.map((row) => row.cells.map((cell) => cell.text || ' ').join('').trimEnd()).join('\n');

describe('Session', () => {
  const harnesses: Array<ReturnType<typeof harness>> = [];
  const start = (options?: Parameters<typeof harness>[0]) => {
    const h = harness(options);
    harnesses.push(h);
    return h;
  };
  afterEach(() => {
    // A session waiting for a shutdown ack would wait on the manual clock forever: end its program directly.
    for (const h of harnesses.splice(0)) h.pty.dispose();
  });

  it('sleeps on one timer until the no-client deadline, then ends without a client', () => {
    const h = start();
    // Idle before any client: the only wake-ups are the transport's own (heartbeats) and the deadline. Under the
    // manual clock every wake-up is counted; polling would show up as thousands.
    let wakeups = 0;
    while (h.ended() === undefined && h.timer.pending !== undefined && h.timer.pending.due < 1000 + NO_CLIENT_TIMEOUT_MS) {
      h.timer.advanceTo(h.timer.pending.due);
      wakeups++;
    }
    expect(h.ended()).toBeUndefined();
    expect(wakeups).toBeLessThanOrEqual(NO_CLIENT_TIMEOUT_MS / 1000);
    expect(h.timer.pending?.due).toBe(1000 + NO_CLIENT_TIMEOUT_MS);
    h.timer.advanceTo(1000 + NO_CLIENT_TIMEOUT_MS);
    return h.session.ended.then((reason) => expect(reason).toBe('no-client'));
  });

  it('feeds keys to the program, shows its echo, and acknowledges the echo with the input stream position', async () => {
    const h = start();
    h.type('hello tsmosh\r');
    await h.runUntil(() => /^hello tsmosh$/m.test(text(h.client.remote)), 'the echo on the client screen');
    await h.runUntil(() => h.client.remote.echoAck >= 1, 'the echo acknowledgement');
    expect(h.session.clientAddress).toEqual(CLIENT);
  });

  it('resizes the pty and the mirrored screen when the client resizes', async () => {
    const h = start({ command: ['/bin/sh', '-c', 'read line; stty size'] });
    h.resizeTo(100, 30);
    await h.runUntil(() => h.client.remote.framebuffer.cols === 100, 'the valid resize to reach the screen');
    expect(h.client.remote.framebuffer.rows).toBe(30);
    h.type('\r');
    await h.runUntil(() => /^30 100$/m.test(text(h.client.remote)), 'the program to see the new size');
  });

  it('ends after TSMOSH_SERVER_NETWORK_TMOUT of client silence, telling the client while it tries', async () => {
    const h = start({ networkTimeoutMs: 5000 });
    h.type('x');
    await h.runUntil(() => h.client.remote.echoAck >= 1, 'the first round trip');
    const heardAt = h.clock.now;
    // The client goes silent: only the session's own timer runs.
    h.timer.advanceTo(heardAt + 4000);
    expect(h.ended()).toBeUndefined();
    for (let t = heardAt + 4000; h.ended() === undefined && t < heardAt + 120_000; t += 100) {
      h.timer.advanceTo(t);
      await Promise.resolve();
    }
    expect(h.ended()).toBe('network-timeout');
  });

  it('ends when its client quits, after acknowledging the quit', async () => {
    const h = start();
    h.type('x');
    await h.runUntil(() => h.client.remote.echoAck >= 1, 'the first round trip');
    h.client.startShutdown(h.clock.now);
    await h.runUntil(() => h.client.shutdownAcknowledged, 'the quit to be acknowledged');
    await h.runUntil(() => h.ended() !== undefined, 'the session to end');
    expect(h.ended()).toBe('client-exit');
  });

  it('outlives a client that quits when it is a named session (endsWhenClientQuits false)', async () => {
    const h = start({ endsWhenClientQuits: false, networkTimeoutMs: 60_000 });
    h.type('x');
    await h.runUntil(() => h.client.remote.echoAck >= 1, 'the first round trip');
    h.client.startShutdown(h.clock.now);
    await h.runUntil(() => h.client.shutdownAcknowledged, 'the quit to be acknowledged');
    const quitAt = h.clock.now;
    await h.runUntil(() => h.clock.now >= quitAt + 10_000, 'ten seconds after the quit');
    expect(h.ended()).toBeUndefined();
    // The idle timeout still applies, counted from the client's last datagram.
    for (let t = h.clock.now; h.ended() === undefined && t < quitAt + 120_000; t += 1000) {
      h.timer.advanceTo(t);
      await Promise.resolve();
    }
    expect(h.ended()).toBe('network-timeout');
  });

  it('tells a client that arrives after the program already ended how it ended, and ends without one after the no-client timeout', async () => {
    const h = start({ command: ['/bin/sh', '-c', 'echo quick; exit 7'] });
    await (h.pty as unknown as { exited: Promise<unknown> }).exited;
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.ended()).toBeUndefined(); // waiting for the client on its way
    h.type(''); // the client's first datagram
    await h.runUntil(() => h.client.counterpartyShutdown, 'the shutdown announcement');
    expect(h.client.remote.ending).toMatchObject({ kind: 'command-exited', exitCode: 7 });
    expect(text(h.client.remote)).toMatch(/^quick$/m);
    await h.runUntil(() => h.ended() !== undefined, 'the session to end');

    const alone = start({ command: ['/bin/sh', '-c', 'exit 0'] });
    await (alone.pty as unknown as { exited: Promise<unknown> }).exited;
    await new Promise((resolve) => setImmediate(resolve));
    expect(alone.ended()).toBeUndefined();
    alone.timer.advanceTo(1000 + NO_CLIENT_TIMEOUT_MS);
    await new Promise((resolve) => setImmediate(resolve));
    expect(alone.ended()).toBe('command-exited');
  });

  it('ends on the screen the program left: output not yet snapshotted when it exits is in the final state', async () => {
    const h = start({ command: ['/bin/sh', '-c', 'sleep 0.3; echo last-words'] });
    h.type('');
    await h.runUntil(() => h.client.remoteNum > 0, 'the first screen');
    // The manual clock stands still from here: the output's snapshot is not due (the collection interval from the
    // output) when the exit is announced, as when a program prints and exits within a few ms on a busy host.
    await (h.pty as unknown as { exited: Promise<unknown> }).exited;
    await new Promise((resolve) => setImmediate(resolve));
    h.exchange();
    expect(h.client.counterpartyShutdown).toBe(true);
    expect(h.client.remote.ending).toMatchObject({ kind: 'command-exited', exitCode: 0 });
    expect(text(h.client.remote)).toMatch(/^last-words$/m);
  });

  it('ends when the command exits, after the client has acknowledged the shutdown', async () => {
    const h = start({ command: ['/bin/sh', '-c', 'read line; echo bye-$line'] });
    h.type('now\r');
    await h.runUntil(() => h.client.counterpartyShutdown, 'the shutdown announcement');
    expect(text(h.client.remote)).toMatch(/^bye-now$/m);
    await h.runUntil(() => h.ended() !== undefined, 'the session to end');
    expect(h.ended()).toBe('command-exited');
  });
});

/** Two clients of one session under a manual clock: the first under the session's key, the second under an attach. */
function takeoverHarness(command: string[], init: { readonly keepEveryLine?: boolean } = {}) {
  const clock = { now: 1000 };
  const timer = new ManualTimer(clock);
  const firstKey = SessionKey.generate(random);
  const secondKey = SessionKey.generate(random);
  const outgoing: OutgoingDatagram[] = [];
  const closedLinks: string[] = [];
  const pty = spawnTestPty(command);
  // Every history limit the session gives the pty (keepEveryLine), in order.
  const limits: Array<number | undefined> = [];
  const setLimit = pty.setHistoryLimit!.bind(pty);
  pty.setHistoryLimit = (limit) => {
    limits.push(limit);
    setLimit(limit);
  };
  const session = new Session({
    key: firstKey,
    pty,
    send: (datagram) => outgoing.push(datagram),
    clock: () => clock.now,
    timer,
    onLinkClosed: (id) => closedLinks.push(id),
    ...init,
  });
  const SECOND: PeerAddress = { host: '198.51.100.9', port: 50000 };
  const makeClient = (key: SessionKey, address: PeerAddress) => {
    const transport = new Transport<InputStream, ScreenState>({
      connection: new Connection({ role: 'client', key, random, initialSeq: 1n, serverAddress: SERVER }),
      initialLocal: InputStream.empty(),
      initialRemote: ScreenState.initial(80, 24),
    });
    let input = InputStream.empty().append({ kind: 'resize', cols: 80, rows: 24 });
    transport.setLocal(input, clock.now);
    return {
      transport,
      address,
      key,
      alive: true,
      type(text: string): void {
        input = input.append({ kind: 'keys', bytes: new TextEncoder().encode(text) });
        transport.setLocal(input, clock.now);
      },
    };
  };
  const first = makeClient(firstKey, CLIENT);
  const second = makeClient(secondKey, SECOND);
  const clients = [first, second];
  const exchange = (): void => {
    for (const client of clients) {
      if (!client.alive) continue;
      for (const datagram of client.transport.tick(clock.now)) session.receive(datagram.bytes, client.address, client.key.sessionIdHex);
    }
    for (const datagram of outgoing.splice(0)) {
      const id = peekSessionId(datagram.bytes);
      const to = clients.find((client) => client.alive && id !== undefined && client.key.sessionIdHex === toHexId(id));
      to?.transport.receive(datagram.bytes, SERVER, clock.now);
    }
  };
  const runUntil = (condition: () => boolean, what: string): Promise<void> => stepUntil(clock, timer, exchange, condition, what);
  return { clock, timer, session, pty, first, second, secondKey, firstKey, closedLinks, runUntil, exchange, SECOND, limits };
}

function toHexId(id: Uint8Array | string): string {
  return typeof id === 'string' ? id : [...id].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

describe('Session attach and takeover', () => {
  const ptys: Array<{ dispose(): void }> = [];
  afterEach(() => {
    for (const pty of ptys.splice(0)) pty.dispose();
  });

  it('changes nothing until the attached client speaks; then hands it the screen and tells the old client where from', async () => {
    const h = takeoverHarness(['/bin/cat']);
    ptys.push(h.pty);
    h.second.alive = false; // attached over SSH, but its client has not started yet
    h.first.type('before\r');
    await h.runUntil(() => /^before$/m.test(text(h.first.transport.remote)), 'the first client typing');
    h.session.addClient(h.secondKey);
    expect(h.session.pendingAttaches).toBe(1);
    expect(h.session.linkIds.sort()).toEqual([h.firstKey.sessionIdHex, h.secondKey.sessionIdHex].sort());
    h.first.type('still-first\r');
    await h.runUntil(() => /^still-first$/m.test(text(h.first.transport.remote)), 'the first client typing after the attach');
    expect(h.first.transport.counterpartyShutdown).toBe(false);

    h.second.alive = true;
    await h.runUntil(() => h.first.transport.counterpartyShutdown, 'the old client to be told');
    expect(h.first.transport.remote.ending).toEqual({ kind: 'taken-over', by: `${h.SECOND.host}:${h.SECOND.port}` });
    await h.runUntil(() => /^still-first$/m.test(text(h.second.transport.remote)), 'the new client to get the whole screen');
    await h.runUntil(() => h.closedLinks.includes(h.firstKey.sessionIdHex), 'the old key to be retired once its client acknowledged');
    expect(h.session.linkIds).toEqual([h.secondKey.sessionIdHex]);
    expect(h.session.clientAddress).toEqual(h.SECOND);

    // The retired key reaches nothing: its keystrokes are dropped, the new client's go through.
    h.first.type('stale\r');
    h.second.type('fresh\r');
    await h.runUntil(() => /^fresh$/m.test(text(h.second.transport.remote)), 'the new client typing');
    expect(text(h.second.transport.remote)).not.toContain('stale');
  });

  it('keeps every line for the client that asked, from its attach on, and no longer once a terminal\'s client takes over', async () => {
    for (const textFirst of [false, true]) {
      const h = takeoverHarness(['/bin/cat'], textFirst ? { keepEveryLine: true } : {});
      ptys.push(h.pty);
      const limits = h.limits;
      h.second.alive = false;
      h.first.type('x\r');
      await h.runUntil(() => /^x$/m.test(text(h.first.transport.remote)), 'the first round trip');
      // A text client's session holds the program to its client's history; a terminal's does not.
      expect(limits.at(-1) !== undefined).toBe(textFirst);
      h.session.addClient(h.secondKey, textFirst ? {} : { keepEveryLine: true });
      h.second.alive = true;
      await h.runUntil(() => h.first.transport.counterpartyShutdown, 'the takeover');
      h.second.type('y\r');
      await h.runUntil(() => /^y$/m.test(text(h.second.transport.remote)), 'the new client typing');
      expect(limits.at(-1) !== undefined).toBe(!textFirst);
    }
  });

  it('stops holding the program for a text client not heard from for ATTACHED_WITHIN_MS, and holds it again once it is heard', async () => {
    // A text client killed without quitting held a named session's program in its writes until another client took
    // over (the limit stayed at what the dead client had acknowledged).
    const h = takeoverHarness(['/bin/cat'], { keepEveryLine: true });
    ptys.push(h.pty);
    h.second.alive = false;
    h.first.type('x\r');
    await h.runUntil(() => /^x$/m.test(text(h.first.transport.remote)), 'the first round trip');
    expect(h.limits.at(-1)).toBeDefined();
    const heardAt = h.clock.now - h.session.lastHeardMsAgo!;
    h.first.alive = false;
    // The session's own timer, a second at a time, without a word from the client.
    while (h.clock.now < heardAt + ATTACHED_WITHIN_MS - 1) h.timer.advanceTo(Math.min(h.clock.now + 1000, heardAt + ATTACHED_WITHIN_MS - 1));
    expect(h.limits.at(-1)).toBeDefined();
    h.timer.advanceTo(heardAt + ATTACHED_WITHIN_MS);
    expect(h.limits.at(-1)).toBeUndefined();
    expect(h.session.attached).toBe(false);
    // Back (a Wi-Fi drop, not a death): the program waits for it again.
    h.first.alive = true;
    h.first.type('y\r');
    await h.runUntil(() => /^y$/m.test(text(h.first.transport.remote)), 'the client back');
    expect(h.limits.at(-1)).toBeDefined();
  });

  it('drops an attach nobody uses after PENDING_ATTACH_TIMEOUT_MS, leaving the session and its client alone', async () => {
    const h = takeoverHarness(['/bin/cat']);
    ptys.push(h.pty);
    h.second.alive = false;
    h.first.type('x\r');
    await h.runUntil(() => /^x$/m.test(text(h.first.transport.remote)), 'the first round trip');
    h.session.addClient(h.secondKey);
    const attachedAt = h.clock.now;
    // The first client stays in touch (heartbeats) while the attach waits out its deadline, a second at a time.
    while (h.clock.now < attachedAt + PENDING_ATTACH_TIMEOUT_MS) {
      h.timer.advanceTo(h.clock.now + 1000);
      h.exchange();
    }
    expect(h.closedLinks).toEqual([h.secondKey.sessionIdHex]);
    expect(h.session.pendingAttaches).toBe(0);
    h.first.type('y\r');
    await h.runUntil(() => /^y$/m.test(text(h.first.transport.remote)), 'the first client still typing');
    expect(h.first.transport.counterpartyShutdown).toBe(false);
  });

  it('carries the exit code and signal name of the command in the final state', async () => {
    const h = takeoverHarness(['/bin/sh', '-c', 'read line; kill -TERM $$']);
    ptys.push(h.pty);
    h.second.alive = false;
    h.first.type('\r');
    await h.runUntil(() => h.first.transport.counterpartyShutdown, 'the shutdown');
    expect(h.first.transport.remote.ending).toMatchObject({ kind: 'command-exited', signal: 'SIGTERM' });
  });
});
