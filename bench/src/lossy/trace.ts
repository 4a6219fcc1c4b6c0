/**
 * Typing traces: what a user types, when, and into which program. Stored as JSON in bench/traces/ (written once by
 * make-traces.ts from a seed, committed, so every run and every system replays the same keys at the same pace).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScreenRule } from './screen.js';

/**
 * typing: a printable key or a backspace (prediction can show it at once);
 * enter: a command's Enter (its output is unpredictable: at least one round trip);
 * navigation: keys whose effect only the application knows (vim normal mode, Esc).
 */
export type KeyKind = 'typing' | 'enter' | 'navigation';

export interface TraceEvent {
  readonly key: string;
  /** Pause before this key (ms): after the previous key was typed, or after its effect appeared when it waited. */
  readonly gapMs: number;
  readonly kind: KeyKind;
  /** The user waits for this key's effect before typing on (a command's output, a mode change). */
  readonly wait?: boolean;
}

export interface Trace {
  readonly name: string;
  readonly description: string;
  /** The program the session runs; `{ink}` and `{claude}` are replaced with the paths of the Ink-style app and the Claude Code launcher. */
  readonly command: readonly string[];
  /** Rows whose content is not part of any key's effect (a spinner), besides row 0 (see sameScreen). */
  readonly ignoreRows: readonly number[];
  /**
   * For an app whose screen holds parts no key determines: the region its keys own and the row forms not compared
   * (ScreenRule in screen.ts); the same rule for the latencies, the wrong-guess rule and every system.
   */
  readonly compare?: Pick<ScreenRule, 'region' | 'ignorePatterns' | 'maskPatterns'>;
  /**
   * The reference run waits at least each key's gap before typing it (then for quiet, as always), so a program
   * whose state moves with time (an answer streaming for seconds) is at the same point of it as in a measured run;
   * and after a typing key or a key the user waits for, it waits for the key's visible effect before the quiet
   * (bounded), since such an app may answer later than the quiet time (Claude Code's Enter, or a typed key while it
   * renders a streaming answer on a busy machine).
   */
  readonly referenceKeepsPace?: boolean;
  /**
   * Typed once the program is up, untimed, so every system starts from the same screen (mosh's first frame, for
   * one, leaves the shell's first line one row lower than a plain terminal does).
   */
  readonly setup: string;
  readonly events: readonly TraceEvent[];
}

/** What of a screen the trace's keys determine, for sameScreen. */
export function screenRuleOf(trace: Trace): ScreenRule {
  return { ignoreRows: trace.ignoreRows, ...trace.compare };
}

export const TRACES_DIR = fileURLToPath(new URL('../../traces/', import.meta.url));
export const INK_APP = fileURLToPath(new URL('./ink-style-app.js', import.meta.url));
export const CLAUDE_SESSION = fileURLToPath(new URL('./claude-session.js', import.meta.url));

export function loadTrace(name: string): Trace {
  const trace = JSON.parse(readFileSync(`${TRACES_DIR}${name}.json`, 'utf8')) as Trace;
  return { ...trace, command: trace.command.map((part) => part.replace('{ink}', INK_APP).replace('{claude}', CLAUDE_SESSION)) };
}

/** The first `keys` events, cut after a waited-for key so the session is left at a prompt. */
export function prefixOf(trace: Trace, keys: number): Trace {
  if (trace.events.length <= keys) return trace;
  let end = keys;
  while (end < trace.events.length && trace.events[end - 1]!.wait !== true) end++;
  return { ...trace, events: trace.events.slice(0, end) };
}
