import fc from 'fast-check';
import { encodeVarint } from '@tsmosh/testkit';
import { describe, expect, it } from 'vitest';
import { InputStream, INPUT_DIFF_VERSION, type InputEvent } from './input-stream.js';
import { keyBoundaryMatters } from './key-boundary.js';
import { INPUT_CHUNK_BYTES } from './input-chunks.js';
import { TERMINAL_VERSION_MAX } from './terminal-capabilities.js';

const arbKeys: fc.Arbitrary<InputEvent> = fc.oneof(
  // Typed keys, escape sequences, raw bytes that are not UTF-8, and the occasional paste.
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.constantFrom('a', '\r', '\x1b[A', '\x1b[13;2u', 'é', '中', '😀', '\x03').map((s) => new TextEncoder().encode(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
).map((bytes) => ({ kind: 'keys', bytes }));
const arbResize: fc.Arbitrary<InputEvent> = fc.record({ kind: fc.constant('resize' as const), cols: fc.integer({ min: 1, max: 1000 }), rows: fc.integer({ min: 1, max: 1000 }) });
const arbTerminal: fc.Arbitrary<InputEvent> = fc
  .record({
    kittyKeyboard: fc.boolean(),
    synchronizedOutput: fc.boolean(),
    version: fc.oneof(fc.constantFrom('', 'kitty(0.39.1)', 'WezTerm 20240203-110809-5046fc22', 'XTerm(390)'), fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: TERMINAL_VERSION_MAX })),
  })
  .map((capabilities) => ({ kind: 'terminal' as const, capabilities }));
/** A key event long enough to be logged as chunks (a paste's read). */
const arbLongKeys: fc.Arbitrary<InputEvent> = fc.uint8Array({ minLength: INPUT_CHUNK_BYTES + 1, maxLength: 4 * INPUT_CHUNK_BYTES }).map((bytes) => ({ kind: 'keys', bytes }));
const arbEvent = fc.oneof({ weight: 5, arbitrary: arbKeys }, { weight: 1, arbitrary: arbResize }, { weight: 1, arbitrary: arbTerminal });

function build(events: readonly InputEvent[], from = InputStream.empty()): InputStream {
  return events.reduce((stream, event) => stream.append(event), from);
}

/** Events as the server acts on them: key bytes concatenated between resizes. */
function flatten(events: readonly InputEvent[]): (string | number[])[] {
  const out: (string | number[])[] = [];
  let keys: number[] | undefined;
  for (const event of events) {
    if (event.kind === 'keys') {
      if (keys === undefined) out.push((keys = []));
      keys.push(...event.bytes);
    } else if (event.kind === 'resize') {
      keys = undefined;
      out.push(`resize ${event.cols}x${event.rows}`);
    } else {
      keys = undefined;
      const { kittyKeyboard, synchronizedOutput, version } = event.capabilities;
      out.push(`terminal ${kittyKeyboard ? 'kitty' : '-'} ${synchronizedOutput ? '2026' : '-'} ${JSON.stringify(version)}`);
    }
  }
  return out;
}

function applyOrRangeError(state: InputStream, diff: Uint8Array): InputStream | RangeError {
  try {
    return state.applyDiff(diff);
  } catch (error) {
    if (error instanceof RangeError) return error;
    throw error;
  }
}

