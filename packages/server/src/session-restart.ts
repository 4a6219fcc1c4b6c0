/**
 * Starting a named session again from its record (session-records.ts) after the daemon that ran it is gone: what to
 * tell the user about how it ended, which command to run (Claude Code resumes its conversation with `--continue`),
 * in which folder, and what the new session shows first (the saved history, then the saved last screen and one
 * marker line, printed into the new mirror before the program's own output, so they scroll away into the history
 * exactly once like any other output).
 */
import { basename } from 'node:path';
import { replayRows, ScrollbackLog, type Framebuffer, type Row, type ScreenState, type SessionEnding } from '@tsmosh/terminal';
import type { RestoredScreen } from './headless-mirror.js';
import type { SessionRecord } from './session-records.js';

/** Claude Code's own ways of choosing a conversation: when the user gave one, `--continue` is not added. */
const CLAUDE_SESSION_FLAGS = new Set(['-c', '--continue', '-r', '--resume', '--session-id', '--fork-session', '-p', '--print']);

/**
 * The command to run again: the same argv, except that Claude Code (the first word named `claude`, whether it is
 * the program itself or the program a wrapper such as `tmux new -A -s cc claude` or `env X=1 claude` runs) gets
 * `--continue` right after its name, unless its arguments already choose a conversation.
 */
export function commandToRestart(command: readonly string[]): string[] {
  const at = command.findIndex((word) => basename(word) === 'claude');
  if (at < 0) return [...command];
  const own = command.slice(at + 1);
  if (own.some((word) => CLAUDE_SESSION_FLAGS.has(word.split('=')[0]!))) return [...command];
  return [...command.slice(0, at + 1), '--continue', ...own];
}

export interface HostFacts {
  /** The kernel's boot ID now (undefined where unknown). */
  readonly bootId: string | undefined;
}

/** How a session the daemon saw end ended, completing "session cc ended ...". */
export function describeEnding(ending: SessionEnding): string {
  switch (ending.kind) {
    case 'command-exited':
      return ending.signal !== undefined ? `when its command was killed by ${ending.signal}` : `when its command exited with status ${ending.exitCode}`;
    case 'ended':
      return `because ${ending.reason}`;
    case 'taken-over':
      return `when another client took it over (${ending.by})`;
  }
}

/** How the recorded session ended, as far as can be known: completes "session cc ended ...". */
export function howItEnded(record: SessionRecord, host: HostFacts): string {
  if (record.ended !== undefined) return record.ended.description;
  if (record.bootId !== undefined && host.bootId !== undefined && record.bootId !== host.bootId) return 'when the host restarted';
  // Its daemon is gone (a daemon that runs answers for its sessions, and only one daemon serves a runtime folder,
  // whose state folder this is): whether by SIGKILL, the OOM killer or a crash cannot be told from here.
  return `when its tsmosh daemon (pid ${record.daemonPid}) stopped without ending it (killed, or out of memory: see \`dmesg\`)`;
}

/** "3 min ago", "2 h ago", "5 d ago": how long before `now` the time `iso` was. */
export function agoText(iso: string, now: Date): string {
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return 'at an unknown time';
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/** Single-quotes a word for display when it needs it, as a shell would take it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface RestartPlan {
  readonly command: string[];
  readonly directory: string;
  /** The one line for the user. */
  readonly notice: string;
  /** The marker printed in the new session between the saved screen and the new program. */
  readonly marker: string;
}

/** What `new --name` does with a record whose session no longer runs. */
export function planRestart(record: SessionRecord, host: HostFacts, now: Date, directoryExists: (path: string) => boolean): RestartPlan {
  const command = commandToRestart(record.command);
  const directory = [record.lastDirectory, record.startDirectory].find((dir) => dir !== undefined && directoryExists(dir)) ?? record.startDirectory;
  const ended = howItEnded(record, host);
  const lastSeen = record.ended?.at ?? record.savedAt;
  const shown = command.map(shellWord).join(' ');
  const notice =
    `tsmosh: session ${JSON.stringify(record.name)} ended ${ended} (last seen ${agoText(lastSeen, now)}); ` +
    `starting \`${shown}\` again in ${directory}.`;
  // The marker carries the notice itself: `tsmosh` prints the notice when the session ends (before it, the first
  // frame would leave nothing of it on the screen), while the marker is in the session from the start, under the
  // screen it explains.
  const marker = `[${notice}]`;
  return { command, directory, notice, marker };
}

/**
 * The saved history as the new session's log, and as its first output the saved screen's rows (down to the last
 * one holding anything) followed by `marker` in faint text: the user sees where the old session stopped, and the
 * new program starts below it.
 */
export function restoredScreen(saved: ScreenState | undefined, marker: string): RestoredScreen {
  const faintMarker = `\x1b[2m${marker}\x1b[m\r\n`;
  if (saved === undefined) return { history: ScrollbackLog.empty, prelude: faintMarker };
  const rows = usedRows(saved.framebuffer);
  return { history: saved.scrollback, prelude: replayRows(rows, saved.framebuffer.cols) + faintMarker };
}

function usedRows(fb: Framebuffer): Row[] {
  let last = fb.lines.length;
  while (last > 0 && fb.lines[last - 1]!.cells.every((cell) => cell.text === '' && cell.bg === 0 && cell.attrs === 0)) last--;
  return fb.lines.slice(0, last);
}
