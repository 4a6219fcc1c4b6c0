import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { directionProfile, symmetricLink, type LinkProfile } from '@tsmosh/netem';
import { ByteLogState, CounterState, createSimulatedSession, seededRandom } from '@tsmosh/testkit';
import { Connection } from './connection.js';
import { SHUTDOWN_STATE_NUM } from './constants.js';
import { SessionKey } from './key.js';
import { MOSH_TIMING, TSMOSH_CLIENT_TIMING, TSMOSH_SERVER_TIMING, TSMOSH_TIMING, backedOffDelay, resolveTiming, type TransportTiming } from './timing.js';
import { Transport } from './transport.js';
import { outageTrySpacingMs } from './outage.js';
import type { Instruction } from './types.js';

const text = (s: string) => new TextEncoder().encode(s);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function session(options: { seed?: number; profile?: LinkProfile; initialRttMs?: number; clientTiming?: Partial<TransportTiming>; serverTiming?: Partial<TransportTiming> } = {}) {
  return createSimulatedSession({
    seed: options.seed ?? 1,
    profile: options.profile ?? symmetricLink({ delayMs: 50 }),
    initialRttMs: options.initialRttMs ?? 100,
    clientInitial: ByteLogState.empty(),
    serverInitial: new CounterState(0),
    clientTiming: { collectionIntervalMs: 1, ...options.clientTiming },
    serverTiming: options.serverTiming,
  });
}

/**
 * A transport facing a bare Connection: the test plays the peer by hand and sees every instruction the transport
 * sends, decoded by the real datagram layer.
 */
function facingProbe(timing?: Partial<TransportTiming>, initialRttMs = 100) {
  const random = seededRandom(9);
  const key = SessionKey.generate(random.bytes);
  const serverAddress = { host: '127.0.0.1', port: 60_001 };
  const clientAddress = { host: '127.0.0.1', port: 50_000 };
  const connection = new Connection({ role: 'client', key, random: random.bytes, initialSeq: 0n, serverAddress, initialRttMs });
  const probe = new Connection({ role: 'server', key, random: random.bytes, initialSeq: 0n, initialRttMs });
  const transport = new Transport<ByteLogState, CounterState, Connection>({
    connection,
    initialLocal: ByteLogState.empty(),
    initialRemote: new CounterState(0),
    timing: timing ?? {},
  });
  const sent: Array<{ at: number; instruction: Instruction }> = [];
  /** Tick at `now` and decode what went out. */
  const tick = (now: number): Instruction[] => {
    const out: Instruction[] = [];
    for (const datagram of transport.tick(now)) {
      const instruction = probe.receive(datagram.bytes, clientAddress, now);
      if (instruction !== undefined) {
        out.push(instruction);
        sent.push({ at: now, instruction });
      }
    }
    return out;
  };
  /** The probe sends `instruction` to the transport. */
  const deliver = (instruction: Instruction, now: number) => {
    for (const datagram of probe.send(instruction, now)) transport.receive(datagram.bytes, serverAddress, now);
  };
  /** The probe sends `instruction`, and the link loses it. */
  const dropFromPeer = (instruction: Instruction, now: number) => {
    probe.send(instruction, now);
  };
  return { transport, tick, deliver, dropFromPeer, sent };
}

const ack = (ackNum: number, newNum = 1, oldNum = 0): Instruction => ({
  oldNum,
  newNum,
  ackNum,
  throwawayNum: 0,
  diff: new Uint8Array(0),
  chaff: new Uint8Array(0),
});

describe('TransportTiming', () => {
  it('refuses knobs that would spin or stall, naming the knob', () => {
    expect(() => resolveTiming({ sendIntervalMinMs: 0 })).toThrow(/sendIntervalMinMs/);
    expect(() => resolveTiming({ heartbeatIntervalMs: Infinity })).toThrow(/heartbeatIntervalMs/);
    expect(() => resolveTiming({ resendBackoff: 0.5 })).toThrow(/resendBackoff/);
    expect(() => resolveTiming({ sendIntervalMinMs: 300 })).toThrow(/sendIntervalMinMs must not exceed/);
    expect(resolveTiming(undefined)).toEqual(TSMOSH_TIMING);
  });
});

