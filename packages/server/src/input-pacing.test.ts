/**
 * The daemon's input pacing under a manual clock (ms): which events of a batch go in at once, which wait, for how
 * long, and that whatever the arrivals the bytes go in exactly as sent, in order.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { InputEvent } from '@tsmosh/terminal';
import { ESCAPE_KEY_GAP_MS, InputPacer, keyGapMs, PACED_WAIT_MAX_MS, pacedEvents, SEPARATE_KEY_GAP_MS, type PacedEvent } from './input-pacing.js';

const encoder = new TextEncoder();
const keys = (text: string): InputEvent => ({ kind: 'keys', bytes: encoder.encode(text) });
const ESC = '\x1b';
const text = (paced: readonly PacedEvent[]): string[] => paced.map(({ event }) => (event.kind === 'keys' ? new TextDecoder().decode(event.bytes) : `<${event.kind}>`));

describe('keyGapMs', () => {
  it('keeps plain text together, a control key or a sequence a short gap apart, and the key after an Esc a long one', () => {
    expect(keyGapMs(encoder.encode('a'), encoder.encode('b'))).toBe(0);
    expect(keyGapMs(encoder.encode('é'), encoder.encode('日本'))).toBe(0);
    expect(keyGapMs(encoder.encode('x'), encoder.encode('\x02'))).toBe(SEPARATE_KEY_GAP_MS); // tmux's prefix
    expect(keyGapMs(encoder.encode('\x02'), encoder.encode('o'))).toBe(SEPARATE_KEY_GAP_MS);
    expect(keyGapMs(encoder.encode('ls'), encoder.encode('\r'))).toBe(SEPARATE_KEY_GAP_MS);
    expect(keyGapMs(encoder.encode('a'), encoder.encode('\x7f'))).toBe(SEPARATE_KEY_GAP_MS); // Backspace
    expect(keyGapMs(encoder.encode('a'), encoder.encode(`${ESC}[A`))).toBe(SEPARATE_KEY_GAP_MS); // Up
    expect(keyGapMs(encoder.encode(`${ESC}j`), encoder.encode('k'))).toBe(SEPARATE_KEY_GAP_MS); // Alt+j, then k
    expect(keyGapMs(encoder.encode(ESC), encoder.encode('j'))).toBe(ESCAPE_KEY_GAP_MS);
    // The wheel, and a long paste read in chunks: no gap.
    expect(keyGapMs(encoder.encode(`${ESC}[<65;10;5M`), encoder.encode(`${ESC}[<65;10;5M`))).toBe(0);
    expect(keyGapMs(encoder.encode('line\r'.repeat(10)), encoder.encode('line\r'.repeat(10)))).toBe(0);
    // An event cut inside a sequence goes on in the next: no gap (the wire merges them anyway).
    expect(keyGapMs(encoder.encode(`a${ESC}`), encoder.encode('[A'))).toBe(0);
  });
});

describe('InputPacer', () => {
  it('writes a lone key, and a batch of plain text, in the turn they arrive', () => {
    const pacer = new InputPacer();
    pacer.add(pacedEvents([keys('\r')], 0), 1000);
    expect(text(pacer.take(1000))).toEqual(['\r']);
    pacer.add(pacedEvents([keys('h'), keys('e'), keys('y')], 1), 2000);
    expect(text(pacer.take(2000))).toEqual(['h', 'e', 'y']);
    expect(pacer.dueAt()).toBe(Infinity);
  });

  it('writes a, Esc and j of one batch apart: Esc after the short gap, j once the Esc has been alone long enough', () => {
    const pacer = new InputPacer();
    pacer.add(pacedEvents([keys('a'), keys(ESC), keys('j')], 0), 1000);
    expect(text(pacer.take(1000))).toEqual(['a']);
    expect(pacer.dueAt()).toBe(1000 + SEPARATE_KEY_GAP_MS);
    expect(pacer.take(1000 + SEPARATE_KEY_GAP_MS - 1)).toEqual([]);
    const esc = pacer.take(1000 + SEPARATE_KEY_GAP_MS);
    expect(text(esc)).toEqual([ESC]);
    expect(esc[0]!.end).toBe(2);
    expect(pacer.dueAt()).toBe(1000 + SEPARATE_KEY_GAP_MS + ESCAPE_KEY_GAP_MS);
    const j = pacer.take(1000 + SEPARATE_KEY_GAP_MS + ESCAPE_KEY_GAP_MS);
    expect(text(j)).toEqual(['j']);
    expect(j[0]!.end).toBe(3);
  });

  it("keeps tmux's prefix apart from the text before it, and its key with it", () => {
    const pacer = new InputPacer();
    pacer.add(pacedEvents([keys('x'), keys('y'), keys('\x02'), keys('o')], 0), 500);
    expect(text(pacer.take(500))).toEqual(['x', 'y']);
    expect(text(pacer.take(500 + SEPARATE_KEY_GAP_MS))).toEqual(['\x02']);
    // `o` is plain text, but the prefix is a control key: upstream Ink would read `\x02o` as text.
    expect(text(pacer.take(500 + 2 * SEPARATE_KEY_GAP_MS))).toEqual(['o']);
  });

  it('counts the gap from the last key written in an earlier turn, and makes a key that comes later wait no longer than needed', () => {
    const pacer = new InputPacer();
    pacer.add(pacedEvents([keys(ESC)], 0), 1000);
    expect(text(pacer.take(1000))).toEqual([ESC]);
    // The next datagram, 30 ms later, brings `j`: it waits out the rest of the Esc's gap.
    pacer.add(pacedEvents([keys('j')], 1), 1030);
    expect(pacer.take(1030)).toEqual([]);
    expect(pacer.dueAt()).toBe(1000 + ESCAPE_KEY_GAP_MS);
    expect(text(pacer.take(1000 + ESCAPE_KEY_GAP_MS))).toEqual(['j']);
    // Long after: no wait at all.
    pacer.add(pacedEvents([keys('\x03')], 2), 5000);
    expect(text(pacer.take(5000))).toEqual(['\x03']);
  });

  it('keeps a resize (or terminal report) in its place: with the key before it, and before the key that waits', () => {
    const pacer = new InputPacer();
    const events: InputEvent[] = [keys(ESC), { kind: 'resize', cols: 100, rows: 30 }, keys('j'), { kind: 'resize', cols: 90, rows: 30 }];
    pacer.add(pacedEvents(events, 10), 0);
    const first = pacer.take(0);
    expect(text(first)).toEqual([ESC, '<resize>']);
    expect(first.map((paced) => paced.end)).toEqual([11, 12]);
    expect(text(pacer.take(ESCAPE_KEY_GAP_MS))).toEqual(['j', '<resize>']);
  });

  it('keeps a paste, one event, in one write whatever it holds', () => {
    const pacer = new InputPacer();
    const paste = `${ESC}[200~line 1\rline 2\r${ESC}[201~`;
    pacer.add(pacedEvents([keys(paste)], 0), 0);
    expect(text(pacer.take(0))).toEqual([paste]);
  });

  it('holds no event longer than PACED_WAIT_MAX_MS: a backlog of arrows after an outage goes in at once after it', () => {
    const pacer = new InputPacer();
    const arrows = Array.from({ length: 100 }, () => keys(`${ESC}[B`));
    pacer.add(pacedEvents(arrows, 0), 0);
    let written = 0;
    let now = 0;
    while (pacer.pending > 0) {
      now = Math.max(now, pacer.dueAt());
      written += pacer.take(now).length;
    }
    expect(written).toBe(100);
    expect(now).toBe(PACED_WAIT_MAX_MS);
  });

  it('drains everything at once, in order, when asked', () => {
    const pacer = new InputPacer();
    pacer.add(pacedEvents([keys(ESC), keys('j'), keys(ESC), keys('k')], 0), 0);
    expect(text(pacer.take(0))).toEqual([ESC]);
    expect(text(pacer.drain(1))).toEqual(['j', ESC, 'k']);
    expect(pacer.pending).toBe(0);
    expect(pacer.dueAt()).toBe(Infinity);
  });

  it('writes exactly what arrived, in order, each key its gap after the one before (or once it waited its longest), and none later than due', () => {
    const keyText = fc.oneof(
      fc.constantFrom('a', 'b', ' ', 'é', '\r', '\t', '\x7f', '\x02', '\x03', ESC, `${ESC}j`, `${ESC}[A`, `${ESC}[200~x\ry${ESC}[201~`, `a${ESC}`),
      fc.string({ minLength: 1, maxLength: 4 }),
    );
    const event: fc.Arbitrary<InputEvent> = fc.oneof(
      { weight: 8, arbitrary: keyText.map((t) => keys(t)) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), cols: fc.integer({ min: 1, max: 300 }), rows: fc.integer({ min: 1, max: 100 }) }) },
    );
    // Batches: the delay (ms) since the previous one, and its events.
    const batches = fc.array(fc.record({ delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 }), fc.double({ min: 0, max: 50, noNaN: true })), events: fc.array(event, { minLength: 1, maxLength: 6 }) }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(batches, (script) => {
        const pacer = new InputPacer();
        const written: { paced: PacedEvent; at: number; arrivedAt: number }[] = [];
        const arrivals: number[] = [];
        const sent: InputEvent[] = [];
        let position = 0;
        let now = 1000;
        const takeDue = (at: number): void => {
          // As the session does: a take at every arrival and at each wake-up the pacer asks for.
          for (const paced of pacer.take(at)) written.push({ paced, at, arrivedAt: arrivals[written.length]! });
        };
        for (const { delay, events } of script) {
          const arriveAt = now + delay;
          while (pacer.pending > 0 && pacer.dueAt() <= arriveAt) {
            now = Math.max(now, pacer.dueAt());
            takeDue(now);
          }
          now = arriveAt;
          const paced = pacedEvents(events, position);
          position = paced[paced.length - 1]!.end;
          for (const e of events) {
            sent.push(e);
            arrivals.push(now);
          }
          pacer.add(paced, now);
          takeDue(now);
        }
        while (pacer.pending > 0) {
          now = Math.max(now, pacer.dueAt());
          takeDue(now);
        }
        // Exactly the events sent, in order, with their positions.
        expect(written.map((w) => w.paced.event)).toEqual(sent);
        expect(written[written.length - 1]!.paced.end).toBe(position);
        let previous: { bytes: Uint8Array; at: number } | undefined;
        for (const { paced, at, arrivedAt } of written) {
          expect(at).toBeGreaterThanOrEqual(arrivedAt);
          expect(at).toBeLessThanOrEqual(arrivedAt + PACED_WAIT_MAX_MS);
          if (paced.event.kind !== 'keys') continue;
          if (previous !== undefined) {
            const gap = keyGapMs(previous.bytes, paced.event.bytes);
            // Its gap kept, or it had waited its longest; and no later than either (the pacer holds nothing it need not).
            const gapEnd = previous.at + gap;
            const dueAt = Math.max(arrivedAt, Math.min(gapEnd, arrivedAt + PACED_WAIT_MAX_MS));
            expect(at >= gapEnd || at >= arrivedAt + PACED_WAIT_MAX_MS).toBe(true);
            if (at > dueAt) {
              // Only an event ahead of it in the queue can hold it: then it goes in the same take as that one.
              const before = written[written.findIndex((w) => w.paced === paced) - 1]!;
              expect(before.at).toBe(at);
            }
          }
          previous = { bytes: paced.event.bytes, at };
        }
      }),
      { numRuns: 300 },
    );
  });
});
