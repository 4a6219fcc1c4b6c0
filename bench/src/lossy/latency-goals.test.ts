import { describe, expect, it } from 'vitest';
import { latencyGoalNotes, type GoalRun } from './latency-goals.js';
import type { KeyTiming } from './replay.js';

const key = (index: number, kind: KeyTiming['kind'], latencyMs: number | undefined, sentAt = index * 100): KeyTiming => ({ index, kind, sentAt, latencyMs, invisible: false });
const run = (keys: KeyTiming[], blackoutEndAt?: number): GoalRun => ({ traces: [{ trace: 'shell', keys, traffic: { upPackets: keys.length, downPackets: keys.length }, ...(blackoutEndAt !== undefined ? { blackoutEndAt } : {}) }] });

describe('latencyGoalNotes', () => {
  const links = [
    { name: 'loopback', label: 'loopback', rttMs: 0 },
    { name: 'rtt300-loss10', label: '300 ms RTT, 10 % loss', rttMs: 300 },
    { name: 'blackout2s', label: '100 ms RTT, 2 s blackout', rttMs: 100 },
  ];

  it('compares key → screen with ssh and Enter with 1.05 × RTT + 1 ms, and says which way it went', () => {
    const runs: Record<string, GoalRun> = {
      'loopback/tsmosh': run([key(0, 'typing', 2.5), key(1, 'typing', 3), key(3, 'typing', 2), key(2, 'enter', 4)]),
      'loopback/ssh': run([key(0, 'typing', 3), key(1, 'typing', 3), key(2, 'enter', 3)]),
    };
    const notes = latencyGoalNotes(links, (link, system) => runs[`${link}/${system}`]);
    expect(notes.find((n) => n.includes('key → screen'))).toMatch(/tsmosh 2\.5 ms, ssh 3\.0 ms, mosh n\/a — met\.$/);
    expect(notes.find((n) => n.includes('Enter → output'))).toMatch(/\(1\.0 ms\).*tsmosh 4\.0 ms, ssh 3\.0 ms.*NOT met \(nor by ssh\)\.$/);
  });

  it("judges Enter as worded and prints its share beyond the command's own time beside, when the local run measured it", () => {
    const local = (index: number, latencyMs: number | undefined, localMs: number): KeyTiming => ({ ...key(index, 'enter', latencyMs), localMs });
    const lan = [{ name: 'lan20', label: '20 ms RTT', rttMs: 20 }];
    const noteFor = (tsmosh: KeyTiming[]) => {
      const runs: Record<string, GoalRun> = { 'lan20/tsmosh': run(tsmosh), 'lan20/ssh': run([local(0, 31, 9), local(1, 30, 8), local(2, 33, 9)]) };
      return latencyGoalNotes(lan, (link, system) => runs[`${link}/${system}`]).find((n) => n.includes('Enter → output'))!;
    };
    // 30, 29 and 21 ms, of which the command took 9, 8 and 1 locally: median 29 ms measured, over the 22 ms goal;
    // 21, 21 and 20 ms beyond the command's own time.
    expect(noteFor([local(0, 30, 9), local(1, 29, 8), local(2, 21, 1)])).toMatch(
      /\(22 ms\).*median: tsmosh 29 ms, ssh 31 ms, mosh n\/a; beyond the command's own time \(.*median 8\.0 ms\): tsmosh 21 ms, ssh 22 ms, mosh n\/a — NOT met \(nor by ssh\)\.$/,
    );
    // Met as worded when the measured median is within the goal; an Enter whose answer never came counts as slowest.
    expect(noteFor([local(0, 20, 9), local(1, 21, 8), local(2, undefined, 8)])).toMatch(/median: tsmosh 21 ms.* — met\.$/);
    expect(noteFor([local(0, 20, 9), local(1, undefined, 8), local(2, undefined, 8)])).toMatch(/median: tsmosh n\/a.* — NOT met/);
  });

  it('prints the bare Node relay beside, measured and beyond the command, when it ran', () => {
    const local = (index: number, latencyMs: number, localMs: number): KeyTiming => ({ ...key(index, 'enter', latencyMs), localMs });
    const runs: Record<string, GoalRun> = {
      'loopback/tsmosh': run([local(0, 6, 2), local(1, 7, 2), local(2, 8, 2)]),
      'loopback/ssh': run([local(0, 3, 2), local(1, 3, 2), local(2, 4, 2)]),
      'loopback/node-relay': run([local(0, 3, 2), local(1, 4, 2), local(2, 5, 2)]),
    };
    const note = latencyGoalNotes(links, (link, system) => runs[`${link}/${system}`]).find((n) => n.includes('Enter → output'))!;
    expect(note).toMatch(/median: tsmosh 7\.0 ms, ssh 3\.0 ms, mosh n\/a, node-relay 4\.0 ms; beyond .*: tsmosh 5\.0 ms, ssh 1\.0 ms, mosh n\/a, node-relay 2\.0 ms — NOT met/);
    // Without a relay run nothing is added.
    delete runs['loopback/node-relay'];
    expect(latencyGoalNotes(links, (link, system) => runs[`${link}/${system}`]).find((n) => n.includes('Enter → output'))).not.toMatch(/node-relay/);
  });

  it('judges only the keys drawn before any echo could return, and counts a key that never appeared as slow', () => {
    const keys = [...Array.from({ length: 98 }, (_, i) => key(i, 'typing', 3)), key(98, 'typing', 301), key(99, 'typing', 9)];
    const runs: Record<string, GoalRun> = { 'rtt300-loss10/tsmosh': run(keys) };
    const note = latencyGoalNotes(links, (link, system) => runs[`${link}/${system}`]).find((n) => n.includes('predicted keys'))!;
    // 99 keys drawn before the echo (301 ms was the echo itself); one of them took 9 ms: 99.0 % within, p99 9 ms.
    expect(note).toContain('tsmosh 99.0 % of 99 drawn within 5 ms, p99 9.0 ms');
    expect(note).toMatch(/NOT met\.$/);
  });

  it('puts a returning user beside the first-ever session at 300 ms, labelled, and judges the goal on the first-ever one', () => {
    const slowFirst = [...Array.from({ length: 98 }, (_, i) => key(i, 'typing', 3)), key(98, 'typing', 9), key(99, 'typing', 9)];
    const runs: Record<string, GoalRun> = { 'rtt300-loss10/tsmosh': run(slowFirst), 'rtt300-loss10/tsmosh-returning': run(Array.from({ length: 100 }, (_, i) => key(i, 'typing', 3))) };
    const note = latencyGoalNotes(links, (link, system) => runs[`${link}/${system}`]).find((n) => n.includes('predicted keys'))!;
    expect(note).toContain('tsmosh (first-ever session) 98.0 % of 100 drawn within 5 ms, p99 9.0 ms; tsmosh-returning (returning user) 100.0 % of 100 drawn within 5 ms, p99 3.0 ms');
    expect(note).toMatch(/— NOT met \(first-ever session; returning user: met\)\.$/);
  });

  it('measures the blackout catch-up from the moment the link came back to the last key typed in the dark', () => {
    const runs: Record<string, GoalRun> = {
      'blackout2s/tsmosh': run([key(0, 'typing', 2, 0), key(1, 'typing', 2150, 1000), key(2, 'typing', 3, 4000)], 3000),
      'blackout2s/mosh': run([key(0, 'typing', 2, 0), key(1, 'typing', 2300, 1000), key(2, 'typing', 3, 4000)], 3000),
    };
    const note = latencyGoalNotes(links, (link, system) => runs[`${link}/${system}`]).find((n) => n.includes('blackout'))!;
    expect(note).toContain('tsmosh 150 ms after the link came back, mosh 300 ms — met.');
  });

  it('says whether the client resent anything on the lossless 600 ms link, with packets per key beside mosh', () => {
    const satellite = [{ name: 'rtt600', label: '600 ms RTT (satellite)', rttMs: 600 }];
    const keys = [key(0, 'typing', 2), key(1, 'typing', 3)];
    const quiet: GoalRun = { traces: [{ trace: 'shell', keys, traffic: { upPackets: 6, downPackets: 8 }, engine: { clientResends: 0 } }] };
    const resent: GoalRun = { traces: [{ trace: 'shell', keys, traffic: { upPackets: 8, downPackets: 8 }, engine: { clientResends: 2 } }] };
    const mosh: GoalRun = { traces: [{ trace: 'shell', keys, traffic: { upPackets: 7, downPackets: 9 } }] };
    const noteFor = (tsmosh: GoalRun) => latencyGoalNotes(satellite, (link, system) => (system === 'tsmosh' ? tsmosh : system === 'mosh' ? mosh : undefined))[0]!;
    expect(noteFor(quiet)).toContain('tsmosh 3.00 up / 4.00 down; mosh 3.50 up / 4.50 down');
    expect(noteFor(quiet)).toMatch(/resent 0 keystroke frame\(s\) — met\.$/);
    expect(noteFor(resent)).toMatch(/resent 2 keystroke frame\(s\) — NOT met\.$/);
  });
});
