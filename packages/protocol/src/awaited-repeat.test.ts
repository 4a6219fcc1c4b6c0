import { describe, expect, it } from 'vitest';
import { ByteLogState, CounterState, seededRandom } from '@tsmosh/testkit';
import { AwaitedRepeats } from './awaited-repeat.js';
import { Connection } from './connection.js';
import { ECHO_ACK_TIMEOUT_MS } from './constants.js';
import { SessionKey } from './key.js';
import { TSMOSH_SERVER_TIMING, TSMOSH_TIMING, type TransportTiming } from './timing.js';
import { START_UP_LATE_ACK_GRACE_MS, Transport } from './transport.js';
import type { OutgoingDatagram } from './types.js';

const T = TSMOSH_TIMING;
const ONE_WAY_MS = 20; // the thin link's 40 ms round trip

describe('AwaitedRepeats', () => {
  it('wants a repeat only after a loss, within the memory, of a single small copy, and forgets it once acknowledged or superseded', () => {
    const repeats = new AwaitedRepeats(10, 60_000);
    expect(repeats.wanted(0, 1, 20, 512)).toBe(false); // nothing lost yet: a clean link
    repeats.noteLoss(1000);
    expect(repeats.wanted(1000, 1, 20, 512)).toBe(true);
    expect(repeats.wanted(1000, 2, 20, 512)).toBe(false); // copies already go together
    expect(repeats.wanted(1000, 1, 513, 512)).toBe(false); // too large to send twice
    expect(repeats.wanted(61_000, 1, 20, 512)).toBe(false); // the loss is no longer recent
    expect(repeats.dueAt).toBe(Infinity);
    repeats.schedule({ oldNum: 1, newNum: 2, diff: Uint8Array.of(1) }, 1000);
    repeats.schedule({ oldNum: 2, newNum: 3, diff: Uint8Array.of(2) }, 1005);
    expect(repeats.dueAt).toBe(1010);
    repeats.acknowledged(2);
    expect(repeats.dueAt).toBe(1015);
    expect(repeats.take().newNum).toBe(3);
    repeats.schedule({ oldNum: 3, newNum: 4, diff: Uint8Array.of(3) }, 1020);
    repeats.supersede();
    expect(repeats.dueAt).toBe(Infinity);
    expect(new AwaitedRepeats(0, 60_000).wanted(0, 1, 1, 512)).toBe(false); // switched off (mosh)
  });

  it('counts on the next frame to cover input typed within a round trip of the input before it, unless the peer\'s datagrams go missing heavily', () => {
    const repeats = new AwaitedRepeats(10, 60_000);
    repeats.noteLoss(1000);
    expect(repeats.coveredByNext(true)).toBe(false); // a key after a pause
    expect(repeats.coveredByNext(false)).toBe(true); // a key in a word, on a clean link
    // 10 % of the peer's datagrams missing: the next key's frame covers a lost one.
    for (let i = 0; i < 40; i++) repeats.notePeerDatagrams(9, 1);
    expect(repeats.peerMissingShare).toBeGreaterThan(0.08);
    expect(repeats.peerMissingShare).toBeLessThan(0.12);
    expect(repeats.coveredByNext(false)).toBe(true);
    expect(repeats.coveredByNext(true)).toBe(false);
    // 30 %: the covering frame is too often lost as well.
    for (let i = 0; i < 40; i++) repeats.notePeerDatagrams(7, 3);
    expect(repeats.peerMissingShare).toBeGreaterThan(0.25);
    expect(repeats.coveredByNext(false)).toBe(false);
  });
});

/**
 * A client and a server transport over real Connections, under a manual clock, with the test deciding the fate of
 * each datagram: delivered ONE_WAY_MS (or `oneWayMs`) later, or dropped (`dropNext`). The server echoes every key the moment it
 * holds it, marked as the daemon marks it (answersInput, complete); the client types with `awaited`, as the client
 * session does.
 */
