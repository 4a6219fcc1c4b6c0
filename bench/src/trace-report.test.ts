import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTER_WAY_OUT, enterReportRows, entersOf, keystrokesOf } from './trace-report.js';

// Five Enters: a prompt's answer in two writes (tsmosh's steps), a flood, one never drawn before the trace ended,
// one with only the bare relay's steps (no parsed, answer or state), and one whose first frame the client was still
// receiving after the daemon had sent the last; one plain key between them.
const fixture = readFileSync(new URL('../fixtures/enter-trace.txt', import.meta.url), 'utf8');
const close = (actual: number, expected: number) => expect(actual).toBeCloseTo(expected, 6);

describe('entersOf', () => {
  const { enters, floods, unfinished } = entersOf(fixture);

  it('keeps the Enters answered before the next key and counts the rest', () => {
    expect(enters).toHaveLength(3);
    expect(floods).toBe(1);
    expect(unfinished).toBe(1);
  });

  it('follows the key in and the last write out, skipping draws that wrote nothing', () => {
    const [first] = enters;
    expect(first!.wayIn.map((v) => Number(v.toFixed(3)))).toEqual([0.4, 1, 1.3]);
    close(first!.programMs, 3); // pty write at 1001.3, the last write at 1004.3
    expect(first!.wayOut.map((v) => Number(v.toFixed(3)))).toEqual([0.1, 0.3, 0.6, 0.8, 1, 1.3]);
    expect(first!.answerWrites).toBe(2);
    close(first!.totalMs, 5.6);
    // The harness's own lines around it: typed 0.3 ms before the key read, shown 0.3 ms after the last draw.
    close(first!.typedToReadMs, 0.3);
    close(first!.drawnToShownMs, 0.3);
  });

  it("leaves a step a system does not trace out of that Enter and finds the next from the one before", () => {
    const relay = enters[1]!;
    const out = Object.fromEntries(ENTER_WAY_OUT.map(([side, step], k) => [`${side} ${step}`, relay.wayOut[k]]));
    expect(Number.isNaN(out['server parsed'])).toBe(true);
    expect(Number.isNaN(out['client state'])).toBe(true);
    close(out['server sent']!, 0.05);
    close(out['client drawn']!, 0.5);
    close(relay.totalMs, 3.1);
    expect(Number.isNaN(relay.typedToReadMs)).toBe(true);
  });

  it('reports a dash for a step no Enter traced and the measured ones otherwise', () => {
    const rows = enterReportRows([enters[1]!]);
    expect(rows.find((r) => r[0] === 'last write → server parsed')).toEqual(['last write → server parsed', '–', '–']);
    expect(rows.at(-1)).toEqual(['**key read → answer drawn**', '3.10 ms', '3.10 ms']);
    expect(rows.some((r) => r[0]!.startsWith('typed'))).toBe(false);
  });

  it("takes the client's steps back from the draw the harness showed, not the first ones after the last write", () => {
    const late = enters[2]!;
    // Forward from the daemon's send (1501.7) the client's next receive (1501.8) is the first frame's.
    expect(late.wayOut.map((v) => Number(v.toFixed(3)))).toEqual([0.1, NaN, 0.3, 0.7, 0.9, 1.2]);
    close(late.totalMs, 2.6);
    close(late.drawnToShownMs, 0.2);
  });

  it("adds the harness's ends when the trace has them, and sums them into the bench's own span", () => {
    const rows = enterReportRows([enters[0]!]);
    expect(rows[0]).toEqual(['typed (the harness) → client key read', '0.30 ms', '0.30 ms']);
    expect(rows.at(-1)).toEqual(["**typed → shown (the bench's Enter → output)**", '6.20 ms', '6.20 ms']);
  });

  it("goes on past the first echo, where the keystroke report stops", () => {
    // The typed-key path ends at the first draw after the first write (even one that wrote nothing: 2.9 ms);
    // the Enter's ends at the draw of its last write (5.6 ms).
    const keys = keystrokesOf(fixture);
    expect(keys).toHaveLength(2); // the first Enter and the last; the others lack a step of the keystroke path
    close(keys[0]!.totalMs, 2.9);
  });
});
