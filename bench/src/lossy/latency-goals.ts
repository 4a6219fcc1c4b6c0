/**
 * Issue 18's latency goals, read off a lossy-link run (reported, never asserted): on loopback and a LAN a key is on
 * screen no later than ssh's and an Enter's answer within 1.05 × RTT + 1 ms (with the share beyond the command's own time beside); at 300 ms RTT with 10 % loss the keys
 * the client drew itself are drawn within 5 ms (98 %, and p99); after a 2 s blackout the keys typed in the dark are on
 * screen no later than mosh's. Each line states the figures of every system that ran, so a reader can check it.
 */
import type { KeyTiming } from './replay.js';
import type { SystemName } from './systems.js';
import { formatMs, median } from '../stats.js';
import { PREDICTED_KEY_BOUND_MS, predictedKeyFigures } from './predicted-keys.js';

/** What the goals need of a link and of a run: the figures, not the scenario's types. */
export interface GoalLink {
  readonly name: string;
  readonly label: string;
  readonly rttMs: number;
}
export interface GoalRun {
  readonly traces: ReadonlyArray<{
    readonly trace: string;
    readonly keys: readonly KeyTiming[];
    readonly blackoutEndAt?: number;
    /** Packets client → server (up) and back through the link while the trace ran. */
    readonly traffic: { readonly upPackets: number; readonly downPackets: number };
    /** tsmosh only: its client's counters over the trace, resends included where the client reports them. */
    readonly engine?: { readonly clientResends?: number };
  }>;
}
export type FindRun = (link: string, system: SystemName) => GoalRun | undefined;

/** The links the key → screen and Enter goals are read on: a good link, as ssh users have it. */
const FAST_LINKS = ['loopback', 'lan20'] as const;

/** Milliseconds with a decimal below 10 ms, where loopback figures differ by fractions. */
function ms(value: number): string {
  return Number.isFinite(value) && value < 10 ? `${value.toFixed(1)} ms` : formatMs(value);
}

function shellKeys(run: GoalRun | undefined, kinds: readonly string[]): KeyTiming[] {
  return (run?.traces ?? []).filter((t) => t.trace === 'shell').flatMap((t) => t.keys.filter((k) => !k.invisible && kinds.includes(k.kind)));
}

/** Latencies with a key that never appeared ranked last (slower than any that did). */
function ranked(keys: readonly KeyTiming[]): number[] {
  return keys.map((k) => k.latencyMs ?? Infinity);
}

/** Each key's latency less its local reference time (keys without one are left out; one that never appeared is slowest). */
function beyondLocal(keys: readonly KeyTiming[]): number[] {
  return keys.flatMap((k) => (k.localMs === undefined ? [] : [k.latencyMs === undefined ? Infinity : Math.max(0, k.latencyMs - k.localMs)]));
}