function thinPair(options: { clientTiming?: Partial<TransportTiming>; serverTiming?: Partial<TransportTiming>; oneWayMs?: number } = {}) {
  const oneWayMs = options.oneWayMs ?? ONE_WAY_MS;
  const random = seededRandom(3);
  const key = SessionKey.generate(random.bytes);
  const serverAddress = { host: '127.0.0.1', port: 60_001 };
  const clientAddress = { host: '127.0.0.1', port: 50_000 };
  const init = { key, random: random.bytes, initialSeq: 0n, initialRttMs: 2 * oneWayMs };
  const client = new Transport<ByteLogState, CounterState, Connection>({
    connection: new Connection({ ...init, role: 'client', serverAddress }),
    initialLocal: ByteLogState.empty(),
    initialRemote: new CounterState(0),
    timing: { collectionIntervalMs: 0, peerAckHoldMs: ECHO_ACK_TIMEOUT_MS, ...options.clientTiming },
  });
  const server = new Transport<CounterState, ByteLogState, Connection>({
    connection: new Connection({ ...init, role: 'server' }),
    initialLocal: new CounterState(0),
    initialRemote: ByteLogState.empty(),
    timing: { ...TSMOSH_SERVER_TIMING, ...options.serverTiming },
  });
  let now = 0;
  const inFlight: Array<{ at: number; to: 'client' | 'server'; bytes: Uint8Array }> = [];
  const dropNext = { client: 0, server: 0 };
  /** ms added to the one-way delay of what each side sends from now on: a peer too busy to answer at once. */
  const extraDelay = { client: 0, server: 0 };
  const sent = { client: 0, server: 0 };
  const keyHeldAt: number[] = [];
  let answeredEnd = 0;
  const echoSeenAt: number[] = [];
  const send = (from: 'client' | 'server', datagrams: OutgoingDatagram[]) => {
    for (const datagram of datagrams) {
      sent[from]++;
      if (dropNext[from] > 0) {
        dropNext[from]--;
        continue;
      }
      inFlight.push({ at: now + oneWayMs + extraDelay[from], to: from === 'client' ? 'server' : 'client', bytes: datagram.bytes });
    }
  };
  const step = (until: number) => {
    for (;;) {
      inFlight.sort((a, b) => a.at - b.at);
      const next = Math.min(inFlight[0]?.at ?? Infinity, client.nextWakeup(now), server.nextWakeup(now));
      if (next > until) break;
      now = Math.max(now, next);
      while (inFlight.length > 0 && inFlight[0]!.at <= now) {
        const d = inFlight.shift()!;
        if (d.to === 'server') {
          server.receive(d.bytes, clientAddress, now);
          const end = server.remote.end;
          while (keyHeldAt.length < end) keyHeldAt.push(now);
          if (end > answeredEnd) {
            // The echo: a new screen (at least the key count, past any flood's screen), sent as the daemon sends it.
            answeredEnd = end;
            server.setLocal(new CounterState(Math.max(end, server.local.value + 1)), now, { answersInput: true, complete: true });
          }
        } else {
          client.receive(d.bytes, serverAddress, now);
          while (echoSeenAt.length < Math.min(client.remote.value, client.local.end)) echoSeenAt.push(now);
        }
      }
      send('client', client.tick(now));
      send('server', server.tick(now));
    }
    now = until;
  };
  /** Types a key at `at` (after running until then); the key's index. */
  const type = (at: number) => {
    step(at);
    client.setLocal(client.local.append(Uint8Array.of(0x61)), now, { awaited: true });
    return client.local.end - 1;
  };
  return { client, server, step, type, dropNext, extraDelay, sent, keyHeldAt, echoSeenAt, get now() { return now; } };
}

/**
 * Keys 300 ms apart once the session has started up (a late ack is not remembered as loss before), the first key's
 * datagram lost (a resend, judged lost): then 19 clean keys, so the client's loss estimate is about 1 % round-trip
 * failure (below the copies' threshold) when the test's key is typed.
 */
function afterOneLoss(options?: Parameters<typeof thinPair>[0]) {
  const pair = thinPair(options);
  pair.step(100); // first contact
  const from = 100 + START_UP_LATE_ACK_GRACE_MS + 900;
  pair.step(from); // (the heartbeats before it are not the datagram to lose)
  pair.dropNext.client = 1;
  pair.type(from);
  for (let i = 1; i < 20; i++) pair.type(from + i * 300);
  pair.step(from + 20 * 300);
  return pair;
}

