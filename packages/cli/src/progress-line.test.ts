import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressLine } from './progress-line.js';

function terminal(isTTY = true) {
  const writes: string[] = [];
  return { output: { isTTY, write: (text: string) => writes.push(text) }, writes };
}

describe('ProgressLine', () => {
  afterEach(() => vi.useRealTimers());

  it('stays silent for a fast step, shows host and step after the quiet period, follows steps, and erases itself', () => {
    vi.useFakeTimers();
    const { output, writes } = terminal();
    const line = new ProgressLine('box', output, 1_000);
    line.update('connecting to 10.0.0.1 port 22');
    vi.advanceTimersByTime(500);
    line.update('SSH handshake');
    vi.advanceTimersByTime(900);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(writes).toEqual(['\r\x1b[Ktsmosh: box: SSH handshake…']);
    line.update('authenticating as root');
    expect(writes.at(-1)).toBe('\r\x1b[Ktsmosh: box: authenticating as root…');
    line.stop();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    line.update('late');
    vi.advanceTimersByTime(5_000);
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  it('writes nothing when stderr is not a terminal', () => {
    vi.useFakeTimers();
    const { output, writes } = terminal(false);
    const line = new ProgressLine('box', output, 1_000);
    line.update('connecting');
    vi.advanceTimersByTime(5_000);
    line.stop();
    expect(writes).toEqual([]);
  });
});
