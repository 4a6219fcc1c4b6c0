import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PromptUnavailableError } from './errors.js';
import { TtyPrompter } from './tty-prompter.js';

/** A terminal stand-in recording raw-mode switches; what it is fed arrives as the user's typing. */
class FakeTty extends EventEmitter {
  isTTY = true;
  isRaw = false;
  readonly modes: boolean[] = [];
  setRawMode(raw: boolean): this {
    this.isRaw = raw;
    this.modes.push(raw);
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
}

function prompterOn(tty: FakeTty): { prompter: TtyPrompter; written: () => string } {
  let out = '';
  const output = { write: (text: string) => ((out += text), true) } as unknown as NodeJS.WriteStream;
  return { prompter: new TtyPrompter(tty as unknown as NodeJS.ReadStream, output), written: () => out };
}

describe('TtyPrompter', () => {
  it('reads an answer without echoing a secret and restores cooked mode', async () => {
    const tty = new FakeTty();
    const { prompter, written } = prompterOn(tty);
    const answer = prompter.ask('password: ', { echo: false });
    tty.emit('data', Buffer.from('hunter2\r'));
    expect(await answer).toBe('hunter2');
    expect(written()).not.toContain('hunter2');
    expect(tty.modes).toEqual([true, false]);
  });

  it('rejects on Ctrl-C and restores cooked mode', async () => {
    const tty = new FakeTty();
    const answer = prompterOn(tty).prompter.ask('password: ', { echo: false });
    tty.emit('data', Buffer.from('abc\x03'));
    await expect(answer).rejects.toThrow('tsmosh: interrupted.');
    expect(tty.isRaw).toBe(false);
  });

  it('gives up an open question when the login ends (abort), restoring cooked mode', async () => {
    const tty = new FakeTty();
    const cancel = new AbortController();
    const answer = prompterOn(tty).prompter.ask('password: ', { echo: false, signal: cancel.signal });
    expect(tty.isRaw).toBe(true);
    cancel.abort();
    await expect(answer).rejects.toThrow(/login ended/);
    expect(tty.isRaw).toBe(false);
    expect(tty.listenerCount('data')).toBe(0);
  });

  it('refuses to ask without a terminal, with an error that lets the login skip the method', async () => {
    const tty = new FakeTty();
    tty.isTTY = false;
    await expect(prompterOn(tty).prompter.ask('password: ', { echo: false })).rejects.toBeInstanceOf(PromptUnavailableError);
  });
});
