/**
 * Client authentication as OpenSSH does it: ask the server which methods it takes (a `none` request first), then
 * try only those, in ssh's order (public keys: the agent's, then identity files; keyboard-interactive; password),
 * with ssh's prompts and retry counts. Nothing is asked for a method the server does not offer. A prompt the user
 * interrupts (Ctrl-C, Ctrl-D) ends the login at once instead of moving on to the next question, and a failure is
 * one line in ssh's words: `user@host: Permission denied (publickey,password).` plus what was tried.
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { AuthenticationType, KeyboardInteractiveCallback, NextAuthHandler, Prompt } from 'ssh2';
import type { Prompter } from './bootstrap.js';
import { defaultIdentityFiles, type ResolvedHost } from './config.js';
import { PromptUnavailableError } from './errors.js';

const { utils: sshUtils } = ssh2;

/** Passphrase, password and keyboard-interactive attempts, as OpenSSH's NumberOfPasswordPrompts default (3). */
const PROMPT_ATTEMPTS = 3;


type AuthAttempt = Exclude<Parameters<NextAuthHandler>[0], string>;
type Method = 'publickey' | 'keyboard-interactive' | 'password';

interface Step {
  readonly method: Method;
  /** What the failure line lists as tried. */
  readonly label: string;
  /** Builds the request (asking the user if it must); undefined skips this step (e.g. a missing key file). */
  readonly attempt: () => Promise<AuthAttempt | undefined>;
}

export interface AuthOptions {
  readonly resolved: ResolvedHost;
  readonly prompter: Prompter;
  /** Where the default identity files are looked for. */
  readonly home: string;
  readonly readFile?: (path: string) => Buffer;
}

/**
 * One login's authentication: `handler` is ssh2's authHandler; after a failure `failure()` names why in one line,
 * and `interrupted` holds the error when the user ended a prompt.
 */
export class Authentication {
  /** The methods the server last said it accepts (undefined until it answered the first request). */
  private offered: readonly string[] | undefined;
  private readonly tried: string[] = [];
  private readonly steps: Step[];
  private next = 0;
  private last: Step | undefined;
  private sentNone = false;
  interrupted: Error | undefined;

  constructor(private readonly options: AuthOptions) {
    this.steps = buildSteps(options, (error) => (this.interrupted ??= error));
  }

  readonly handler = (methodsLeft: AuthenticationType[] | null, _partialSuccess: boolean | null, callback: NextAuthHandler): void => {
    // ssh2 accepts `false` for "no more methods" although its typings omit it.
    const finish = callback as unknown as (next: AuthAttempt | false) => void;
    if (methodsLeft !== null) this.offered = methodsLeft;
    if (this.interrupted !== undefined) return finish(false); // the user ended a keyboard-interactive prompt
    if (!this.sentNone) {
      // As ssh: a `none` request first, whose refusal lists the methods the server takes.
      this.sentNone = true;
      finish({ type: 'none', username: this.options.resolved.user });
      return;
    }
    this.chooseNext().then(
      (attempt) => finish(attempt),
      (error: unknown) => {
        this.interrupted = error instanceof Error ? error : new Error(String(error));
        finish(false);
      },
    );
  };

  private async chooseNext(): Promise<AuthAttempt | false> {
    while (this.next < this.steps.length) {
      const step = this.steps[this.next++]!;
      // Never ask for what the server would refuse anyway.
      if (this.offered !== undefined && !this.offered.includes(step.method)) continue;
      // Between password tries (not after the last), as ssh says it.
      if (step.method === 'password' && this.last?.method === 'password') this.options.prompter.tell('Permission denied, please try again.');
      let attempt: AuthAttempt | undefined;
      try {
        attempt = await step.attempt();
      } catch (error) {
        if (error instanceof PromptUnavailableError) {
          this.options.prompter.tell(error.message);
          this.tried.push(`${step.label} (no terminal to ask on)`);
          continue;
        }
        throw error;
      }
      if (attempt === undefined) continue;
      this.last = step;
      this.tried.push(step.label);
      return attempt;
    }
    this.last = undefined;
    return false;
  }