describe('a keystroke and its answer on a lightly lossy link', () => {
  it('the link showed loss (1 % measured): a lost keystroke datagram is made good by its second copy 10 ms later, not by the resend timer', () => {
    const pair = afterOneLoss();
    const f = pair.client.lossEstimate;
    // Above nothing, below the copies' threshold (one-way loss 5 %, a 9.75 % round-trip failure): single copies.
    expect(f).toBeGreaterThan(0.005);
    expect(f).toBeLessThan(0.05);
    const copiesBefore = pair.client.stats.spacedCopies;
    expect(copiesBefore).toBeGreaterThan(0); // the clean keys went twice too, the cost
    expect(pair.client.stats.redundantCopies).toBeLessThanOrEqual(3 * (T.redundancyMaxCopies - 1)); // just after the loss

    const at = pair.now + 300;
    pair.dropNext.client = 1;
    const index = pair.type(at);
    pair.step(at + 1000);
    expect(pair.keyHeldAt[index]! - at).toBe(T.awaitedRepeatAfterMs + ONE_WAY_MS);
    // Echo within 2 × RTT: the round trip plus the spacing.
    expect(pair.echoSeenAt[index]! - at).toBe(T.awaitedRepeatAfterMs + 2 * ONE_WAY_MS);
    expect(pair.client.stats.resends).toBe(1); // only the first key's

    // The same without the repeat (mosh's knob): the key waits for the resend timer, over 2 × RTT.
    const without = afterOneLoss({ clientTiming: { awaitedRepeatAfterMs: 0 } });
    const at2 = without.now + 300;
    without.dropNext.client = 1;
    const index2 = without.type(at2);
    without.step(at2 + 1000);
    expect(without.echoSeenAt[index2]! - at2).toBeGreaterThan(4 * ONE_WAY_MS + T.awaitedRepeatAfterMs);
  });

  it('a lost answer (the echo) is made good by the server’s second copy 10 ms later, once the server has seen loss', () => {
    const pair = afterOneLoss();
    // The server learned of the loss from the client's datagram that never came (3 later ones arrived).
    expect(pair.server.connection.stats.datagramsMissed).toBe(1);
    const at = pair.now + 300;
    const index = pair.type(at);
    pair.step(at + ONE_WAY_MS - 1);
    pair.dropNext.server = 1; // the key arrives next, and its echo leaves at once: lose it
    pair.step(at + 1000);
    expect(pair.keyHeldAt[index]! - at).toBe(ONE_WAY_MS);
    expect(pair.echoSeenAt[index]! - at).toBe(2 * ONE_WAY_MS + T.awaitedRepeatAfterMs);
    expect(pair.server.stats.resends).toBe(0);
  });

  it('a clean link keeps single copies: no loss ever seen, no repeat', () => {
    const pair = thinPair();
    pair.step(100);
    for (let i = 0; i < 50; i++) pair.type(1000 + i * 137);
    pair.step(10_000);
    expect(pair.echoSeenAt).toHaveLength(50);
    for (const side of [pair.client, pair.server]) {
      expect(side.stats.spacedCopies).toBe(0);
      expect(side.stats.redundantCopies).toBe(0);
      expect(side.stats.resends).toBe(0);
    }
  });

  it('an acknowledgement late while the session starts up is not loss to remember: the keys after it go once; the same lateness later is', () => {
    /** First contact at 100; at `at` a key whose echo (the client's acknowledgement) the busy server sends late; clean keys after. */
    function lateAckAt(at: number) {
      const pair = thinPair();
      pair.step(100);
      pair.step(at);
      pair.extraDelay.server = 250; // past the client's deadline (its resend delay, the server's ack hold), short of an outage: one resend
      pair.type(at);
      pair.step(at + 400); // busy until its late answers are out
      pair.extraDelay.server = 0;
      pair.step(at + 2000);
      for (let i = 1; i <= 10; i++) pair.type(at + 2000 + i * 300);
      pair.step(at + 2000 + 11 * 300);
      return pair;
    }
    const starting = lateAckAt(1000);
    expect(starting.client.stats.resends).toBe(1); // judged overdue …
    expect(starting.client.connection.stats.datagramsMissed).toBe(0); // (nothing lost)
    expect(starting.client.lossEstimate).toBeGreaterThan(0); // … and the estimate counts it …
    expect(starting.client.stats.spacedCopies).toBe(0); // … but the keys after it go once
    expect(starting.echoSeenAt).toHaveLength(11);
    const later = lateAckAt(100 + START_UP_LATE_ACK_GRACE_MS + 500);
    expect(later.client.stats.resends).toBe(1);
    expect(later.client.stats.spacedCopies).toBeGreaterThan(5); // the keys after it go twice (or in copies at once)
  });

  it('a key acknowledged within the spacing is not sent again (a short round trip)', () => {
    const pair = afterOneLoss();
    const spaced = pair.client.stats.spacedCopies;
    // The echo of a key comes back in 2 × ONE_WAY_MS; with the spacing longer than that, no repeat goes.
    const slow = afterOneLoss({ clientTiming: { awaitedRepeatAfterMs: 4 * ONE_WAY_MS } });
    expect(slow.client.stats.spacedCopies).toBe(0);
    expect(spaced).toBeGreaterThan(0);
  });

  it('keys typed within a round trip of the one before are not repeated, nor are their echoes (the next key covers a lost one); a key after a pause and its echo are', () => {
    const pair = afterOneLoss();
    const before = { client: pair.client.stats.spacedCopies, server: pair.server.stats.spacedCopies };
    // A word typed 15 ms a key (under the 40 ms round trip), then a pause and a key.
    const start = pair.now + 300;
    for (let i = 0; i < 6; i++) pair.type(start + 15 * i);
    pair.step(start + 300);
    // The word's first key follows the pause since the loss's keys: it and its echo go twice; the rest once.
    expect(pair.client.stats.spacedCopies - before.client).toBe(1);
    expect(pair.server.stats.spacedCopies - before.server).toBe(1);
    const index = pair.type(pair.now + 300);
    pair.step(pair.now + 300);
    expect(pair.client.stats.spacedCopies - before.client).toBe(2);
    expect(pair.server.stats.spacedCopies - before.server).toBe(2);
    expect(pair.echoSeenAt).toHaveLength(index + 1);
    // A key of a word lost (no repeat of its own) arrives with the next key's frame, typed 15 ms later: the lost one
    // left a frame interval after the key before it (at +5 ms), the next a frame interval after that.
    pair.type(pair.now + 300);
    pair.step(pair.now + 12); // its repeat went
    pair.dropNext.client = 1;
    const lost = pair.type(pair.now + 3);
    const lostAt = pair.now;
    pair.type(lostAt + 15);
    pair.step(lostAt + 300);
    const interval = pair.client.sendIntervalMs;
    expect(pair.keyHeldAt[lost]! - lostAt).toBe(interval - 15 + interval + ONE_WAY_MS);
    expect(pair.keyHeldAt[lost]! - lostAt).toBeLessThan(pair.client.resendDelayMs);
  });

  it('keys typed within a round trip of the one before go in one copy even when the loss estimate calls for copies', () => {
    // Copies from a 1 % estimate on (the threshold and target lowered): what a higher estimate does at the defaults.
    const pair = afterOneLoss({ clientTiming: { redundancyLossThreshold: 0.005, redundancyTargetFailure: 1e-4 } });
    expect(pair.client.connection.stats.datagramsMissed).toBe(0); // the server's datagrams all came: a light loss
    const sentBefore = pair.sent.client;
    const copiesBefore = pair.client.stats.redundantCopies;
    pair.type(pair.now + 300); // after a pause: in copies
    pair.step(pair.now + 1);
    const afterFirst = pair.client.stats.redundantCopies - copiesBefore;
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 1; i < 6; i++) {
      pair.type(pair.now + 14); // a word: one datagram each
      pair.step(pair.now + 1);
    }
    pair.step(pair.now + 300);
    expect(pair.client.stats.redundantCopies - copiesBefore).toBe(afterFirst);
    expect(pair.echoSeenAt).toHaveLength(pair.client.local.end);
    expect(pair.sent.client - sentBefore).toBeLessThan(6 + afterFirst + 4);
  });

  it('a lost answer with no repeat: the client\'s resend of its key, showing it missed the answer, is answered at once, not at the server\'s resend timer', () => {
    const pair = afterOneLoss({ serverTiming: { awaitedRepeatAfterMs: 0 } });
    const at = pair.now + 300;
    const index = pair.type(at);
    pair.step(at + ONE_WAY_MS - 1);
    pair.dropNext.server = 1; // the echo leaves as the key arrives: lose it
    pair.step(at + 2000);
    // The client resends the key after its resend delay; the server, holding it, resends its answer on hearing it.
    const resendDelay = pair.client.resendDelayMs;
    expect(pair.server.stats.resends).toBe(1);
    expect(pair.echoSeenAt[index]! - at).toBeLessThanOrEqual(resendDelay + 2 * ONE_WAY_MS + T.awaitedRepeatAfterMs + 1);
    // Without the answer (mosh's rule), the echo waits for the server's own resend timer: later.
    const off = afterOneLoss({ serverTiming: { awaitedRepeatAfterMs: 0, answerMissedStates: false } });
    const at2 = off.now + 300;
    const index2 = off.type(at2);
    off.step(at2 + ONE_WAY_MS - 1);
    off.dropNext.server = 1;
    off.step(at2 + 2000);
    expect(off.echoSeenAt[index2]! - at2).toBeGreaterThan(pair.echoSeenAt[index]! - at);
  });

  it('output nobody waits for (a flood of small frames) is never sent twice, however lossy the link was; the answers in it are', () => {
    const pair = afterOneLoss();
    const start = pair.now;
    const serverSpacedBefore = pair.server.stats.spacedCopies;
    const framesBefore = pair.server.stats.dataFrames;
    let value: number;
    // A flood of small frames for 2 s (a screen changing every 5 ms), with a key typed into it every 250 ms.
    for (let t = start; t < start + 2000; t += 5) {
      pair.step(t);
      value = pair.server.local.value + 1;
      pair.server.setLocal(new CounterState(value), t);
      if ((t - start) % 250 === 0) pair.client.setLocal(pair.client.local.append(Uint8Array.of(0x62)), t, { awaited: true });
    }
    pair.step(start + 3000);
    const frames = pair.server.stats.dataFrames - framesBefore;
    const repeats = pair.server.stats.spacedCopies - serverSpacedBefore;
    expect(frames).toBeGreaterThan(50);
    // At most the answers to the 8 keys went twice.
    expect(repeats).toBeLessThanOrEqual(8);
    expect(repeats).toBeGreaterThan(0);
  });
});

