import { describe, expect, it } from 'vitest';
import { HeadlessMirror } from './headless-mirror.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('OSC 52 collected as bytes', () => {
  it('keeps a large copy whole however the output is cut, and the next string starts clean', async () => {
    const mirror = new HeadlessMirror({ cols: 20, rows: 3, onReply: () => {} });
    const payload = 'QUJD'.repeat(200_000); // 800 KB of base64, inside the 1 Mi budget
    const bytes = encode(`\x1b]52;c;${payload}\x07`);
    for (let offset = 0; offset < bytes.length; offset += 4093) await mirror.write(bytes.subarray(offset, offset + 4093));
    expect(mirror.snapshot().clipboard).toMatchObject({ selection: 'c', data: payload });
    await mirror.write(encode('\x1b]52;p;aGk=\x1b\\'));
    expect(mirror.snapshot().clipboard).toMatchObject({ selection: 'p', data: 'aGk=' });
    expect(mirror.stats.droppedClipboardWrites).toBe(0);
    mirror.dispose();
  });

  it('refuses a payload that is not ASCII, and one abandoned over the budget, keeping the last good copy', async () => {
    const mirror = new HeadlessMirror({ cols: 20, rows: 3, onReply: () => {} });
    await mirror.write(encode('\x1b]52;c;aGk=\x07'));
    await mirror.write(encode('\x1b]52;c;aGk\u00e9=\x07'));
    expect(mirror.stats.droppedClipboardWrites).toBe(1);
    await mirror.write(encode(`\x1b]52;c;${'A'.repeat(2 * 1024 * 1024)}\x07`));
    expect(mirror.stats.droppedOscStrings).toBe(1);
    expect(mirror.snapshot().clipboard).toMatchObject({ generation: 1, data: 'aGk=' });
    mirror.dispose();
  });
});
