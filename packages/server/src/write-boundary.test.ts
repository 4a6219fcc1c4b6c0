import { describe, expect, it } from 'vitest';
import { FULL_PTY_READ_BYTES } from './pty-drain.js';
import { MID_WRITE_MAX_HOLD_MS, OfferedScreen, WriteBoundary } from './write-boundary.js';

describe('WriteBoundary: the screen only between the program’s writes', () => {
  it('offers the screen after a short read, and holds it after a full one until a short read ends the write', () => {
    const boundary = new WriteBoundary();
    const echo = boundary.read(3);
    expect(boundary.parsed(echo, 1000)).toBe(true);
    // tmux's redraw of the other pane, cut by the 4095-byte reads: the cursor is in that pane until its last piece.
    const first = boundary.read(FULL_PTY_READ_BYTES);
    const second = boundary.read(FULL_PTY_READ_BYTES);
    const last = boundary.read(700);
    expect(boundary.parsed(first, 1001)).toBe(false);
    expect(boundary.holding).toBe(true);
    expect(boundary.parsed(second, 1002)).toBe(false);
    expect(boundary.parsed(last, 1003)).toBe(true);
    expect(boundary.holding).toBe(false);
    expect(boundary.holdDeadline).toBeUndefined();
  });

  it('a full read the next read found nothing after ends at rest, parsed before or after that is known', () => {
    const boundary = new WriteBoundary();
    const early = boundary.read(FULL_PTY_READ_BYTES);
    expect(boundary.nothingAfter()).toBe(false); // not parsed yet: it is offered when it is
    expect(boundary.parsed(early, 1000)).toBe(true);

    const late = boundary.read(FULL_PTY_READ_BYTES);
    expect(boundary.parsed(late, 1010)).toBe(false);
    expect(boundary.nothingAfter()).toBe(true); // parsed and held: offer it now
    expect(boundary.holding).toBe(false);
    expect(boundary.nothingAfter()).toBe(false); // once
  });

  it('a flood read at intervals: a joined chunk is at rest by its last read, whatever its size', () => {
    const boundary = new WriteBoundary();
    // Five ms of tmux's writes in one wake, the last read short: everything the kernel held, at rest.
    expect(boundary.parsed(boundary.read(9000, true), 1000)).toBe(true);
    // A chunk smaller than a full read that the wake's bound cut: more may wait, so it is held...
    const cut = boundary.read(100, false);
    expect(boundary.parsed(cut, 1005)).toBe(false);
    // ...until the next wake finds nothing after it.
    expect(boundary.nothingAfter()).toBe(true);
    // A joined chunk that ended at rest but mid-redraw (a scroll region in force) is held as a single read is.
    expect(boundary.parsed(boundary.read(9000, true), 1010, '0;11')).toBe(false);
    expect(boundary.parsed(boundary.read(3000, true), 1015)).toBe(true);
  });

  it('a read that ends a write is not at rest while a partial scroll region is in force (tmux scrolling a pane)', () => {
    const boundary = new WriteBoundary();
    // tmux's writes are a few hundred bytes: one ends after the pane's new lines, before it resets the region and
    // puts the cursor back.
    expect(boundary.parsed(boundary.read(252), 1000, '0;18')).toBe(false);
    expect(boundary.parsed(boundary.read(252), 1001, '0;18')).toBe(false);
    const drawing = boundary.read(FULL_PTY_READ_BYTES);
    expect(boundary.parsed(drawing, 1002, '0;18')).toBe(false);
    expect(boundary.nothingAfter()).toBe(false); // the write ended, the redraw did not
    expect(boundary.parsed(boundary.read(20), 1003)).toBe(true);
  });

  it('a partial scroll region the program keeps is learned when a hold runs out with it, until it is reset', () => {
    const boundary = new WriteBoundary();
    expect(boundary.parsed(boundary.read(100), 1000, '0;22')).toBe(false);
    expect(boundary.expire(1000 + MID_WRITE_MAX_HOLD_MS)).toBe(true);
    // A progress bar's reserved bottom line: its later writes show at once.
    expect(boundary.parsed(boundary.read(100), 1100, '0;22')).toBe(true);
    // Another region is a redraw again; so is the same one once the program has reset it in between.
    expect(boundary.parsed(boundary.read(100), 1200, '5;22')).toBe(false);
    expect(boundary.parsed(boundary.read(100), 1201)).toBe(true);
    expect(boundary.parsed(boundary.read(100), 1202, '0;22')).toBe(false);
  });

  it('a program whose output never pauses still shows, at most MID_WRITE_MAX_HOLD_MS apart', () => {
    const boundary = new WriteBoundary();
    const offeredAt: number[] = [];
    for (let now = 1000; now < 1100; now += 1) if (boundary.parsed(boundary.read(FULL_PTY_READ_BYTES), now)) offeredAt.push(now);
    expect(offeredAt.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < offeredAt.length; i++) expect(offeredAt[i]! - offeredAt[i - 1]!).toBeLessThanOrEqual(MID_WRITE_MAX_HOLD_MS + 1);
  });

  it('a hold no read ends runs out at its deadline (the host’s timer), and release ends it at once', () => {
    const boundary = new WriteBoundary();
    expect(boundary.parsed(boundary.read(FULL_PTY_READ_BYTES), 1000)).toBe(false);
    expect(boundary.holdDeadline).toBe(1000 + MID_WRITE_MAX_HOLD_MS);
    expect(boundary.expire(1000 + MID_WRITE_MAX_HOLD_MS - 1)).toBe(false);
    expect(boundary.expire(1000 + MID_WRITE_MAX_HOLD_MS)).toBe(true);
    expect(boundary.holding).toBe(false);
    expect(boundary.expire(2000)).toBe(false);

    expect(boundary.parsed(boundary.read(FULL_PTY_READ_BYTES), 3000)).toBe(false);
    boundary.release();
    expect(boundary.holding).toBe(false);
  });

  it('OfferedScreen: the mirror is read only when asked and nothing is held; an offer a hold overtook is reported, not lost', () => {
    let mirror = 'one';
    let reads = 0;
    const current = (): string => (reads++, mirror);
    const offered = new OfferedScreen('blank');
    offered.offer(); // the host offers 'one' at rest: nothing is read yet
    expect(reads).toBe(0);
    expect(offered.take(false, current)).toBe('one');
    expect(offered.behindOffer(true)).toBe(false); // what was offered was taken
    mirror = 'two';
    offered.offer(); // offered at rest, then a newer read begins a hold before the session asks
    mirror = 'three, half drawn';
    expect(offered.behindOffer(true)).toBe(true);
    expect(offered.take(true, current)).toBe('one'); // older than offered: the session waits for the next offer
    expect(offered.behindOffer(true)).toBe(true);
    mirror = 'three';
    offered.offer(); // the hold ends: offered again, and taken fresh
    expect(offered.take(false, current)).toBe('three');
    expect(offered.behindOffer(true)).toBe(false);
    expect(offered.kept).toBe('three');
    expect(reads).toBe(2);
  });
});