describe('InputStream', () => {
  it('turns a stream into any later version of itself, merging adjacent keys, and eventsSince reports the gap', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 30 }), fc.array(arbEvent, { maxLength: 30 }), (older, newer) => {
        const b = build(older);
        const a = build(newer, b);
        const diff = a.diffFrom(b);
        const result = b.applyDiff(diff);
        expect(result.equals(a)).toBe(true);
        expect(result.end).toBe(a.end);
        expect(flatten(result.eventsSince(b))).toEqual(flatten(newer));
        expect(flatten(a.eventsSince(b))).toEqual(flatten(newer));
        // Merged on the wire: one keys record per run of plain text, so the overhead is per kept edge, not per key.
        const payload = newer.reduce((sum, e) => sum + (e.kind === 'keys' ? e.bytes.length : 0), 0);
        const keptEdges = newer.filter((e, i) => i > 0 && e.kind === 'keys' && newer[i - 1]!.kind === 'keys' && keyBoundaryMatters((newer[i - 1] as { bytes: Uint8Array }).bytes, e.bytes)).length;
        if (newer.length > 0 && newer.every((e) => e.kind === 'keys')) expect(diff.length).toBeLessThanOrEqual(payload + 1 + 8 + 1 + 1 + 3 + 3 * keptEdges);
      }),
    );
  });

  it('keeps on the wire the edges next to a control key or Esc, so the server can write those keys apart, and merges plain text', () => {
    const typed = ['l', 's', '\r', 'a', '\x1b', 'j', '\x1b[A', '\x1b[A', 'x', '\x02', 'o', 'é', '日'];
    const older = build([{ kind: 'keys', bytes: new TextEncoder().encode('$ ') }]);
    const newer = build(typed.map((t) => ({ kind: 'keys', bytes: new TextEncoder().encode(t) }) as InputEvent), older);
    const received = older.applyDiff(newer.diffFrom(older));
    const events = received.eventsSince(older).map((e) => (e.kind === 'keys' ? new TextDecoder().decode(e.bytes) : e.kind));
    expect(events).toEqual(['ls', '\r', 'a', '\x1b', 'j', '\x1b[A', '\x1b[A', 'x', '\x02', 'oé日']);
    // How the bytes are split into events is no part of a state's identity.
    expect(received.equals(build([{ kind: 'keys', bytes: new TextEncoder().encode(`$ ${typed.join('')}`) }]))).toBe(true);
  });

  it('diffs equal states to nothing, and applying nothing is the identity', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 20 }), (events) => {
        const a = build(events);
        const b = build(events);
        expect(a.diffFrom(b)).toEqual(new Uint8Array(0));
        expect(a.applyDiff(new Uint8Array(0))).toBe(a);
        expect(a.equals(b)).toBe(true);
      }),
    );
  });

  it('delivers every event exactly once and in order through loss, stale diffs and subtracts on both ends', () => {
    // A model of the transport: the client sends diffs from the state it assumes the server holds; datagrams are
    // lost, duplicated or delayed (a stale diff arrives after newer ones); the server applies a diff only if it holds
    // the base (applyDiff refuses otherwise), feeds eventsSince to the "pty", acks, and both ends subtract.
    const arbStep = fc.oneof(
      { weight: 4, arbitrary: arbEvent.map((event) => ({ type: 'type' as const, event })) },
      { weight: 3, arbitrary: fc.record({ type: fc.constant('send' as const), lost: fc.boolean(), assumeDelivered: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ type: 'replay-stale' as const }) },
      { weight: 2, arbitrary: fc.constant({ type: 'ack' as const }) },
    );
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 60 }), (steps) => {
        const typed: InputEvent[] = [];
        let clientCurrent = InputStream.empty();
        let clientAssumed = clientCurrent; // the state the client diffs against
        let clientAcked = clientCurrent;
        const sentStates: InputStream[] = [clientCurrent];
        const inFlight: { diff: Uint8Array; state: InputStream }[] = [];
        let server = InputStream.empty();
        let serverProcessed = server;
        const fedToPty: InputEvent[] = [];
        const deliver = (diff: Uint8Array): void => {
          const result = applyOrRangeError(server, diff);
          if (result instanceof RangeError) return; // not our base: dropped, as the transport would
          server = result;
          fedToPty.push(...server.eventsSince(serverProcessed));
          serverProcessed = server;
          server = server.subtract(serverProcessed);
        };
        for (const step of steps) {
          if (step.type === 'type') {
            typed.push(step.event);
            clientCurrent = clientCurrent.append(step.event);
          } else if (step.type === 'send') {
            const diff = clientCurrent.diffFrom(clientAssumed);
            inFlight.push({ diff, state: clientCurrent });
            sentStates.push(clientCurrent);
            if (!step.lost) deliver(diff);
            // mosh assumes delivery optimistically after a while; if wrong, the next diffs do not apply until it
            // falls back to the acknowledged state.
            if (step.assumeDelivered) clientAssumed = clientCurrent;
          } else if (step.type === 'replay-stale') {
            if (inFlight.length > 0) deliver(inFlight[0]!.diff);
          } else {
            // The server acks the newest state it holds; the client finds it among its sent states.
            const acked = sentStates.find((s) => s.end === server.end);
            if (acked === undefined) continue;
            clientAcked = acked;
            clientCurrent = clientCurrent.subtract(clientAcked);
            clientAssumed = clientAcked; // fall back to what is known, so progress resumes after loss
          }
        }
        // Finally the link heals: the server acks what it holds and the client sends the rest from there.
        const held = sentStates.find((state) => state.end === server.end)!;
        deliver(clientCurrent.subtract(held).diffFrom(held));
        expect(flatten(fedToPty)).toEqual(flatten(typed));
        expect(server.end).toBe(clientCurrent.end);
      }),
      { numRuns: 300 },
    );
  });

  it('subtract drops the acknowledged prefix without changing positions, even inside a merged key run', () => {
    const a = InputStream.empty().append({ kind: 'keys', bytes: Uint8Array.of(1, 2, 3) });
    const b = a.append({ kind: 'keys', bytes: Uint8Array.of(4, 5) }).append({ kind: 'resize', cols: 80, rows: 24 });
    const afterAck = b.subtract(a);
    expect(afterAck.start).toBe(3);
    expect(afterAck.end).toBe(6);
    expect(flatten(afterAck.events)).toEqual([[4, 5], 'resize 80x24']);
    expect(() => afterAck.diffFrom(InputStream.empty())).toThrow(/outside the positions 3–6/);
    expect(afterAck.diffFrom(a)).toEqual(b.diffFrom(a));

    // The receiver got 1,2,3,4,5 as one merged run; acknowledging part of it cuts the run.
    const receiver = InputStream.empty().applyDiff(b.diffFrom(InputStream.empty()));
    const partial = receiver.subtract(a);
    expect(flatten(partial.events)).toEqual([[4, 5], 'resize 80x24']);
    expect(flatten(receiver.eventsSince(a))).toEqual([[4, 5], 'resize 80x24']);
    expect(() => partial.eventsSince(InputStream.empty())).toThrow(RangeError);
    expect(partial.equals(b)).toBe(true);
    expect(b.subtract(b).events).toEqual([]);
  });

  it('keeps branches apart when two states are appended to the same state', () => {
    const base = InputStream.empty().append({ kind: 'keys', bytes: Uint8Array.of(1) });
    const left = base.append({ kind: 'keys', bytes: Uint8Array.of(2) });
    const right = base.append({ kind: 'keys', bytes: Uint8Array.of(3) });
    expect(flatten(left.events)).toEqual([[1, 2]]);
    expect(flatten(right.events)).toEqual([[1, 3]]);
    expect(left.equals(right)).toBe(false);
  });

  it('copies appended key bytes, so the caller may reuse its buffer', () => {
    const buffer = Uint8Array.of(7, 8);
    const stream = InputStream.empty().append({ kind: 'keys', bytes: buffer });
    buffer[0] = 0;
    expect(flatten(stream.events)).toEqual([[7, 8]]);
  });

  it('stays correct across many subtracts (the log compacts itself)', () => {
    let client = InputStream.empty();
    let server = InputStream.empty();
    const typed: number[] = [];
    const received: number[] = [];
    for (let i = 0; i < 2000; i++) {
      client = client.append({ kind: 'keys', bytes: Uint8Array.of(i & 0xff) });
      typed.push(i & 0xff);
      if (i % 7 === 0) {
        const next = server.applyDiff(client.diffFrom(server));
        for (const event of next.eventsSince(server)) if (event.kind === 'keys') received.push(...event.bytes);
        client = client.subtract(next);
        server = next.subtract(next);
      }
    }
    const next = server.applyDiff(client.diffFrom(server));
    for (const event of next.eventsSince(server)) if (event.kind === 'keys') received.push(...event.bytes);
    expect(received).toEqual(typed);
  });

  it('ignores empty key events and rejects impossible resizes', () => {
    const empty = InputStream.empty();
    expect(empty.append({ kind: 'keys', bytes: new Uint8Array(0) })).toBe(empty);
    expect(() => empty.append({ kind: 'resize', cols: 0, rows: 24 })).toThrow(RangeError);
    expect(() => empty.append({ kind: 'resize', cols: 80, rows: 1001 })).toThrow(/outside 1x1 to 1000x1000/);
    const terminal = (version: string): InputEvent => ({ kind: 'terminal', capabilities: { kittyKeyboard: true, synchronizedOutput: false, version } });
    expect(() => empty.append(terminal('evil\x1b\\typed'))).toThrow(/not printable ASCII/);
    expect(() => empty.append(terminal('x'.repeat(TERMINAL_VERSION_MAX + 1)))).toThrow(RangeError);
    expect(empty.append(terminal('kitty(0.39.1)')).end).toBe(1);
  });

  it('carries what the terminal answered as one event of one position', () => {
    const base = InputStream.empty().append({ kind: 'keys', bytes: Uint8Array.of(0x61) });
    const next = base.append({ kind: 'terminal', capabilities: { kittyKeyboard: true, synchronizedOutput: true, version: 'kitty(0.39.1)' } });
    const diff = next.diffFrom(base);
    // version 2, from 1, one event: tag 2, flags kitty|2026, the version as a string.
    expect([...diff.subarray(0, 5)]).toEqual([INPUT_DIFF_VERSION, 1, 1, 2, 3]);
    const received = base.applyDiff(diff);
    expect(received.end).toBe(2);
    expect(received.eventsSince(base)).toEqual([{ kind: 'terminal', capabilities: { kittyKeyboard: true, synchronizedOutput: true, version: 'kitty(0.39.1)' } }]);
  });

  it('throws RangeError, and only RangeError, on random bytes and on every truncation of a valid diff', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 10 }), fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.boolean(), (events, garbage, framed) => {
        const base = build(events);
        // Half the cases carry a correct header, so the fuzz reaches the events.
        const header = Uint8Array.of(INPUT_DIFF_VERSION, ...encodeVarint(base.end), garbage[0]! % 4);
        applyOrRangeError(base, framed ? Uint8Array.of(...header, ...garbage) : garbage);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 10 }), fc.array(arbEvent, { minLength: 1, maxLength: 10 }), (older, newer) => {
        const b = build(older);
        const diff = build(newer, b).diffFrom(b);
        for (let length = 1; length < diff.length; length++) expect(applyOrRangeError(b, diff.subarray(0, length))).toBeInstanceOf(RangeError);
      }),
    );
  });

  it('names what was wrong', () => {
    const base = InputStream.empty().append({ kind: 'keys', bytes: Uint8Array.of(1, 2) });
    const cases: [number[], RegExp][] = [
      [[1, 2, 1, 0, 1, 9], /version 1 is not the version this build speaks/],
      [[2, 5, 1, 0, 1, 9], /starts at position 5 but this stream ends at 2/],
      [[2, 2, 0], /holds no events/],
      [[2, 2, 2, 0, 1, 9], /truncated before event tag/],
      [[2, 2, 1, 0, 1, 9, 9], /1 unexpected trailing bytes/],
      [[2, 2, 1, 0, 0], /keys event holds no bytes/],
      [[2, 2, 1, 0, 3, 9], /key bytes needs 3 bytes but only 1 remain/],
      [[2, 2, 1, 1, 0, 5], /resize to 0x5 is not positive/],
      [[2, 2, 1, 1, 0xe9, 0x07, 5], /resize cols is 1001/],
      [[2, 2, 1, 7], /event tag 7 is unknown/],
      [[2, 2, 1, 2, 4, 0], /terminal flags 4 hold unknown bits/],
      [[2, 2, 1, 2, 1, 2, 0x1b, 0x5c], /terminal version is not printable ASCII/],
      [[2, 2, 1, 2, 1, 5, 0x61], /truncated|needs 5 bytes/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => base.applyDiff(Uint8Array.from(bytes)), message.source).toThrow(message);
      expect(() => base.applyDiff(Uint8Array.from(bytes))).toThrow(RangeError);
    }
  });

  it('logs a long key event as chunks, which the wire merges again into one record', () => {
    const paste = new TextEncoder().encode('pasted line of text, é 漢\r'.repeat(400));
    const stream = InputStream.empty().append({ kind: 'keys', bytes: paste });
    expect(stream.events.length).toBeGreaterThanOrEqual(Math.ceil(paste.length / INPUT_CHUNK_BYTES));
    for (const event of stream.events) expect(event.kind === 'keys' && event.bytes.length).toBeLessThanOrEqual(INPUT_CHUNK_BYTES);
    const received = InputStream.empty().applyDiff(stream.diffFrom(InputStream.empty()));
    expect(received.events).toEqual([{ kind: 'keys', bytes: paste }]);
  });

  it('prefix ends at the first event boundary at or past the limit, and its diffs add up to the whole stream', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 6, arbitrary: arbEvent }, { weight: 1, arbitrary: arbLongKeys }), { maxLength: 30 }), fc.array(fc.nat(4000), { maxLength: 6 }), fc.nat(20), (events, steps, ackedEvents) => {
        const full = build(events);
        // The acknowledged part is dropped, as the client does, before prefixes are taken.
        const acked = full.prefix(Math.min(full.end, ackedEvents));
        const held = full.subtract(acked);
        let server = InputStream.empty().applyDiff(acked.diffFrom(InputStream.empty()));
        let offered = acked;
        let limit = acked.end;
        for (const step of steps) {
          limit += step;
          const next = held.prefix(Math.max(limit, offered.end));
          expect(next.end).toBeGreaterThanOrEqual(Math.min(limit, held.end));
          // Rounded up to an event's end: never past the end of the event holding position limit − 1.
          const boundaries = [held.start, ...pacedEnds(held.events, held.start)];
          expect(boundaries).toContain(next.end);
          if (limit < held.end) expect(boundaries.filter((b) => b >= limit)[0]).toBe(next.end);
          server = server.applyDiff(next.diffFrom(offered));
          offered = next;
        }
        server = server.applyDiff(held.diffFrom(offered));
        expect(server.equals(full)).toBe(true);
        expect(flatten(server.events)).toEqual(flatten(full.events));
      }),
      { numRuns: 300 },
    );
  });
});

/** The position just past each event, from `from`. */
function pacedEnds(events: readonly InputEvent[], from: number): number[] {
  let end = from;
  return events.map((event) => (end += event.kind === 'keys' ? event.bytes.length : 1));
}
