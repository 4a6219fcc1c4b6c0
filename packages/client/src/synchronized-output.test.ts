import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SynchronizedOutputProbe } from './synchronized-output.js';

describe('SynchronizedOutputProbe', () => {
  it('takes the answer out of the input and learns the mode is supported (reset or set) or not (0, 4)', () => {
    for (const [mode, supported] of [[1, true], [2, true], [3, true], [0, false], [4, false]] as const) {
      const probe = new SynchronizedOutputProbe();
      expect(probe.filter(`ab\x1b[?2026;${mode}$ycd`)).toBe('abcd');
      expect(probe.supported).toBe(supported);
    }
  });

  it('finds an answer split across reads, at any split, and passes everything else through', () => {
    const input = 'ls\r\x1b[?2026;2$y-l';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 4 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const probe = new SynchronizedOutputProbe();
        let out = '';
        let from = 0;
        for (const point of [...points, input.length]) {
          out += probe.filter(input.slice(from, point));
          from = point;
        }
        expect(out + probe.settle()).toBe('ls\r-l');
        expect(probe.supported).toBe(true);
      }),
    );
  });

  it('wraps frames only once the terminal said yes; without an answer, input held back is given back', () => {
    const probe = new SynchronizedOutputProbe();
    expect(probe.filter('x\x1b[?20')).toBe('x');
    expect(probe.settle()).toBe('\x1b[?20');
    expect(probe.supported).toBe(false);
    expect(probe.wrap('frame')).toBe('frame');
    expect(probe.filter('\x1b[?2026;2$y')).toBe('\x1b[?2026;2$y'); // after settling, nothing is taken
    const yes = new SynchronizedOutputProbe();
    yes.filter('\x1b[?2026;2$y');
    expect(yes.wrap('frame')).toBe('\x1b[?2026hframe\x1b[?2026l');
    expect(yes.wrap('')).toBe('');
  });
});