describe('Transport sender', () => {
  it('says hello at once (repeating it until first contact), then sends a change after the collection interval, diffed from the acknowledged state', () => {
    const { transport, tick, deliver } = facingProbe({ collectionIntervalMs: 8 });
    const [hello] = tick(0);
    expect(hello).toMatchObject({ oldNum: 0, newNum: 1, ackNum: 0, throwawayNum: 0 });
    expect(hello!.diff.length).toBe(0);
    // No answer yet: the hello is repeated on the backed-off RTO, not after a whole heartbeat interval.
    const rto = transport.connection.rtt.rto();
    expect(transport.nextWakeup(0)).toBe(backedOffDelay(rto, 1, TSMOSH_TIMING));
    // First contact is answered at once; after that an idle transport only wants its heartbeat.
    deliver(ack(1), 50);
    expect(tick(50)).toHaveLength(1);
    expect(transport.nextWakeup(50)).toBe(3050);

    transport.setLocal(ByteLogState.empty().append(text('ab')), 100);
    expect(transport.nextWakeup(100)).toBe(108);
    expect(tick(107)).toEqual([]);
    const [frame] = tick(108);
    expect(frame).toMatchObject({ newNum: 3, oldNum: 1 });
    expect(decode(ByteLogState.empty().applyDiff(frame!.diff).held)).toBe('ab');

    // The peer acknowledges 3: the next change is diffed from 3 and carries only the new bytes.
    deliver(ack(3, 2, 1), 150);
    transport.setLocal(transport.local.append(text('c')), 200);
    const [next] = tick(208);
    expect(next).toMatchObject({ oldNum: 3, newNum: 4, throwawayNum: 3 });
    expect(decode(next!.diff.subarray(1))).toBe('c');
  });

  it('paces frames at SRTT/2 from the last data frame, but a first change after idle goes after the collection interval only', () => {
    const { transport, tick } = facingProbe({ collectionIntervalMs: 8 }, 100);
    tick(0); // hello
    expect(transport.sendIntervalMs).toBe(50);
    transport.setLocal(transport.local.append(text('a')), 1000);
    expect(tick(1008)).toHaveLength(1);
    transport.setLocal(transport.local.append(text('b')), 1010);
    expect(transport.nextWakeup(1010)).toBe(1058); // 1008 + 50
    expect(tick(1057)).toEqual([]);
    expect(tick(1058)).toHaveLength(1);
  });

  it('says when a change not yet set could leave (collection from when it was made, pacing), and sends it then', () => {
    const { transport, tick } = facingProbe({ collectionIntervalMs: 8 }, 100);
    tick(0); // hello
    // After idle: the collection interval from the change, however late the state is made.
    expect(transport.newStateSendableAt(1000, 1003)).toBe(1008);
    transport.setLocal(transport.local.append(text('a')), 1008, { changedAt: 1000 });
    expect(transport.nextWakeup(1008)).toBe(1008);
    expect(tick(1008)).toHaveLength(1);
    // Inside a flood: the frame pacing (SRTT/2 = 50 ms) from the last data frame, the same sum `tick` waits for.
    expect(transport.newStateSendableAt(1010, 1010)).toBe(1058);
    transport.setLocal(transport.local.append(text('b')), 1058, { changedAt: 1010 });
    expect(transport.nextWakeup(1058)).toBe(1058);
    expect(tick(1058)).toHaveLength(1);
  });

  it('a change marked complete skips the rest of the collection interval, but not the pacing', () => {
    const { transport, tick, deliver } = facingProbe({ collectionIntervalMs: 8 }, 100);
    tick(0); // hello
    deliver(ack(1), 50);
    tick(50);
    const interval = transport.sendIntervalMs;
    transport.setLocal(transport.local.append(text('a')), 1000);
    expect(transport.nextWakeup(1000)).toBe(1008);
    // The burst is over at 1004 (the server: the echo settled): it goes now, with everything collected so far.
    transport.setLocal(transport.local.append(text('b')), 1004, { complete: true });
    expect(transport.nextWakeup(1004)).toBe(1004);
    const [frame] = tick(1004);
    expect(decode(ByteLogState.empty().applyDiff(frame!.diff).held)).toBe('ab');
    // The next complete change still waits for the frame interval (SRTT/2) after that frame.
    transport.setLocal(transport.local.append(text('c')), 1010, { complete: true });
    expect(transport.nextWakeup(1010)).toBe(1004 + interval);
    expect(interval).toBeGreaterThan(6);
  });

  it('a change that answers the peer’s input is sent without waiting for the pacing, once; later output is paced again', () => {
    const { transport, tick } = facingProbe({ collectionIntervalMs: 8 }, 100);
    tick(0); // hello
    const interval = transport.sendIntervalMs;
    expect(interval).toBe(50);
    // A flood frame goes out at 1000; a keystroke's answer settles at 1010, well inside the pacing interval.
    transport.setLocal(transport.local.append(text('flood')), 992);
    expect(tick(1000)).toHaveLength(1);
    transport.setLocal(transport.local.append(text('prompt')), 1010, { complete: true, answersInput: true });
    expect(transport.nextWakeup(1010)).toBe(1010);
    const [answer] = tick(1010);
    expect(answer).toBeDefined();
    // Without `complete` the collection interval still applies, but not the pacing.
    transport.setLocal(transport.local.append(text('x')), 1012, { answersInput: true });
    expect(transport.nextWakeup(1012)).toBe(1020);
    expect(tick(1020)).toHaveLength(1);
    // The exemption is spent with the frame that carried it: the next change waits for the interval again.
    transport.setLocal(transport.local.append(text('more')), 1021);
    expect(transport.nextWakeup(1021)).toBe(1020 + interval);
    expect(tick(1069)).toEqual([]);
    expect(tick(1070)).toHaveLength(1);
  });

  it('a change whose output ended skips the pacing, once, without the answers\' other exemptions; later output is paced again', () => {
    const { transport, tick } = facingProbe({ collectionIntervalMs: 8 }, 100);
    tick(0); // hello
    const interval = transport.sendIntervalMs;
    transport.setLocal(transport.local.append(text('flood')), 992);
    expect(tick(1000)).toHaveLength(1);
    // The flood's last lines, its program quiet since (the server's flood tail): not held to 1000 + interval.
    transport.setLocal(transport.local.append(text('tail')), 1020, { complete: true, outputEnded: true });
    expect(transport.newStateSendableAt(1020, 1020)).toBe(1020);
    expect(transport.nextWakeup(1020)).toBe(1020);
    expect(tick(1020)).toHaveLength(1);
    transport.setLocal(transport.local.append(text('more')), 1021);
    expect(transport.nextWakeup(1021)).toBe(1020 + interval);
    // Two data frames, the flood's and its tail's; the flag went with the tail's, so "more" waits for the interval.
    expect(transport.stats.dataFrames).toBe(2);
  });

  it('mosh timing: cold start (250 ms frames, 1 s RTO) and heartbeats hold frames back', () => {
    const mosh = facingProbe(MOSH_TIMING, 100);
    expect(mosh.transport.sendIntervalMs).toBe(250);
    mosh.tick(0); // hello at 0
    mosh.transport.setLocal(mosh.transport.local.append(text('a')), 10);
    expect(mosh.transport.nextWakeup(10)).toBe(250);
    const ours = facingProbe(TSMOSH_TIMING, 100);
    ours.tick(0);
    ours.transport.setLocal(ours.transport.local.append(text('a')), 10);
    expect(ours.transport.nextWakeup(10)).toBe(18);
  });

  it('resends unacknowledged data on its resend timer, from the acknowledged base, with backoff, and stops when acked', () => {
    const { transport, tick, deliver } = facingProbe({ collectionIntervalMs: 1 }, 100);
    tick(0);
    deliver(ack(1, 1), 100); // peer heard; acked the hello
    transport.setLocal(transport.local.append(text('x')), 200);
    const [first] = tick(201);
    expect(first).toMatchObject({ oldNum: 1, newNum: 2 });
    // No ack sample yet: RTO (from the connection) + ack delay.
    const delay = transport.connection.rtt.rto() + TSMOSH_TIMING.ackDelayMs;
    expect(transport.resendDelayMs).toBe(delay);
    expect(transport.nextWakeup(202)).toBe(201 + delay);
    const [resend] = tick(201 + delay);
    expect(resend).toMatchObject({ oldNum: 1, newNum: 2 }); // same number: idempotent at the receiver
    expect(transport.stats.resends).toBe(1);
    expect(transport.resendDelayMs).toBe(backedOffDelay(delay, 1, TSMOSH_TIMING));
    deliver(ack(2, 2, 1), 201 + delay + 10);
    expect(transport.nextWakeup(201 + delay + 10)).toBe(201 + delay + 3000); // heartbeat only
  });

  it('learns how long the peer takes to acknowledge data and resends on that (Karn: resent frames give no sample)', () => {
    const { transport, tick, deliver } = facingProbe({ collectionIntervalMs: 1 }, 100);
    tick(0);
    deliver(ack(1, 1), 100);
    let now = 1000;
    let num = 2;
    let peerNum = 1;
    for (let i = 0; i < 20; i++) {
      transport.setLocal(transport.local.append(text('k')), now);
      tick(now + 1);
      deliver(ack(num, ++peerNum, peerNum - 1), now + 1 + 60); // the peer echoes 60 ms after each keystroke
      num++;
      now += 500;
    }
    // SRTT → 60, RTTVAR → 0: the timer is SRTT + the granularity floor.
    expect(transport.resendDelayMs).toBeCloseTo(60 + TSMOSH_TIMING.resendMinMs, 0);
  });

  it('under observed loss sends redundant copies of small frames, within the byte budget', () => {
    const { transport, tick, deliver } = facingProbe({ collectionIntervalMs: 1 }, 100);
    tick(0);
    deliver(ack(1, 1), 50);
    let now = 100;
    // Every first transmission is "lost": the resend timer fires each time, then the ack comes, later than a busy
    // peer's would (LATE_ACK_NOISE_MS).
    for (let i = 0; i < 20; i++) {
      transport.setLocal(transport.local.append(text('k')), now);
      tick(now + 1);
      now = transport.nextWakeup(now + 1);
      tick(now);
      deliver(ack(i + 2, i + 2, i + 1), now + 40); // data state i + 2 acknowledged after its resend
      now += 100;
    }
    expect(transport.lossEstimate).toBeGreaterThan(TSMOSH_TIMING.redundancyLossThreshold);
    transport.setLocal(transport.local.append(text('z')), now);
    const copies = tick(now + 1);
    expect(copies.length).toBe(TSMOSH_TIMING.redundancyMaxCopies);
    expect(new Set(copies.map((c) => c.newNum)).size).toBe(1);
    // A frame too big for the budget goes once.
    const big = new Uint8Array(TSMOSH_TIMING.redundancyMaxExtraBytes + 1).fill(65);
    transport.setLocal(transport.local.append(big), now + 500);
    expect(tick(transport.nextWakeup(now + 500))).toHaveLength(1);
  });

  it('keeps the sent-state list bounded while the peer acknowledges nothing', () => {
    const { transport, tick } = facingProbe({ collectionIntervalMs: 1 }, 100);
    let now = 0;
    for (let i = 0; i < 200; i++) {
      transport.setLocal(transport.local.append(text('q')), now);
      now = transport.nextWakeup(now);
      tick(now);
    }
    // 200 frames went out, the last ones paced; the internal list stays at mosh's bound of 32.
    expect(transport.stats.dataFrames).toBe(199); // the first tick is the hello; the first change rides the second
    expect((transport as unknown as { sent: unknown[] }).sent.length).toBeLessThanOrEqual(TSMOSH_TIMING.sentStatesMax);
  });

  it('prospective resend: diffs from the acknowledged state unless that is much larger than from the assumed one', () => {
    const { transport, tick, deliver } = facingProbe({ collectionIntervalMs: 1 }, 100);
    tick(0);
    deliver(ack(1, 1), 10);
    transport.setLocal(transport.local.append(new Uint8Array(2000).fill(1)), 20);
    const first = tick(21);
    expect(first[0]).toMatchObject({ oldNum: 1, newNum: 2 });
    // Within the delivery window 2 is assumed received; from 1 the diff would be 2000 bytes longer: use 2.
    transport.setLocal(transport.local.append(text('s')), 30);
    const [second] = tick(transport.nextWakeup(30));
    expect(second).toMatchObject({ oldNum: 2, newNum: 3 });
    // A small state on top of acked 1 (fits the 100-byte slack): the acknowledged base wins.
    deliver(ack(3, 2, 1), 200);
    transport.setLocal(transport.local.append(text('t')), 210);
    const [third] = tick(transport.nextWakeup(210));
    expect(third).toMatchObject({ oldNum: 3, newNum: 4 });
  });
});

