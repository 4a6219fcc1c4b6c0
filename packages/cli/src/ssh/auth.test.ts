import type { AuthenticationType, NextAuthHandler } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { Authentication } from './auth.js';
import type { Prompter } from './bootstrap.js';
import { resolveHost } from './config.js';

function setup(answers: string[] = [], { kbd = true } = {}) {
  const questions: string[] = [];
  const told: string[] = [];
  const prompter: Prompter = {
    ask: async (question) => {
      questions.push(question);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('tsmosh: interrupted.');
      return answer;
    },
    tell: (line) => told.push(line),
  };
  const resolved = {
    ...resolveHost({ destination: 'alice@box', home: '/nonexistent', localUser: 'alice', env: {}, configFiles: [] }),
    identityFiles: ['/nonexistent/id_a'],
    kbdInteractiveAuthentication: kbd,
  };
  const auth = new Authentication({ resolved, prompter, home: '/nonexistent', readFile: (path) => (path.endsWith('id_a') ? Buffer.from('not a key') : Buffer.from('')) });
  const next = (methods: AuthenticationType[] | null) =>
    new Promise<unknown>((resolve) => auth.handler(methods, null, ((attempt: unknown) => resolve(attempt)) as unknown as NextAuthHandler));
  return { auth, next, questions, told };
}

describe('Authentication (OpenSSH order, only offered methods)', () => {
  it('asks the server first with none, then asks nothing for a method it does not offer', async () => {
    const { auth, next, questions } = setup(['secret']);
    expect(await next(null)).toMatchObject({ type: 'none', username: 'alice' });
    expect(await next(['publickey'])).toBe(false);
    expect(questions).toEqual([]);
    expect(auth.failure()).toMatch(/^tsmosh: alice@box: Permission denied \(publickey\)\. Tried: nothing the server accepts\./);
  });

  it('prefers keyboard-interactive to password, as ssh, and asks the password three times with ssh\'s words between', async () => {
    const { next, questions, told } = setup(['a', 'b', 'c'], { kbd: false });
    await next(null);
    for (let attempt = 0; attempt < 3; attempt++) expect(await next(['publickey', 'password'])).toMatchObject({ type: 'password' });
    expect(await next(['publickey', 'password'])).toBe(false);
    expect(questions).toEqual(Array(3).fill("alice@box's password: "));
    expect(told.filter((line) => line === 'Permission denied, please try again.')).toHaveLength(2);
    const withKbd = setup();
    await withKbd.next(null);
    expect(await withKbd.next(['keyboard-interactive', 'password'])).toMatchObject({ type: 'keyboard-interactive' });
  });

  it('stops at an interrupted question instead of asking the next', async () => {
    const { auth, next, questions } = setup([], { kbd: false });
    await next(null);
    expect(await next(['password'])).toBe(false);
    expect(questions).toHaveLength(1);
    expect(auth.interrupted?.message).toBe('tsmosh: interrupted.');
  });
});
