import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KNOWN_PROMPTS_LIMIT } from '@tsmosh/terminal';
import { PROMPT_MEMORY_FILE, PROMPT_MEMORY_MAX_CHARS, PROMPT_MEMORY_MAX_HOSTS, PromptMemory, promptMemoryPath } from './prompt-memory.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function memoryFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsmosh-prompts-'));
  dirs.push(dir);
  return join(dir, 'state', PROMPT_MEMORY_FILE);
}

describe('PromptMemory', () => {
  it('remembers a host’s prompts for the next client, privately, and each host apart', () => {
    const path = memoryFile();
    expect(new PromptMemory(path, '192.0.2.1').load()).toEqual([]);
    expect(new PromptMemory(path, '192.0.2.1').save(['u@a:~$ ', '$ '])).toBeUndefined();
    expect(new PromptMemory(path, '192.0.2.2').save(['# '])).toBeUndefined();
    expect(new PromptMemory(path, '192.0.2.1').load()).toEqual(['u@a:~$ ', '$ ']);
    expect(new PromptMemory(path, '192.0.2.2').load()).toEqual(['# ']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
  });

  it('writes only when the list changed since it was loaded or saved', () => {
    const path = memoryFile();
    const memory = new PromptMemory(path, 'h');
    memory.save(['$ ']);
    rmSync(path);
    memory.save(['$ ']);
    expect(existsSync(path)).toBe(false);
    memory.save(['% ', '$ ']);
    expect(new PromptMemory(path, 'h').load()).toEqual(['% ', '$ ']);
  });

  it('treats a corrupt or foreign file as no memory, keeps what is well formed, and replaces it on the next save', () => {
    const path = memoryFile();
    new PromptMemory(path, 'h').save(['$ ']);
    writeFileSync(path, '{"version":1,"hosts":{"h":{"prompts":["$ "');
    expect(new PromptMemory(path, 'h').load()).toEqual([]);
    writeFileSync(path, JSON.stringify({ version: 2, hosts: { h: { prompts: ['$ '], usedAt: 1 } } }));
    expect(new PromptMemory(path, 'h').load()).toEqual([]);
    const long = 'x'.repeat(PROMPT_MEMORY_MAX_CHARS + 1);
    writeFileSync(path, JSON.stringify({ version: 1, hosts: { h: { prompts: ['$ ', 7, '   ', long, '> '], usedAt: 1 }, bad: { prompts: 'no', usedAt: 1 }, odd: null } }));
    const memory = new PromptMemory(path, 'h');
    expect(memory.load()).toEqual(['$ ', '> ']);
    expect(memory.save(['# '])).toBeUndefined();
    expect(JSON.parse(readFileSync(path, 'utf8')).hosts).toEqual({ h: { prompts: ['# '], usedAt: expect.any(Number) } });
  });

  it(`keeps the ${PROMPT_MEMORY_MAX_HOSTS} most recently used hosts and at most ${KNOWN_PROMPTS_LIMIT} prompts a host`, () => {
    const path = memoryFile();
    let clock = 0;
    for (let i = 0; i <= PROMPT_MEMORY_MAX_HOSTS; i++) new PromptMemory(path, `host-${i}`, () => ++clock).save([`${i}$ `]);
    expect(new PromptMemory(path, 'host-0').load()).toEqual([]);
    expect(new PromptMemory(path, 'host-1').load()).toEqual(['1$ ']);
    expect(new PromptMemory(path, `host-${PROMPT_MEMORY_MAX_HOSTS}`).load()).toEqual([`${PROMPT_MEMORY_MAX_HOSTS}$ `]);
    const many = Array.from({ length: KNOWN_PROMPTS_LIMIT + 5 }, (_, i) => `p${i}> `);
    new PromptMemory(path, 'host-1', () => ++clock).save(many);
    expect(new PromptMemory(path, 'host-1').load()).toEqual(many.slice(0, KNOWN_PROMPTS_LIMIT));
  });

  it('says in one line what failed and how to stop it when the file cannot be written, and never throws', () => {
    const path = memoryFile();
    // The state folder's place is taken by a file.
    writeFileSync(join(path, '..', '..', 'state'), 'not a folder');
    const memory = new PromptMemory(path, 'h');
    expect(memory.load()).toEqual([]);
    const problem = memory.save(['$ ']);
    expect(problem).toMatch(new RegExp(`^tsmosh: could not remember this host's prompts in ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+\\); set TSMOSH_PROMPT_MEMORY=off to stop trying$`));
    expect(problem).not.toContain('\n');
  });

  it('round-trips any list of prompt texts: what load returns is what save kept', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40, unit: 'grapheme' }), { maxLength: 20 }), (prompts) => {
        const path = memoryFile();
        new PromptMemory(path, 'h').save(prompts);
        const kept = prompts.filter((text) => text.trim() !== '').slice(0, KNOWN_PROMPTS_LIMIT);
        expect(new PromptMemory(path, 'h').load()).toEqual(kept);
      }),
      { numRuns: 50 },
    );
  });
});

describe('promptMemoryPath', () => {
  it('follows the daemon’s state folder rule', () => {
    expect(promptMemoryPath({ TSMOSH_STATE_DIR: '/s', TSMOSH_RUNTIME_DIR: '/r' }, '/home/u')).toBe(`/s/${PROMPT_MEMORY_FILE}`);
    expect(promptMemoryPath({ TSMOSH_RUNTIME_DIR: '/r', XDG_STATE_HOME: '/x' }, '/home/u')).toBe(`/r/state/${PROMPT_MEMORY_FILE}`);
    expect(promptMemoryPath({ XDG_STATE_HOME: '/x' }, '/home/u')).toBe(`/x/tsmosh/${PROMPT_MEMORY_FILE}`);
    expect(promptMemoryPath({}, '/home/u')).toBe(`/home/u/.local/state/tsmosh/${PROMPT_MEMORY_FILE}`);
  });

  it('is off with TSMOSH_PROMPT_MEMORY=off', () => {
    expect(PromptMemory.fromEnv({ TSMOSH_PROMPT_MEMORY: 'off' }, 'h')).toBeUndefined();
    expect(PromptMemory.fromEnv({ TSMOSH_STATE_DIR: '/s' }, 'h')?.path).toBe(`/s/${PROMPT_MEMORY_FILE}`);
  });
});
