/**
 * The named sessions `tsmosh-server list` shows below the running ones: recorded on disk (session-records.ts), not
 * running now. After a reboot they are exactly what the user lost, and what `--session NAME` starts again.
 */
import type { SessionInfo } from './control.js';
import { SessionRecordStore, currentBootId, resolveStateDir } from './session-records.js';
import { agoText, howItEnded } from './session-restart.js';

/** Lines for a person, empty when there is nothing to show. */
export function lostSessionLines(running: readonly SessionInfo[], env: NodeJS.ProcessEnv, now: Date): string[] {
  const store = new SessionRecordStore(resolveStateDir(env));
  const live = new Set(running.map((session) => session.name).filter((name) => name !== undefined));
  const lines: string[] = [];
  for (const name of store.names()) {
    if (live.has(name)) continue;
    const found = store.readRecord(name);
    if (found === undefined) continue;
    if ('problem' in found) {
      lines.push(`  ${name}  (its record cannot be read: ${found.problem})`);
      continue;
    }
    const { record } = found;
    const ended = howItEnded(record, { bootId: currentBootId() });
    lines.push(`  ${name}  ended ${ended}, last seen ${agoText(record.ended?.at ?? record.savedAt, now)}: ${record.command.join(' ')}`);
  }
  if (lines.length === 0) return [];
  return ['Not running, kept to start again (`--session NAME` restarts one where it was, `kill NAME` forgets it):', ...lines];
}
