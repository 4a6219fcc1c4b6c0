/**
 * Questions on the user's terminal during the SSH login: host key confirmation (echoed) and passphrases and
 * passwords (not echoed). Raw mode is always switched back off, whatever happens.
 */
import type { Prompter } from './bootstrap.js';
import { BootstrapError, PromptUnavailableError } from './errors.js';

export class TtyPrompter implements Prompter {
  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stderr,
  ) {}

  tell(message: string): void {
    this.output.write(message.endsWith('\n') ? message : `${message}\n`);
  }

  ask(question: string, options: { echo: boolean; signal?: AbortSignal }): Promise<string> {
    if (options.signal?.aborted) return Promise.reject(new BootstrapError('tsmosh: the login ended before this question.', 'auth'));
    if (!this.input.isTTY) {
      const what = question.trim().replace(/:$/, '');
      return Promise.reject(new PromptUnavailableError(`tsmosh: cannot ask "${what}" without a terminal; use ssh-agent or an unencrypted key for non-interactive use.`));
    }
    this.output.write(question);
    const input = this.input;
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    return new Promise<string>((resolve, reject) => {
      let answer = '';
      const onAbort = (): void => finish(new BootstrapError('tsmosh: the login ended while a question was open.', 'auth'));
      const finish = (error?: Error) => {
        options.signal?.removeEventListener('abort', onAbort);
        input.off('data', onData);
        input.setRawMode(wasRaw);
        input.pause();
        this.output.write('\n');
        if (error) reject(error);
        else resolve(answer);
      };
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return finish();
          if (char === '\u0003') return finish(new BootstrapError('tsmosh: interrupted.', 'auth'));
          if (char === '\u0004' && answer === '') return finish(new BootstrapError('tsmosh: no answer given.', 'auth'));
          if (char === '\u007f' || char === '\b') {
            if (answer.length > 0) {
              answer = Array.from(answer).slice(0, -1).join('');
              if (options.echo) this.output.write('\b \b');
            }
            continue;
          }
          if (char === '\u0015') {
            // Ctrl-U: erase the whole answer, as a line discipline would.
            if (options.echo) this.output.write('\b \b'.repeat(Array.from(answer).length));
            answer = '';
            continue;
          }
          if (char < ' ') continue;
          answer += char;
          if (options.echo) this.output.write(char);
        }
      };
      input.on('data', onData);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