describe('Transport prospective resend, the diffs it makes', () => {
  it('sends a diff from the acknowledged state within the slack without diffing from the assumed one; past the slack it compares both', () => {
    const { transport, tick, deliver } = facingProbe({ collectionIntervalMs: 1 }, 100);
    tick(0);
    deliver(ack(1, 1), 10);
    transport.setLocal(transport.local.append(text('a')), 20);
    expect(tick(transport.nextWakeup(20))[0]).toMatchObject({ oldNum: 1, newNum: 2 });
    const diffs = vi.spyOn(ByteLogState.prototype, 'diffFrom');
    try {
      // 2 is assumed received, not acknowledged: the diff from 1 is a few bytes, within the slack whatever the other.
      transport.setLocal(transport.local.append(text('b')), 30);
      expect(tick(transport.nextWakeup(30))[0]).toMatchObject({ oldNum: 1, newNum: 3 });
      expect(diffs).toHaveBeenCalledTimes(1);
      // Past the slack (2000 bytes more from 1 than from 3): both diffs are made, and the assumed base wins.
      diffs.mockClear();
      transport.setLocal(transport.local.append(new Uint8Array(2000).fill(1)), 40);
      tick(transport.nextWakeup(40));
      transport.setLocal(transport.local.append(text('c')), 50);
      expect(tick(transport.nextWakeup(50))[0]).toMatchObject({ oldNum: 4, newNum: 5 });
      expect(diffs.mock.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      diffs.mockRestore();
    }
  });
});

describe('Transport receiver', () => {
  it('applies only onto held states, ignores duplicates, inserts in order and counts every drop without throwing', () => {
    const { transport, deliver, tick } = facingProbe();
    tick(0); // the probe learns where the transport is
    const counter = (n: number) => new CounterState(n);
    const step = (oldNum: number, newNum: number, from: number, to: number): Instruction => ({
      oldNum,
      newNum,
      ackNum: 0,
      throwawayNum: 0,
      diff: counter(to).diffFrom(counter(from)),
      chaff: new Uint8Array(0),
    });
    deliver(step(0, 1, 0, 5), 10);
    expect(transport.remote.value).toBe(5);
    expect(transport.remoteNum).toBe(1);
    deliver(step(0, 1, 0, 5), 11);
    expect(transport.stats.duplicateStates).toBe(1);
    deliver(step(7, 8, 9, 10), 12);
    expect(transport.stats.unknownBaseStates).toBe(1);
    // A diff made for another base: the state throws RangeError, the transport counts it.
    deliver({ ...step(1, 2, 4, 6) }, 13);
    expect(transport.stats.rejectedDiffs).toBe(1);
    expect(transport.remoteNum).toBe(1);
    // Reordering: 3 arrives before 2. 3 becomes newest; 2 is stored but does not move the ack.
    deliver(step(1, 3, 5, 7), 14);
    deliver(step(1, 2, 5, 6), 15);
    expect(transport.remote.value).toBe(7);
    expect(transport.remoteNum).toBe(3);
    expect(transport.stats.outOfOrderStates).toBe(1);
    // Hostile numbers from an authentic peer are dropped.
    transport.receiveInstruction({ ...step(0, 1, 0, 5), newNum: -1 }, 16);
    transport.receiveInstruction({ ...step(0, 1, 0, 5), oldNum: 1.5 }, 16);
    expect(transport.stats.malformedInstructions).toBe(2);
    // Garbage datagrams never reach the transport as instructions.
    transport.receive(new Uint8Array(100).fill(7), { host: '127.0.0.1', port: 60_001 }, 17);
    expect(transport.connection.stats.dropUnknownVersion + transport.connection.stats.dropBadTag).toBeGreaterThan(0);
  });

  it('forgets states below throwawayNum but always keeps the newest', () => {
    const { transport, deliver, tick } = facingProbe();
    tick(0);
    const c = (n: number) => new CounterState(n);
    deliver({ oldNum: 0, newNum: 1, ackNum: 0, throwawayNum: 0, diff: c(1).diffFrom(c(0)), chaff: new Uint8Array(0) }, 1);
    deliver({ oldNum: 1, newNum: 2, ackNum: 0, throwawayNum: 1, diff: c(2).diffFrom(c(1)), chaff: new Uint8Array(0) }, 2);
    // State 0 is gone: a diff based on it is now an unknown base.
    deliver({ oldNum: 0, newNum: 3, ackNum: 0, throwawayNum: 1, diff: c(3).diffFrom(c(0)), chaff: new Uint8Array(0) }, 3);
    expect(transport.stats.unknownBaseStates).toBe(1);
    deliver({ oldNum: 2, newNum: 4, ackNum: 0, throwawayNum: 99, diff: c(4).diffFrom(c(2)), chaff: new Uint8Array(0) }, 4);
    expect(transport.remote.value).toBe(4);
  });

  it('acknowledges data after the ack delay, heartbeats not at all, and a long-silent peer at once', () => {
    const { transport, tick, deliver } = facingProbe();
    tick(0);
    const c = (n: number) => new CounterState(n);
    // First contact: answered at once.
    deliver({ oldNum: 0, newNum: 1, ackNum: 1, throwawayNum: 0, diff: new Uint8Array(0), chaff: new Uint8Array(0) }, 100);
    expect(transport.nextWakeup(100)).toBe(100);
    expect(tick(100)[0]!.ackNum).toBe(1);
    // Data: acknowledged after ackDelayMs.
    deliver({ oldNum: 1, newNum: 2, ackNum: 1, throwawayNum: 1, diff: c(3).diffFrom(c(0)), chaff: new Uint8Array(0) }, 200);
    expect(transport.nextWakeup(200)).toBe(300);
    expect(tick(300)[0]!.ackNum).toBe(2);
    // A heartbeat (empty diff) that acknowledges our newest state: no ack of its own.
    deliver({ oldNum: 2, newNum: 3, ackNum: 3, throwawayNum: 2, diff: new Uint8Array(0), chaff: new Uint8Array(0) }, 400);
    expect(transport.nextWakeup(400)).toBe(3300);
  });

  it('acknowledges at once once ackAfterBytes of datagrams arrived since it last sent (a flood), after the delay below that', () => {
    for (const ackAfterBytes of [TSMOSH_TIMING.ackAfterBytes, 0]) {
      const { transport, tick, deliver } = facingProbe({ ackAfterBytes });
      tick(0);
      const c = (n: number) => new CounterState(n);
      deliver({ oldNum: 0, newNum: 1, ackNum: 1, throwawayNum: 0, diff: new Uint8Array(0), chaff: new Uint8Array(0) }, 100);
      tick(100);
      // A small frame: the ack waits for the delay (a reply may carry it).
      deliver({ oldNum: 1, newNum: 2, ackNum: 1, throwawayNum: 1, diff: c(3).diffFrom(c(0)), chaff: new Uint8Array(0) }, 200);
      expect(transport.nextWakeup(200)).toBe(300);
      // A frame of three datagrams (incompressible padding stands in for a screen): over two datagrams' worth since we sent.
      deliver({ oldNum: 2, newNum: 3, ackNum: 1, throwawayNum: 2, diff: c(4).diffFrom(c(3)), chaff: seededRandom(3).bytes(3000) }, 210);
      expect(transport.nextWakeup(210)).toBe(ackAfterBytes > 0 ? 210 : 300);
      expect(transport.stats.acksForBytes).toBe(ackAfterBytes > 0 ? 1 : 0);
    }
  });

  it('acknowledges at once when asked (a receiver catching up on a long history), and does nothing with no ack due', () => {
    const { transport, tick, deliver } = facingProbe();
    tick(0);
    const c = (n: number) => new CounterState(n);
    deliver({ oldNum: 0, newNum: 1, ackNum: 1, throwawayNum: 0, diff: new Uint8Array(0), chaff: new Uint8Array(0) }, 100);
    tick(100);
    transport.acknowledgeNow(150); // nothing received since the last ack: nothing to send
    expect(transport.nextWakeup(150)).toBeGreaterThan(150);
    deliver({ oldNum: 1, newNum: 2, ackNum: 1, throwawayNum: 1, diff: c(3).diffFrom(c(0)), chaff: new Uint8Array(0) }, 200);
    expect(transport.nextWakeup(200)).toBe(300);
    transport.acknowledgeNow(210);
    expect(transport.nextWakeup(210)).toBe(210);
    expect(tick(210)[0]!.ackNum).toBe(2);
  });
});

describe('Transport bounds and mosh parity', () => {
  it('refuses new states once receivedStatesMax are held (a peer that never lets us forget)', () => {
    const { transport, deliver, tick } = facingProbe({ receivedStatesMax: 3 });
    tick(0);
    const c = (n: number) => new CounterState(n);
    for (let n = 1; n <= 4; n++) {
      deliver({ oldNum: n - 1, newNum: n, ackNum: 0, throwawayNum: 0, diff: c(n).diffFrom(c(n - 1)), chaff: new Uint8Array(0) }, n);
    }
    expect(transport.remoteNum).toBe(2);
    expect(transport.stats.refusedStates).toBe(1); // 3 is refused…
    expect(transport.stats.unknownBaseStates).toBe(1); // …so 4, built on 3, has no base
  });

  it('every heartbeat is a new state number', () => {
    const { transport, tick, deliver } = facingProbe();
    tick(0);
    deliver(ack(1), 10);
    const nums = [tick(10)[0]!.newNum];
    for (let i = 0; i < 3; i++) nums.push(tick(transport.nextWakeup(20 + i * 3000))[0]!.newNum);
    expect(nums).toEqual([2, 3, 4, 5]);
  });

  it("MOSH_TIMING resends at the frame interval when a stale heartbeat pulls the assumed state back (mosh's accident)", () => {
    const mosh = facingProbe(MOSH_TIMING);
    mosh.tick(0); // hello, never acknowledged
    mosh.transport.setLocal(mosh.transport.local.append(text('k')), 2000);
    mosh.tick(mosh.transport.nextWakeup(2000));
    const sentAt = mosh.sent.at(-1)!.at;
    expect(mosh.transport.nextWakeup(sentAt)).toBe(sentAt + mosh.transport.sendIntervalMs);
    // tsmosh waits for its deliberate resend timer instead (after contact, so no hello retries interleave).
    const ours = facingProbe(TSMOSH_TIMING);
    ours.tick(0);
    ours.deliver(ack(1), 10);
    ours.tick(10);
    ours.transport.setLocal(ours.transport.local.append(text('k')), 2000);
    const [frame] = ours.tick(ours.transport.nextWakeup(2000));
    expect(frame!.diff.length).toBeGreaterThan(0);
    const oursAt = ours.sent.at(-1)!.at;
    expect(ours.transport.nextWakeup(oursAt)).toBe(oursAt + ours.transport.resendDelayMs);
  });
});

describe('Transport timers', () => {
  it('an idle session wakes each side only for heartbeats', () => {
    const s = session();
    s.client.setLocal(s.client.local.append(text('hi')), 0);
    s.simulation.runUntil(2000);
    expect(decode(s.server.remote.held)).toBe('hi');
    const before = { ...s.simulation.counters.client, server: s.simulation.counters.server.ticks };
    s.simulation.runUntil(62_000);
    const clientTicks = s.simulation.counters.client.ticks - before.ticks;
    const serverTicks = s.simulation.counters.server.ticks - before.server;
    // 60 s / 3 s heartbeat = 20 per side, plus at most one more per received heartbeat's neighbourhood (none here).
    expect(clientTicks).toBeLessThanOrEqual(21);
    expect(serverTicks).toBeLessThanOrEqual(21);
    expect(clientTicks).toBeGreaterThanOrEqual(19);
  });

  it('tick before nextWakeup never sends (property over random schedules)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), kind: fc.constantFrom('key', 'advance', 'peek') }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 1000 }),
        (script, seed) => {
          const s = session({ seed, profile: symmetricLink({ delayMs: 30, loss: 0.2, jitterMs: 10 }) });
          let now = 0;
          for (const step of script) {
            now += step.gap;
            s.simulation.runUntil(now);
            if (step.kind === 'key') s.client.setLocal(s.client.local.append(text('k')), now);
            if (step.kind === 'peek') {
              const wake = s.client.nextWakeup(now);
              if (wake > now) expect(s.client.tick(Math.min(wake - 0.5, now + 0.25))).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('Transport probes a silent peer', () => {
  /** Every send time of a transport left alone after first contact at 100 ms, up to `until`. */
  function sendTimesAfterContact(timing: Partial<TransportTiming> | undefined, until: number): { times: number[]; rto: number; probes: number } {
    const { transport, tick, deliver, sent } = facingProbe(timing);
    tick(0);
    deliver(ack(1), 100);
    let now = 100;
    while (now <= until) {
      tick(now);
      now = transport.nextWakeup(now);
    }
    return { times: sent.map((s) => s.at).filter((at) => at >= 100), rto: transport.connection.rtt.rto(), probes: transport.stats.probes };
  }

  it('after a missed heartbeat, probes once per RTO (floored), then thinning with the silence until they are heartbeats', () => {
    const t = TSMOSH_TIMING;
    const lastHeard = 100;
    const horizon = lastHeard + 300_000;
    const { times, rto, probes } = sendTimesAfterContact(undefined, horizon);
    const expected = [lastHeard, lastHeard + t.heartbeatIntervalMs];
    const interval = Math.max(t.probeIntervalMinMs, rto);
    // The first probe, then each send that comes sooner than a heartbeat would.
    let expectedProbes = 0;
    for (let at = lastHeard + t.probeAfterSilenceMs, probe = true; at <= horizon; ) {
      expected.push(at);
      if (probe) expectedProbes++;
      const spacing = outageTrySpacingMs(at - lastHeard, interval, t.outageTryFraction, t.outageTryMaxMs);
      probe = spacing < t.heartbeatIntervalMs;
      at += spacing;
    }
    expect(times).toEqual(expected);
    expect(probes).toBe(expectedProbes);
    // In numbers: once per RTO floor (250 ms) to 17.5 s of silence, 1/70 of the silence after it, the heartbeat's
    // 3 s from 210 s: 233 probes, where they used to stop after 10 s (26) and leave the heartbeats (20 a minute).
    expect(expectedProbes).toBe(233);
    // With no thinning (outageTryFraction 0), they stop after activeRetryTimeoutMs of silence, then heartbeats again.
    const flat = sendTimesAfterContact({ outageTryFraction: 0 }, lastHeard + t.activeRetryTimeoutMs + 2 * t.heartbeatIntervalMs);
    const flatExpected = [lastHeard, lastHeard + t.heartbeatIntervalMs];
    for (let at = lastHeard + t.probeAfterSilenceMs; at < lastHeard + t.activeRetryTimeoutMs; at += interval) flatExpected.push(at);
    expect(flat.probes).toBe(flatExpected.length - 2);
    for (let at = flatExpected[flatExpected.length - 1]! + t.heartbeatIntervalMs; at <= lastHeard + t.activeRetryTimeoutMs + 2 * t.heartbeatIntervalMs; at += t.heartbeatIntervalMs) flatExpected.push(at);
    expect(flat.times).toEqual(flatExpected);
    // Switched off (mosh): heartbeats alone.
    expect(sendTimesAfterContact({ probeAfterSilenceMs: 0 }, 9100).times).toEqual([100, 3100, 6100, 9100]);
  });

  it('answers at once a heartbeat that shows the peer missed our newest state, and only that', () => {
    const { transport, tick, deliver } = facingProbe();
    tick(0);
    deliver(ack(1, 1), 100);
    expect(tick(100)).toHaveLength(1); // first contact answered at once (state 2)
    // The peer's heartbeat acknowledges our newest state: nothing to answer before our own heartbeat.
    deliver(ack(2, 2, 1), 1000);
    expect(transport.nextWakeup(1000)).toBe(3100);
    expect(tick(3100)).toHaveLength(1); // our heartbeat, state 3, lost on its way
    // The peer's next heartbeat still acknowledges 2, long after 3 left: answered at once, acknowledging it.
    deliver(ack(2, 3, 2), 4000);
    expect(transport.nextWakeup(4000)).toBe(4000);
    const answer = tick(4000);
    expect(answer).toHaveLength(1);
    expect(answer[0]!.ackNum).toBe(3);
    expect(answer[0]!.newNum).toBe(4);
    expect(transport.stats.missedStateAnswers).toBe(1);
    // Switched off: the same evidence waits for the heartbeat.
    const off = facingProbe({ answerMissedStates: false, probeAfterSilenceMs: 0 });
    off.tick(0);
    off.deliver(ack(1, 1), 100);
    off.tick(100);
    off.tick(3100);
    off.deliver(ack(2, 2, 1), 4000);
    expect(off.transport.nextWakeup(4000)).toBe(6100);
  });

  it('does not answer a heartbeat that crossed ours on a sub-millisecond round trip; one that missed ours, it does', () => {
    // Loopback: the round trip is under a millisecond, and the peer's heartbeat leaves just before ours reaches it.
    const run = (peerHeartbeatAfterOursMs: number) => {
      const { transport, tick, deliver } = facingProbe({}, 0.5);
      tick(0);
      deliver(ack(1, 1), 1);
      expect(tick(1)).toHaveLength(1); // first contact answered at once (state 2)
      deliver(ack(2, 2, 1), 1000);
      expect(tick(3001)).toHaveLength(1); // our heartbeat, state 3
      const heardAt = 3001 + peerHeartbeatAfterOursMs;
      deliver(ack(2, 3, 2), heardAt); // the peer's heartbeat, still acknowledging 2
      return { transport, heardAt };
    };
    // 3 ms after ours left (a busy host's scheduling, many round trips here): crossed, not missed.
    const crossed = run(3);
    expect(crossed.transport.nextWakeup(crossed.heardAt)).toBe(6001);
    expect(crossed.transport.stats.missedStateAnswers).toBe(0);
    // A second later it can only have missed ours: answered at once.
    const missed = run(1000);
    expect(missed.transport.nextWakeup(missed.heardAt)).toBe(missed.heardAt);
    expect(missed.transport.stats.missedStateAnswers).toBe(1);
  });

  /** The longest the client went without hearing from the server over `minutes` of an idle session (ms). */
  function longestClientSilence(timing: Partial<TransportTiming>, minutes: number): number {
    const lossy = { up: directionProfile({ delayMs: 50, loss: 0.29 }), down: directionProfile({ delayMs: 50, loss: 0.29 }) };
    // As deployed: the client probes, the server only answers (it has no status line to keep quiet).
    const s = session({ seed: 29, profile: lossy, clientTiming: timing, serverTiming: { ...timing, probeAfterSilenceMs: 0 } });
    s.simulation.runUntil(2000, () => s.client.lastHeardFromPeerAt !== undefined);
    let longest = 0;
    for (let now = 2000; now <= minutes * 60_000; now += 100) {
      s.simulation.runUntil(now);
      longest = Math.max(longest, now - (s.client.lastHeardFromPeerAt ?? 0));
    }
    return longest;
  }

  it('an idle session at 29 % loss each way never leaves the client 6.5 s without news (the status line), as heartbeats alone do', () => {
    const statusLineAfterMs = 6500; // the client's SERVER_SILENT_AFTER_MS (mosh's threshold)
    expect(longestClientSilence({}, 30)).toBeLessThan(statusLineAfterMs);
    expect(longestClientSilence({ probeAfterSilenceMs: 0, answerMissedStates: false }, 30)).toBeGreaterThan(statusLineAfterMs);
  });
});

describe('Transport shutdown', () => {
  it('completes: the peer sees it and acknowledges, the initiator learns it', () => {
    const s = session();
    s.simulation.runUntil(500);
    s.client.startShutdown(500);
    s.simulation.runUntil(2000, () => s.client.shutdownAcknowledged);
    expect(s.server.counterpartyShutdown).toBe(true);
    expect(s.server.counterpartyShutdownAckSent).toBe(true);
    expect(s.client.shutdownAcknowledged).toBe(true);
    expect(s.client.shutdownTimedOut).toBe(false);
    expect(s.client.nextWakeup(s.clock.now)).toBe(Infinity);
  });

  it('gives up after shutdownMaxTries sends when the peer is gone', () => {
    const s = session();
    s.simulation.runUntil(500);
    s.link.netem.setBlackout(true);
    s.client.startShutdown(500);
    s.simulation.runUntil(30_000, () => s.client.shutdownTimedOut);
    expect(s.client.shutdownTimedOut).toBe(true);
    expect(s.client.stats.shutdownSends).toBe(TSMOSH_TIMING.shutdownMaxTries);
    expect(s.clock.now - 500).toBeLessThanOrEqual(TSMOSH_TIMING.shutdownTimeoutMs);
  });
});

describe('Transport under a lossy link', () => {
  it('redundancy stays off on a clean link', () => {
    const s = session({ profile: symmetricLink({ delayMs: 20 }) });
    for (let i = 0; i < 50; i++) s.simulation.at(i * 200, (now) => s.client.setLocal(s.client.local.append(text('x')), now));
    s.simulation.runUntil(12_000);
    expect(s.client.stats.redundantCopies).toBe(0);
    expect(s.client.stats.resends).toBe(0);
    expect(s.server.remote.end).toBe(50);
  });

  it('a fast typist on a clean link: the answer after the typing stops, acked by the delayed ack, is not judged lost and gets no copies', () => {
    // Keys 40 ms apart carry the client's acks of the server's echoes, so the server learns acks ~40 ms after its
    // frames; the answer after the last key is acknowledged only by the client's delayed ack (ackDelayMs later).
    const s = session({ profile: symmetricLink({ delayMs: 0.2 }), initialRttMs: 1 });
    let t = 1000;
    let value = 0;
    for (let burst = 0; burst < 12; burst++) {
      for (let key = 0; key < 15; key++, t += 40) {
        s.simulation.at(t, (now) => s.client.setLocal(s.client.local.append(text('k')), now));
        s.simulation.at(t + 1, (now) => s.server.setLocal(new CounterState(++value), now, { answersInput: true }));
      }
      s.simulation.at(t + 3, (now) => s.server.setLocal(new CounterState(++value), now, { answersInput: true }));
      t += 700;
    }
    s.simulation.runUntil(t + 1000);
    expect(s.client.remote.value).toBe(value);
    // Each burst's last answer is neither resent (the timer waits out the delayed ack: resendAfterPeerAckHold) nor
    // judged lost.
    expect(s.server.stats.resends).toBe(0);
    expect(s.server.lossEstimate).toBe(0);
    expect(s.server.stats.redundantCopies).toBe(0);
  });

  it('input typed during loss arrives exactly once and in order', () => {
    const s = session({ seed: 5, profile: { up: directionProfile({ delayMs: 40, loss: 0.4 }), down: directionProfile({ delayMs: 40, loss: 0.4 }) } });
    let typed = '';
    for (let i = 0; i < 100; i++) {
      const ch = String.fromCharCode(97 + (i % 26));
      typed += ch;
      s.simulation.at(i * 37, (now) => s.client.setLocal(s.client.local.append(text(ch)), now));
    }
    s.simulation.runUntil(60_000, () => s.server.remote.end === 100 && s.clock.now > 4000);
    expect(decode(s.server.remote.held)).toBe(typed);
    expect(s.client.stats.redundantCopies).toBeGreaterThan(0);
  });
});

describe('backedOffDelay', () => {
  const t = { resendMinMs: 20, resendMaxMs: 250, resendBackoff: 1.5 };
  it('backs off from the base and stops at the ceiling on an ordinary link', () => {
    expect(backedOffDelay(100, 0, t)).toBe(100);
    expect(backedOffDelay(100, 1, t)).toBe(150);
    expect(backedOffDelay(100, 2, t)).toBe(225);
    expect(backedOffDelay(100, 3, t)).toBe(250);
    expect(backedOffDelay(100, 40, t)).toBe(250);
  });
  it('never goes below the base when the base is above the ceiling (a long-RTT link is not resent to early)', () => {
    expect(backedOffDelay(700, 0, t)).toBe(700);
    expect(backedOffDelay(700, 5, t)).toBe(700);
  });
  it('never goes below the floor', () => {
    expect(backedOffDelay(5, 0, t)).toBe(20);
  });
});

describe('a peer restarted under the same key', () => {
  /** A server transport and client processes under one key, datagrams carried by hand (nothing lost unless held back). */
  function restartHarness() {
    const random = seededRandom(21);
    const key = SessionKey.generate(random.bytes);
    const serverAddress = { host: '127.0.0.1', port: 60_001 };
    const server = new Transport<CounterState, ByteLogState, Connection>({
      connection: new Connection({ role: 'server', key, random: random.bytes, initialSeq: 1n << 40n }),
      initialLocal: new CounterState(0),
      initialRemote: ByteLogState.empty(),
    });
    const client = (initialSeq: bigint, port: number) => ({
      address: { host: '127.0.0.1', port },
      transport: new Transport<ByteLogState, CounterState, Connection>({
        connection: new Connection({ role: 'client', key, random: random.bytes, initialSeq, serverAddress }),
        initialLocal: ByteLogState.empty(),
        initialRemote: new CounterState(0),
        timing: { collectionIntervalMs: 0 },
      }),
    });
    type Client = ReturnType<typeof client>;
    /** Runs both ends until quiet; `hold` keeps the client's datagrams instead of delivering them. */
    const exchange = (c: Client, from: number, until: number, hold?: Uint8Array[]) => {
      for (let now = from; now <= until; now += 5) {
        for (const datagram of c.transport.tick(now)) {
          if (hold) hold.push(datagram.bytes);
          else server.receive(datagram.bytes, c.address, now);
        }
        for (const datagram of server.tick(now)) {
          if (datagram.to.port === c.address.port) c.transport.receive(datagram.bytes, serverAddress, now);
        }
      }
    };
    return { server, client, exchange, serverAddress };
  }

  it('serves the new process from scratch: its input starts over, it gets the whole state, and numbers go on', () => {
    const { server, client, exchange } = restartHarness();
    const first = client(1n << 20n, 50_000);
    first.transport.setLocal(first.transport.local.append(text('old input')), 0);
    exchange(first, 0, 500);
    server.setLocal(new CounterState(7), 500);
    exchange(first, 500, 1000);
    expect(decode(server.remote.since(0))).toBe('old input');
    expect(first.transport.remote.value).toBe(7);
    expect(server.stats.peerRestarts).toBe(0);

    const second = client(2n << 20n, 50_002);
    second.transport.setLocal(second.transport.local.append(text('new')), 1000);
    exchange(second, 1000, 1500);
    expect(server.stats.peerRestarts).toBe(1);
    expect(decode(server.remote.since(0))).toBe('new');
    expect(second.transport.remote.value).toBe(7);
    const restart = server.takePeerRestart()!;
    expect(restart.previousAcknowledged.num).toBeGreaterThan(0);
    expect(server.takePeerRestart()).toBeUndefined();
    // Typing goes on normally after the restart, and is not taken for another one.
    second.transport.setLocal(second.transport.local.append(text(' more')), 1500);
    server.setLocal(new CounterState(8), 1500);
    exchange(second, 1500, 2000);
    expect(decode(server.remote.since(0))).toBe('new more');
    expect(second.transport.remote.value).toBe(8);
    expect(server.stats.peerRestarts).toBe(1);
  });

  it('tells the replaced process, which applies the last frame and sees the shutdown', () => {
    const { server, client, exchange, serverAddress } = restartHarness();
    const first = client(1n << 20n, 50_000);
    server.setLocal(new CounterState(3), 0);
    exchange(first, 0, 500);
    const second = client(2n << 20n, 50_002);
    exchange(second, 500, 800);
    const restart = server.takePeerRestart()!;
    const farewell = server.farewellFor(restart, new CounterState(99));
    for (const datagram of server.connection.sendTo(farewell, first.address, 800)) first.transport.receive(datagram.bytes, serverAddress, 800);
    expect(first.transport.remote.value).toBe(99);
    expect(first.transport.counterpartyShutdown).toBe(true);
  });

  it('is never seen in a late copy of the first process\'s own early datagrams, nor before the peer moved on', () => {
    const { server, client, exchange } = restartHarness();
    const first = client(1n << 20n, 50_000);
    // Its first datagrams (building on state 0, acknowledging nothing) are held back and arrive late.
    const early: Uint8Array[] = [];
    first.transport.setLocal(first.transport.local.append(text('a')), 0);
    exchange(first, 0, 20, early);
    first.transport.setLocal(first.transport.local.append(text('b')), 20);
    server.setLocal(new CounterState(5), 20);
    exchange(first, 25, 800);
    expect(early.length).toBeGreaterThan(0);
    for (const bytes of early) server.receive(bytes, first.address, 900);
    expect(server.stats.peerRestarts).toBe(0);
    expect(decode(server.remote.since(0))).toBe('ab');
  });

  it('never happens in a long session over a lossy, reordering link', () => {
    const { simulation, client, server, clock } = session({ seed: 4, profile: symmetricLink({ delayMs: 40, jitterMs: 30, loss: 0.2, reorder: 0.1, duplicate: 0.05 }) });
    for (let step = 0; step < 200; step++) {
      client.setLocal(client.local.append(text(String(step % 10))), clock.now);
      if (step % 3 === 0) server.setLocal(new CounterState(step), clock.now);
      simulation.runUntil(clock.now + 50);
    }
    expect(client.stats.peerRestarts + server.stats.peerRestarts).toBe(0);
  });
});

describe('Transport through an outage', () => {
  /**
   * A key sent at 201 ms after first contact, then nothing heard until `until`: every transmission (time and
   * datagrams) the transport makes meanwhile.
   */
  function throughSilence(timing: Partial<TransportTiming>, payload: Uint8Array, until: number) {
    const probe = facingProbe({ collectionIntervalMs: 1, ...timing }, 100);
    const { transport, tick } = probe;
    tick(0);
    probe.deliver(ack(1, 1), 100);
    transport.setLocal(transport.local.append(payload), 200);
    expect(tick(201)).toHaveLength(1);
    const base = transport.resendDelayMs;
    const tries: Array<{ at: number; datagrams: number; newNum: number }> = [];
    let now = 201;
    for (let steps = 0; steps < 1000; steps++) {
      now = transport.nextWakeup(now);
      if (now > until) break;
      const out = tick(now);
      if (out.length > 0) tries.push({ at: now, datagrams: out.length, newNum: out[0]!.newNum });
    }
    return { ...probe, base, tries };
  }

  it('once the silence reads as an outage, resends a key every outageResendSrtts × SRTT in single copies, where the timer had backed off and copied', () => {
    const t = TSMOSH_TIMING;
    const { transport, base, tries } = throughSilence({}, text('x'), 2200);
    const outageFrom = 201 + t.outageAfterResendDelays * base;
    const interval = transport.outageResendIntervalMs;
    expect(interval).toBeLessThanOrEqual(transport.sendIntervalMs);
    // Before: the backed-off timer. From then on: one try per outage interval, thinning once 1/70 of the time since
    // the key went unanswered (201 ms) is more.
    const before = tries.filter((x) => x.at < outageFrom);
    const after = tries.filter((x) => x.at >= outageFrom);
    expect(before.length).toBeGreaterThan(1);
    expect(after.length).toBeGreaterThan(10);
    for (let i = 1; i < after.length; i++) {
      expect(after[i]!.at - after[i - 1]!.at).toBe(outageTrySpacingMs(after[i - 1]!.at - 201, interval, t.outageTryFraction, t.outageTryMaxMs));
    }
    expect(after.filter((x) => x.at < 201 + interval / t.outageTryFraction).every((x, i, early) => i === 0 || x.at - early[i - 1]!.at === interval)).toBe(true);
    expect(after[0]!.at - before[before.length - 1]!.at).toBeLessThanOrEqual(Math.max(base, t.resendMaxMs));
    expect(after.every((x) => x.datagrams === 1 && x.newNum === 2)).toBe(true);
    // The loss estimate has long turned copies on: only the outage rule keeps each try to one datagram.
    expect(transport.lossEstimate).toBeGreaterThan(t.redundancyLossThreshold);
    expect(transport.outageSuspected(2200)).toBe(true);

    // Switched off (mosh's knob value), the same silence: tries at the backed-off ceiling, three copies each.
    const off = throughSilence({ outageAfterResendDelays: 0 }, text('x'), 2200);
    const late = off.tries.filter((x) => x.at >= outageFrom);
    for (let i = 1; i < late.length; i++) expect(late[i]!.at - late[i - 1]!.at).toBe(Math.max(off.base, t.resendMaxMs));
    expect(late.some((x) => x.datagrams === t.redundancyMaxCopies)).toBe(true);
  });

  it('once heard after the outage, the loss estimate is what it was before the silence: the outage\'s transmissions are no loss, and the next frames go in single copies', () => {
    const { transport, tick, deliver, tries } = throughSilence({}, text('x'), 2200);
    // In the dark the estimate rises (every try unanswered) …
    expect(transport.lossEstimate).toBeGreaterThan(TSMOSH_TIMING.redundancyLossThreshold);
    const heardAt = tries[tries.length - 1]!.at + 10;
    deliver(ack(2, 2, 1), heardAt);
    // … and once the silence reads as an outage that ended, none of it counts: the link had shown no loss before.
    expect(transport.lossEstimate).toBe(0);
    // Nor is it a loss that makes awaited frames go twice (awaited-repeat.ts).
    tick(heardAt); // the ack of what the peer sent
    transport.setLocal(transport.local.append(text('w')), heardAt + 50, { awaited: true });
    const wentAt = transport.nextWakeup(heardAt + 50);
    expect(tick(wentAt)).toHaveLength(1);
    expect(transport.nextWakeup(wentAt)).toBeGreaterThan(wentAt + TSMOSH_TIMING.awaitedRepeatAfterMs);
    // A short silence (a lost datagram or two, answered by a resend) is loss and stays counted.
    const t = TSMOSH_TIMING;
    const short = throughSilence({}, text('x'), 201 + 3 * t.resendMaxMs);
    expect(short.transport.outageSuspected(201 + 3 * t.resendMaxMs)).toBe(false);
    short.deliver(ack(2, 2, 1), 201 + 3 * t.resendMaxMs);
    expect(short.transport.lossEstimate).toBeGreaterThan(0); // acknowledged past its deadline: judged lost
  });

  it("the peer's datagrams lost over a silence (its tries while we had nothing to send) are no loss: awaited frames still go once; the same holes between datagrams heard, or one after a pause, are loss", () => {
    /** First contact, the peer heard last at `lastHeardAt`, `lost` of its datagrams lost from `lostFrom` `apartMs` apart, then 3 heard from `backAt`. */
    function afterHoles(lastHeardAt: number, lostFrom: number, backAt: number, lost = 8, apartMs = 30) {
      const probe = facingProbe({ collectionIntervalMs: 1 }, 100);
      const { transport, tick, deliver } = probe;
      tick(0);
      deliver(ack(1, 1), 100);
      tick(100);
      if (lastHeardAt > 100) deliver(ack(1, 1), lastHeardAt);
      for (let i = 0; i < lost; i++) probe.dropFromPeer(ack(1, 1), lostFrom + apartMs * i);
      for (let i = 0; i < 3; i++) deliver(ack(1, 1), backAt + i);
      tick(backAt + 2);
      // A key: does it go a second time awaitedRepeatAfterMs later?
      const typedAt = backAt + 20;
      transport.setLocal(transport.local.append(text('w')), typedAt, { awaited: true });
      const wentAt = transport.nextWakeup(typedAt);
      expect(tick(wentAt)).toHaveLength(1);
      return transport.nextWakeup(wentAt) === wentAt + TSMOSH_TIMING.awaitedRepeatAfterMs;
    }
    // A blackout of about 3 s: the peer's tries in it vanished, and nothing of ours was waiting.
    expect(afterHoles(100, 1000, 3100, 16)).toBe(false);
    // Eight datagrams missing between datagrams heard 5 ms before and after (a burst, shorter than a round trip):
    // loss on a live link.
    expect(afterHoles(2990, 2995, 3010, 8, 1)).toBe(true);
    // One datagram missing after the same silence (the first after a pause, lost): loss too.
    expect(afterHoles(100, 3000, 3100, 1)).toBe(true);
  });

  it("a silence shorter than this end's outage suspicion is a blackout too when the peer's datagrams missing behind its end show it tried through it: then its tries are no loss; one or two missing, a lost key, are", () => {
    /** A key unanswered through 2 s of silence, `skipped` of the peer's datagrams lost at its end, then one heard that acknowledges the key. */
    function afterSilence(skipped: number) {
      // The suspicion 16 resend delays (150 ms here) after the key, later than this silence, as the daemon's 4 × 600 ms
      // on a 100 ms link is later than a 2 s blackout (the silence's end then counts after 16 round trips, 1.6 s).
      const probe = throughSilence({ outageAfterResendDelays: 16 }, text('x'), 2200);
      const { transport, tick, deliver, dropFromPeer } = probe;
      expect(transport.outageSuspected(2250)).toBe(false);
      expect(transport.lossEstimate).toBeGreaterThan(TSMOSH_TIMING.redundancyLossThreshold); // its tries judged lost meanwhile
      for (let i = 0; i < skipped; i++) dropFromPeer(ack(1, 2 + i, 1), 2200 + 5 * i);
      deliver(ack(2, 2 + skipped, 1 + skipped), 2250);
      const estimate = transport.lossEstimate;
      for (let i = 1; i <= 3; i++) deliver(ack(2, 2 + skipped + i, 1 + skipped + i), 2250 + i); // the connection counts the holes
      tick(2254);
      // A key: in how many copies does it go, and does it go once more awaitedRepeatAfterMs later?
      transport.setLocal(transport.local.append(text('w')), 2300, { awaited: true });
      const wentAt = transport.nextWakeup(2300);
      const copies = tick(wentAt).length;
      return { estimate, copies, repeated: transport.nextWakeup(wentAt) === wentAt + TSMOSH_TIMING.awaitedRepeatAfterMs };
    }
    // The peer's tries in the dark (the client's, every 25 ms in its own outage): the silence never happened.
    expect(afterSilence(40)).toEqual({ estimate: 0, copies: 1, repeated: false });
    expect(afterSilence(12)).toEqual({ estimate: 0, copies: 1, repeated: false });
    // One missing (a lost key after a pause), none (a peer with nothing to say, whose acks were lost), or 8 (a run
    // of heavy random loss: at 50 % each way 0.4 % of runs): the silence's unanswered tries are loss, as they would
    // be in a run of random loss, and the key goes in copies.
    for (const skipped of [0, 1, 8]) {
      const after = afterSilence(skipped);
      expect(after.estimate).toBeGreaterThan(TSMOSH_TIMING.redundancyLossThreshold);
      expect(after.copies).toBeGreaterThan(1);
    }
  });

  it('the first datagram heard after the outage, not acknowledging the key, makes the key go again at once', () => {
    const { transport, tick, deliver, tries } = throughSilence({}, text('x'), 2200);
    const lastTry = tries[tries.length - 1]!.at;
    const heardAt = lastTry + 10; // between two tries
    // The peer's own heartbeat, sent before our key got through: it acknowledges the hello only.
    deliver(ack(1, 2, 1), heardAt);
    expect(transport.outageSuspected(heardAt)).toBe(false);
    expect(transport.nextWakeup(heardAt)).toBe(heardAt);
    const [resend] = tick(heardAt);
    expect(resend).toMatchObject({ newNum: 2, oldNum: 1 });
    // Heard again, the timer is the ordinary one: nothing more before it expires.
    expect(transport.nextWakeup(heardAt)).toBeGreaterThan(heardAt + transport.outageResendIntervalMs);
    // Acknowledged: nothing more to resend.
    deliver(ack(2, 3, 2), heardAt + 100);
    expect(transport.nextWakeup(heardAt + 100)).toBe(heardAt + 3000);
  });

  it('a large frame keeps the backed-off timer through an outage (each try costs its size), and a short silence is no outage', () => {
    const t = TSMOSH_TIMING;
    const big = new Uint8Array(t.redundancyMaxExtraBytes + 1).fill(65);
    const { base, tries } = throughSilence({}, big, 2200);
    for (let i = 1; i < tries.length; i++) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(Math.min(base, t.resendMaxMs));
    // A key whose first resend is answered: never an outage.
    const short = throughSilence({}, text('x'), 201 + 2 * base);
    expect(short.transport.outageSuspected(201 + 2 * base)).toBe(false);
    short.deliver(ack(2, 2, 1), 201 + 2 * base);
    expect(short.transport.nextWakeup(201 + 2 * base)).toBe(short.tries[short.tries.length - 1]!.at + t.heartbeatIntervalMs);
  });
});

describe('Transport through a long outage', () => {
  const CLIENT = { ...TSMOSH_TIMING, ...TSMOSH_CLIENT_TIMING };
  const SERVER = { ...TSMOSH_TIMING, ...TSMOSH_SERVER_TIMING };
  const HOUR = 3_600_000;

  /**
   * First contact at 100 ms, then the peer is never heard again until `until`: each transmission's time. `typeEvery`:
   * new local data that often (keys typed in the dark, or a program's output at the daemon); else one key at 200 ms.
   * `suspend`: the process does not run at all during [from, to) (a closed lid): no tick.
   */
  function silence(timing: Partial<TransportTiming>, until: number, options: { typeEvery?: number; suspend?: { from: number; to: number } } = {}) {
    const probe = facingProbe(timing, 100);
    const { transport, tick } = probe;
    tick(0);
    probe.deliver(ack(1, 1), 100);
    transport.setLocal(transport.local.append(text('x')), 200);
    const sends: number[] = [];
    let now = 200;
    let nextKey = options.typeEvery === undefined ? Infinity : 200 + options.typeEvery;
    for (let steps = 0; steps < 1_000_000 && now <= until; steps++) {
      if (tick(now).length > 0) sends.push(now);
      now = Math.min(transport.nextWakeup(now), nextKey);
      if (options.suspend !== undefined && now >= options.suspend.from && now < options.suspend.to) now = options.suspend.to;
      if (now >= nextKey) {
        transport.setLocal(transport.local.append(text('k')), now);
        nextKey = now + options.typeEvery!;
      }
    }
    const within = (from: number, to: number): number => sends.filter((at) => at >= from && at < to).length;
    return { transport, sends, within };
  }

  it('the client tries at the outage cadence at first, then at 1/70 of the outage so far, never wider than its heartbeat', () => {
    const { sends, within, transport } = silence(CLIENT, HOUR);
    const f = CLIENT.outageTryFraction;
    // Every gap is at most the spacing for the silence at the try before it (the backed-off timer, 150 ms at most,
    // may come sooner while it runs, for activeRetryTimeoutMs): the link's return is noticed within it.
    const outageFrom = sends.findIndex((at, i) => i > 0 && at - sends[i - 1]! === transport.outageResendIntervalMs);
    expect(outageFrom).toBeGreaterThan(0);
    for (let i = outageFrom + 1; i < sends.length; i++) {
      // The outage counts from the key, the first transmission left unanswered (200 ms).
      const spacing = outageTrySpacingMs(sends[i - 1]! - 200, transport.outageResendIntervalMs, f, CLIENT.outageTryMaxMs);
      if (sends[i - 1]! >= 100 + CLIENT.activeRetryTimeoutMs) expect(sends[i]! - sends[i - 1]!).toBe(spacing);
      else expect(sends[i]! - sends[i - 1]!).toBeLessThanOrEqual(spacing);
    }
    expect(sends[sends.length - 1]! - sends[sends.length - 2]!).toBe(CLIENT.heartbeatIntervalMs);
    // Datagrams: the first 10 s, the first minute, the first hour, and a minute an hour in (mosh's client: 20). At
    // dbcdbe2 (a try every outage interval, 20 ms on this probe's round trip, for 10 s, then heartbeats): 464, 485,
    // 1665 and 20.
    const counts = { first10s: within(0, 10_000), firstMinute: within(0, 60_000), firstHour: within(0, HOUR), minuteAtHour: within(HOUR - 60_000, HOUR) };
    expect(counts).toEqual({ first10s: 182, firstMinute: 309, firstHour: 1528, minuteAtHour: 20 });
  });

  it('the daemon thins out to one try a minute, its new screens included, where it sent every heartbeat and every frame', () => {
    // A program writing every 500 ms to a client that is gone (a closed lid).
    const { within, sends } = silence(SERVER, HOUR, { typeEvery: 500 });
    // At dbcdbe2: 466, 571, 7651 and 120 (every screen, for ever).
    const counts = { first10s: within(0, 10_000), firstMinute: within(0, 60_000), firstHour: within(0, HOUR), minuteAtHour: within(HOUR - 60_000, HOUR) };
    expect(counts).toEqual({ first10s: 44, firstMinute: 63, firstHour: 138, minuteAtHour: 1 });
    expect(sends[sends.length - 1]! - sends[sends.length - 2]!).toBe(SERVER.outageTryMaxMs);
    // Idle (no output): its heartbeats thin out the same way past 30 s of silence.
    const idle = silence(SERVER, HOUR);
    expect(idle.within(HOUR - 600_000, HOUR)).toBe(10);
  });

  it('a process that did not run for a while (a closed lid) tries at the first cadence again when it resumes', () => {
    const wake = HOUR;
    const { sends, transport } = silence(CLIENT, wake + 5000, { suspend: { from: 120_000, to: wake } });
    const after = sends.filter((at) => at >= wake);
    expect(after[0]).toBe(wake);
    expect(after[1]! - after[0]!).toBe(transport.outageResendIntervalMs);
    // …and thins out from the resume as it did from the silence's start.
    expect(after.filter((at) => at < wake + 5000).length).toBeGreaterThan(40);
  });
});