describe('a typing burst on a clean link: the daemon waits out the client’s ack hold before resending', () => {
  /** `bursts` words of 10 keys 25 ms apart (under the 40 ms round trip), 1 s apart, after start-up. */
  function typeBursts(serverTiming?: Partial<TransportTiming>, bursts = 5) {
    const pair = thinPair({ serverTiming });
    pair.step(100);
    let at = 100 + START_UP_LATE_ACK_GRACE_MS;
    const lastKeys: Array<{ index: number; at: number }> = [];
    for (let b = 0; b < bursts; b++, at += 1000) {
      let index = 0;
      for (let k = 0; k < 10; k++) index = pair.type(at + 25 * k);
      lastKeys.push({ index, at: at + 25 * 9 });
    }
    return { pair, lastKeys, end: at };
  }

  it('a burst’s last echo, acknowledged only by the client’s delayed ack, is not resent', () => {
    const { pair, end } = typeBursts();
    pair.step(end + 1000);
    expect(pair.echoSeenAt).toHaveLength(50);
    expect(pair.server.stats.resends).toBe(0);
    expect(pair.server.stats.dataFrames).toBe(50);
    expect(pair.server.lossEstimate).toBe(0);
    // The timer learned from the keys' acks alone (25 ms after each echo): it resent each burst's last echo.
    const learned = typeBursts({ resendAfterPeerAckHold: false });
    learned.pair.step(learned.end + 1000);
    expect(learned.pair.server.stats.resends).toBe(5);
  });

  it('a burst’s last echo lost: the client’s resend of its key brings it within the client’s resend delay and a round trip', () => {
    const lose = (serverTiming?: Partial<TransportTiming>) => {
      const { pair, lastKeys } = typeBursts(serverTiming, 1);
      const last = lastKeys[0]!;
      pair.step(last.at + ONE_WAY_MS - 1);
      pair.dropNext.server = 1; // the last key arrives next, and its echo leaves at once: lose it
      const clientResendDelay = pair.client.resendDelayMs;
      pair.step(last.at + 2000);
      return { pair, clientResendDelay, echoAfterMs: pair.echoSeenAt[last.index]! - last.at };
    };
    const held = lose();
    expect(held.pair.client.stats.resends).toBe(1);
    expect(held.echoAfterMs).toBeLessThanOrEqual(held.clientResendDelay + 2 * ONE_WAY_MS + 1);
    // The timer learned from the keys' acks alone brought it no sooner: the client's resend came first there too (its
    // resend delay is about a round trip, the server's at least that after the echo left).
    const learned = lose({ resendAfterPeerAckHold: false });
    expect(held.echoAfterMs - learned.echoAfterMs).toBeLessThanOrEqual(0);
  });
});

