import { describe, expect, it } from 'vitest';
import { wrapSynchronized } from './synchronized-output.js';

describe('wrapSynchronized', () => {
  it('wraps frames only once the terminal said yes, and never an empty one', () => {
    expect(wrapSynchronized('frame', true)).toBe('\x1b[?2026hframe\x1b[?2026l');
    expect(wrapSynchronized('', true)).toBe('');
    expect(wrapSynchronized('frame', false)).toBe('frame');
    expect(wrapSynchronized('frame', undefined)).toBe('frame');
  });
});