export function latencyGoalNotes(links: readonly GoalLink[], find: FindRun): string[] {
  const notes: string[] = [];
  for (const link of links.filter((l) => (FAST_LINKS as readonly string[]).includes(l.name))) {
    const typing = (system: SystemName) => median(ranked(shellKeys(find(link.name, system), ['typing'])));
    const enter = (system: SystemName) => median(ranked(shellKeys(find(link.name, system), ['enter'])));
    const [t, s, m] = [typing('tsmosh'), typing('ssh'), typing('mosh')];
    if (Number.isFinite(t) && Number.isFinite(s)) {
      notes.push(`Goal (issue 18) "key → screen median ≤ ssh's" on ${link.label}: tsmosh ${ms(t)}, ssh ${ms(s)}, mosh ${Number.isFinite(m) ? ms(m) : 'n/a'} — ${t <= s ? 'met' : 'NOT met'}.`);
    }
    const [te, se, me] = [enter('tsmosh'), enter('ssh'), enter('mosh')];
    const goal = 1.05 * link.rttMs + 1;
    const [tn, sn, mn] = (['tsmosh', 'ssh', 'mosh'] as const).map((system) => median(beyondLocal(shellKeys(find(link.name, system), ['enter']))));
    const local = median(shellKeys(find(link.name, 'tsmosh'), ['enter']).flatMap((k) => k.localMs ?? []));
    const shown = (value: number): string => (Number.isFinite(value) ? ms(value) : 'n/a');
    // The bare Node relay, when it ran: what Node's own wake-ups cost, so tsmosh's distance above it is its own work.
    const relayEnters = shellKeys(find(link.name, 'node-relay'), ['enter']);
    const relay = (value: number): string => (relayEnters.length > 0 ? `, node-relay ${shown(value)}` : '');
    const [re, rn] = [median(ranked(relayEnters)), median(beyondLocal(relayEnters))];
    const tsmoshEnters = shellKeys(find(link.name, 'tsmosh'), ['enter']);
    if (tsmoshEnters.length > 0) {
      // Judged as worded. A command's own time (fork, exec, its output) is in every terminal's figure, and on loopback
      // it is nearly all of it; what is left beyond it, as the local reference run measured it on this loaded machine
      // (at another moment than the measured runs), is printed beside so a reader can see the terminal's own share.
      const verdict = `${te <= goal ? 'met' : 'NOT met'}${te > goal && Number.isFinite(se) && se > goal ? ' (nor by ssh)' : ''}`;
      const beyond = tsmoshEnters.some((k) => k.localMs !== undefined)
        ? `; beyond the command's own time (each Enter less its local reference run's, median ${shown(local)}): tsmosh ${shown(tn)}, ssh ${shown(sn)}, mosh ${shown(mn)}${relay(rn)}`
        : '';
      notes.push(`Goal (issue 18) "Enter → output ≤ 1.05 × RTT + 1 ms" (${ms(goal)}) on ${link.label}, median: tsmosh ${shown(te)}, ssh ${shown(se)}, mosh ${shown(me)}${relay(re)}${beyond} — ${verdict}.`);
    }
  }
  const slow = links.find((l) => l.name === 'rtt300-loss10');
  if (slow !== undefined) {
    const parts: string[] = [];
    let verdict: boolean | undefined;
    let returning = '';
    // tsmosh's first-ever session is the goal's figure; its returning user (returning-user.ts), when it ran, beside.
    const withReturning = predictedKeyFigures(shellKeys(find(slow.name, 'tsmosh-returning'), ['typing']), slow.rttMs).predicted > 0;
    for (const system of ['tsmosh', 'tsmosh-returning', 'mosh'] as const) {
      // Drawn by the client itself: on screen sooner than any echo could return (predicted-keys.ts).
      const f = predictedKeyFigures(shellKeys(find(slow.name, system), ['typing']), slow.rttMs);
      if (f.predicted === 0) continue;
      const met = f.withinBound >= 0.98 && f.p99Ms <= PREDICTED_KEY_BOUND_MS;
      parts.push(`${system === 'tsmosh' && withReturning ? 'tsmosh (first-ever session)' : system === 'tsmosh-returning' ? 'tsmosh-returning (returning user)' : system} ${(f.withinBound * 100).toFixed(1)} % of ${f.predicted} drawn within ${PREDICTED_KEY_BOUND_MS} ms, p99 ${ms(f.p99Ms)}`);
      if (system === 'tsmosh') verdict = met;
      if (system === 'tsmosh-returning') returning = `; returning user: ${met ? 'met' : 'NOT met'}`;
    }
    if (verdict !== undefined) notes.push(`Goal (issue 18) "≥ 98 % of predicted keys drawn within 5 ms of the keystroke, p99 ≤ 5 ms" on ${slow.label}, shell trace: ${parts.join('; ')} — ${verdict ? 'met' : 'NOT met'}${withReturning ? ` (first-ever session${returning})` : ''}.`);
  }
  const dark = links.find((l) => l.name === 'blackout2s');
  if (dark !== undefined) {
    const caughtUp = (system: SystemName): number | undefined => {
      const run = find(dark.name, system)?.traces.find((t) => t.trace === 'shell');
      if (run?.blackoutEndAt === undefined) return undefined;
      const during = run.keys.filter((k) => k.sentAt < run.blackoutEndAt!);
      return Math.max(0, ...during.map((k) => (k.latencyMs === undefined ? Infinity : k.sentAt + k.latencyMs - run.blackoutEndAt!)));
    };
    const [t, m] = [caughtUp('tsmosh'), caughtUp('mosh')];
    if (t !== undefined && m !== undefined) notes.push(`Goal (issue 18) "2 s blackout: catch-up ≤ mosh's": tsmosh ${ms(t)} after the link came back, mosh ${ms(m)} — ${t <= m ? 'met' : 'NOT met'}.`);
  }
  const satellite = links.find((l) => l.name === 'rtt600');
  if (satellite !== undefined) {
    // On a lossless link every resend is spurious. A keystroke costs the client one datagram plus its share of
    // delayed acknowledgements; a spurious resend per key would add a whole datagram per key.
    const perKey = (system: SystemName): string | undefined => {
      const run = find(satellite.name, system)?.traces.find((t) => t.trace === 'shell');
      if (run === undefined || run.keys.length === 0) return undefined;
      return `${system} ${(run.traffic.upPackets / run.keys.length).toFixed(2)} up / ${(run.traffic.downPackets / run.keys.length).toFixed(2)} down`;
    };
    const parts = (['tsmosh', 'mosh', 'ssh'] as const).flatMap((system) => perKey(system) ?? []);
    const resends = find(satellite.name, 'tsmosh')?.traces.find((t) => t.trace === 'shell')?.engine?.clientResends;
    const verdict = resends === undefined ? '' : ` tsmosh's client resent ${resends} keystroke frame(s) — ${resends === 0 ? 'met' : 'NOT met'}.`;
    if (parts.length > 0) notes.push(`Goal (issue 18) "600 ms RTT link: no spurious resends" (lossless, so any resend is spurious; packets per key of the shell trace): ${parts.join('; ')}.${verdict}`);
  }
  return notes;
}
