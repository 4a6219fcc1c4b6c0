import { describe, expect, it } from 'vitest';
import { blankFramebuffer, type Framebuffer } from '@tsmosh/terminal';
import { CARRIED_ACK_MAX_MS, CarriedAck, carriableKey } from './carried-ack.js';
import { ECHO_TIMEOUT_MS, RESPONSE_WINDOW_MS } from './session.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const withCursor = (fb: Framebuffer, x: number, y: number): Framebuffer => ({ ...fb, cursor: { ...fb.cursor, x, y } });

describe('CarriedAck', () => {
  it('carries only an Enter alone, whose one guess on the client is a cursor move', () => {
    expect(carriableKey(bytes('\r'))).toBe(true);
    for (const other of ['\r\r', 'ls\r', '\n', '\x03', '\x7f', 'a', '\x1b[A', '\t']) expect(carriableKey(bytes(other))).toBe(false);
  });

  it('waits no longer than the response window, mosh\'s echo timeout', () => {
    expect(CARRIED_ACK_MAX_MS).toBe(RESPONSE_WINDOW_MS);
    expect(CARRIED_ACK_MAX_MS).toBe(ECHO_TIMEOUT_MS);
  });

  it('holds until its bound or until the screen to send is another, and says where the answered screen had its cursor', () => {
    const echo = withCursor(blankFramebuffer(20, 5), 0, 1);
    const carried = new CarriedAck();
    expect(carried.dueAt).toBe(Infinity);
    expect(carried.release(echo)).toBeUndefined();
    carried.hold(7, echo, 1050);
    expect(carried.holding).toBe(true);
    expect(carried.dueAt).toBe(1050);
    expect(carried.due(1049.9, echo)).toBe(false);
    expect(carried.due(1050, echo)).toBe(true);
    const output = withCursor(echo, 0, 2);
    expect(carried.due(1010, output)).toBe(true);
    expect(carried.release(output)).toEqual({ position: 7, answered: { upTo: 7, x: 0, y: 1 } });
    expect(carried.holding).toBe(false);
    expect(carried.dueAt).toBe(Infinity);
    // Alone on the screen it was decided on, or on one with the cursor where it was: nothing to say.
    carried.hold(8, echo, 1100);
    expect(carried.release(echo)).toEqual({ position: 8, answered: undefined });
    carried.hold(9, echo, 1100);
    expect(carried.release({ ...echo, title: 'elsewhere' })).toEqual({ position: 9, answered: undefined });
    carried.hold(10, echo, 1100);
    carried.clear();
    expect(carried.holding).toBe(false);
  });
});