describe('an acknowledgement late mid-session: a busy peer, or a datagram lost', () => {
  /**
   * After start-up, a key whose echo the client acknowledges `ackLateMs` later than it would (its datagrams held up:
   * a client that did not get a CPU when its delayed ack was due), then 10 keys 300 ms apart, each after a pause.
   */
  function lateAck(ackLateMs: number, oneWayMs: number) {
    const pair = thinPair({ oneWayMs });
    pair.step(100);
    // Keys a person's pace apart until the round trip and the ack time are learned.
    let at = 100 + START_UP_LATE_ACK_GRACE_MS + 900;
    for (let i = 0; i < 20; i++, at += 300) pair.type(at);
    pair.type(at);
    pair.step(at + 50); // the echo is in
    pair.extraDelay.client = ackLateMs; // the delayed ack, due ~100 ms after the echo, comes this much later
    pair.step(at + 400);
    pair.extraDelay.client = 0;
    for (let i = 1; i <= 10; i++) pair.type(at + 400 + i * 300);
    pair.step(at + 400 + 11 * 300);
    return pair;
  }

  it('a client 40 ms late with its ack on loopback (half an RTT under a ms) is busy, not losing: the echoes after it go once', () => {
    const busy = lateAck(40, 0.25);
    expect(busy.echoSeenAt).toHaveLength(31);
    expect(busy.server.stats.spacedCopies).toBe(0);
    expect(busy.server.lossEstimate).toBe(0);
    // 150 ms late is past a busy host's noise: as a lost echo answered by a resend looks, so remembered.
    const stalled = lateAck(150, 0.25);
    expect(stalled.server.stats.resends).toBe(1);
    expect(stalled.server.lossEstimate).toBeGreaterThan(0);
    // (the first ones in copies at once while the estimate is above the copies' threshold, then spaced)
    expect(stalled.server.stats.spacedCopies + stalled.server.stats.redundantCopies).toBeGreaterThanOrEqual(10);
  });

  it('an echo really lost on the thin link is still remembered: the echoes of keys after a pause go twice for a while', () => {
    const pair = thinPair();
    pair.step(100);
    const at = 100 + START_UP_LATE_ACK_GRACE_MS + 900;
    const index = pair.type(at);
    pair.step(at + ONE_WAY_MS - 1);
    pair.dropNext.server = 1; // the key arrives next, and its echo leaves at once: lose it
    pair.step(at + 1000);
    expect(pair.echoSeenAt[index]).toBeDefined();
    // Made good by the client's resend of its key, answered at once; its ack came the client's ack hold after.
    expect(pair.client.stats.resends).toBe(1);
    expect(pair.server.stats.missedStateAnswers + pair.server.stats.resends).toBeGreaterThan(0);
    expect(pair.server.lossEstimate).toBeGreaterThan(0);
    for (let i = 1; i <= 10; i++) pair.type(at + 1000 + i * 300);
    pair.step(at + 1000 + 11 * 300);
    expect(pair.echoSeenAt).toHaveLength(11);
    expect(pair.server.stats.spacedCopies + pair.server.stats.redundantCopies).toBeGreaterThanOrEqual(10);
  });
});