  /** The one line for a refused login, in ssh's words, with what was tried. */
  failure(): string {
    const { user, alias } = this.options.resolved;
    const offered = (this.offered ?? []).join(',') || 'none';
    const tried = this.tried.length > 0 ? summarize(this.tried) : 'nothing the server accepts';
    return `tsmosh: ${user}@${alias}: Permission denied (${offered}). Tried: ${tried}. Check the login with 'ssh ${alias}', or log in through it with --ssh=ssh.`;
  }
}

/** "password, password, password" reads "password ×3". */
function summarize(tried: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of tried) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].map(([label, count]) => (count > 1 ? `${label} ×${count}` : label)).join(', ');
}

function buildSteps({ resolved, prompter, home, readFile = readFileSync }: AuthOptions, onInterrupt: (error: Error) => void): Step[] {
  const identityFiles = resolved.identityFiles.length > 0 ? resolved.identityFiles : defaultIdentityFiles(home);
  const username = resolved.user;
  const steps: Step[] = [];

  if (resolved.pubkeyAuthentication && resolved.identityAgent !== undefined && !resolved.identitiesOnly) {
    steps.push({ method: 'publickey', label: 'the agent\'s keys', attempt: async () => ({ type: 'agent', username, agent: resolved.identityAgent! }) });
  }
  if (resolved.pubkeyAuthentication) {
    for (const file of identityFiles) {
      steps.push({
        method: 'publickey',
        label: file,
        attempt: async () => {
          let text: Buffer;
          try {
            text = readFile(file);
          } catch {
            return undefined; // identity files that do not exist are skipped silently, as ssh does
          }
          const plain = sshUtils.parseKey(text);
          if (!(plain instanceof Error)) return { type: 'publickey', username, key: text };
          if (!/passphrase|encrypted/i.test(plain.message)) {
            prompter.tell(`tsmosh: skipping identity file ${file}: ${plain.message}`);
            return undefined;
          }
          for (let attempt = 0; attempt < PROMPT_ATTEMPTS; attempt++) {
            const passphrase = await prompter.ask(`Enter passphrase for key '${file}': `, { echo: false });
            if (passphrase === '') return undefined; // an empty answer skips the key, as ssh
            const parsed = sshUtils.parseKey(text, passphrase);
            if (!(parsed instanceof Error)) return { type: 'publickey', username, key: text, passphrase };
            prompter.tell('Bad passphrase, try again.');
          }
          return undefined;
        },
      });
    }
  }
  if (resolved.kbdInteractiveAuthentication) {
    for (let attempt = 0; attempt < PROMPT_ATTEMPTS; attempt++) {
      steps.push({
        method: 'keyboard-interactive',
        label: 'keyboard-interactive',
        attempt: async () => ({
          type: 'keyboard-interactive',
          username,
          prompt: (_name: string, instructions: string, _lang: string, prompts: Prompt[], answer: KeyboardInteractiveCallback) => {
            if (instructions) prompter.tell(instructions);
            (async () => {
              const answers: string[] = [];
              for (const item of prompts) answers.push(await prompter.ask(item.prompt, { echo: item.echo ?? false }));
              answer(answers);
            })().catch((error: unknown) => {
              // An interrupted round answers nothing (the server refuses it) and the login ends there.
              if (error instanceof PromptUnavailableError) prompter.tell(error.message);
              else onInterrupt(error instanceof Error ? error : new Error(String(error)));
              answer([]);
            });
          },
        }),
      });
    }
  }
  if (resolved.passwordAuthentication) {
    for (let attempt = 0; attempt < PROMPT_ATTEMPTS; attempt++) {
      steps.push({
        method: 'password',
        label: 'password',
        attempt: async () => ({ type: 'password', username, password: await prompter.ask(`${resolved.user}@${resolved.alias}'s password: `, { echo: false }) }),
      });
    }
  }
  return steps;
}
