import { describe, expect, it } from 'vitest';
import { FIRST_KEYS, ReturningUser, RETURNING_SYSTEM, firstKeyLatencies, firstKeysNote, memoryLabel, memoryOf, rememberedPrompts, returningNotes, type WarmUpRecord } from './returning-user.js';

describe('memoryOf and memoryLabel', () => {
  it('tells the first-ever tsmosh session from its returning user, and the systems that keep nothing', () => {
    expect(memoryOf('tsmosh')).toBe('first-ever');
    expect(memoryOf('tsmosh-tcp')).toBe('first-ever');
    expect(memoryOf(RETURNING_SYSTEM)).toBe('returning');
    expect(memoryOf('mosh')).toBe('none');
    expect(memoryOf('ssh')).toBe('none');
    expect(memoryLabel('tsmosh')).toMatch(/^first-ever session/);
    expect(memoryLabel(RETURNING_SYSTEM)).toMatch(/^returning user/);
    expect(memoryLabel('mosh')).toMatch(/returning user is its first-ever session/);
  });
});

describe('rememberedPrompts', () => {
  const file = JSON.stringify({ version: 1, hosts: { '127.0.0.1': { prompts: ['$ ', 7, 'user@host:~$ '], usedAt: 1 }, other: { prompts: ['> '], usedAt: 2 } } });

  it("reads the host's prompts as the client keyed them, and nothing for another host", () => {
    expect(rememberedPrompts(file, '127.0.0.1')).toEqual(['$ ', 'user@host:~$ ']);
    expect(rememberedPrompts(file, '127.0.0.2')).toEqual([]);
  });

  it('reads no memory from a missing or broken file', () => {
    expect(rememberedPrompts(undefined, '127.0.0.1')).toEqual([]);
    expect(rememberedPrompts('{"version":1,"hosts":', '127.0.0.1')).toEqual([]);
    expect(rememberedPrompts('null', '127.0.0.1')).toEqual([]);
  });
});

describe('ReturningUser', () => {
  const record: WarmUpRecord = { commands: 3, ms: 4200, prompts: ['$ '] };

  it('warms each link up once, before its first session, and hands every session on it the same folder', async () => {
    const visits: Array<{ dir: string; spec: string }> = [];
    let made = 0;
    const user = new ReturningUser(
      async (dir, spec) => {
        visits.push({ dir, spec });
        return record;
      },
      () => `/tmp/returning-${made++}`,
    );
    expect(user.record('delay=150ms,loss=10%')).toBeUndefined();
    const first = await user.stateDirFor('delay=150ms,loss=10%');
    const again = await user.stateDirFor('delay=150ms,loss=10%');
    const thin = await user.stateDirFor('delay=20ms');
    expect([first, again, thin]).toEqual(['/tmp/returning-0', '/tmp/returning-0', '/tmp/returning-1']);
    expect(visits).toEqual([
      { dir: '/tmp/returning-0', spec: 'delay=150ms,loss=10%' },
      { dir: '/tmp/returning-1', spec: 'delay=20ms' },
    ]);
    expect(await user.record('delay=150ms,loss=10%')).toBe(record);
  });

  it('does not hand out the folder before its warm-up has ended', async () => {
    let finish: (r: WarmUpRecord) => void = () => undefined;
    const user = new ReturningUser(() => new Promise((resolve) => (finish = resolve)), () => '/tmp/returning-x');
    let handed = false;
    const pending = user.stateDirFor('').then(() => (handed = true));
    await Promise.resolve();
    expect(handed).toBe(false);
    finish(record);
    await pending;
    expect(handed).toBe(true);
  });
});

describe('returningNotes', () => {
  it('says nothing when no returning user ran', () => {
    expect(returningNotes(['tsmosh', 'mosh', 'ssh'], [])).toEqual([]);
  });

  it('labels which row is which and says mosh and ssh were not run twice', () => {
    const [which, warm] = returningNotes(['tsmosh', RETURNING_SYSTEM, 'mosh', 'ssh'], [{ link: '300 ms RTT, 10 % loss', record: { commands: 3, ms: 4200, prompts: ['$ '] } }]);
    expect(which).toContain(`the ${RETURNING_SYSTEM} rows are tsmosh as returning user`);
    expect(which).toContain('the tsmosh rows are its first-ever session');
    expect(which).toContain('mosh and ssh keep nothing between sessions: their returning-user figure is the first-ever one above (not run twice)');
    expect(warm).toBe('Returning user\'s warm-up on 300 ms RTT, 10 % loss: 3 commands then exit, 4.2 s; 1 prompt(s) remembered ("$ ").');
  });

  it('says when the warm-up left no memory, so the returning row is a first-ever session too', () => {
    const notes = returningNotes([RETURNING_SYSTEM, 'mosh'], [{ link: 'thin', record: { commands: 3, ms: 900, prompts: [], error: 'warm-up: no prompt within 30 s' } }]);
    expect(notes[0]).toContain('mosh keeps nothing between sessions: its returning-user figure');
    expect(notes[1]).toContain('no prompt remembered, so that run is a first-ever session too; it failed: warm-up: no prompt within 30 s');
  });
});

describe('first keys', () => {
  const k = (kind: 'typing' | 'enter', latencyMs: number | undefined, invisible = false) => ({ kind, latencyMs, invisible });

  it('takes the first typing keys with a visible effect, a key never shown as "never"', () => {
    const keys = [k('typing', 228.04), k('typing', 1, true), k('enter', 300), k('typing', undefined), k('typing', 9.96), k('typing', 2), k('typing', 1)];
    expect(firstKeyLatencies(keys)).toEqual(['228.0', 'never', '10.0', '2.0']);
    expect(firstKeyLatencies(keys).length).toBe(FIRST_KEYS);
  });

  it('puts both sessions in one note, with the known-prompt epochs when both counted them', () => {
    const note = firstKeysNote('300 ms RTT, 10 % loss', [k('typing', 228), k('typing', 10)], [k('typing', 2.5), k('typing', 1.2)], { firstEver: 14, returning: 15 });
    expect(note).toContain(`tsmosh first-ever 228.0, 10.0 ms; ${RETURNING_SYSTEM} 2.5, 1.2 ms; epochs started at a known prompt: 14 first-ever, 15 returning.`);
    expect(firstKeysNote('x', [], [k('typing', 1)])).toBeUndefined();
  });
});
