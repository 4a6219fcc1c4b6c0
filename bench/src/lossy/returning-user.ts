/**
 * The returning user. tsmosh's client remembers, per host, the prompts at which typing echoed (the client's
 * prompt-memory.ts: `known-prompts.json` in its state folder, keyed by the host it was given), so a user who
 * connects to the same host every day has the first command's keys shown at once, where a first-ever session first
 * learns the prompt from a round trip. The lossy-link bench starts every tsmosh session with a new state folder: a
 * first-ever session, the default and published figure. `tsmosh-returning` in TSMOSH_BENCH_SYSTEMS runs tsmosh again
 * as the returning user: before its first measured session on a link, a short warm-up session against the same host
 * with the same client state folder (a few commands at the prompt, then `exit`), as a user's earlier visit; every
 * measured session of that system on that link then starts with what it (and the sessions before) left there.
 * mosh and ssh keep nothing between sessions: their returning user is their first-ever session, so they are not run
 * twice.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KeyTiming } from './replay.js';
import type { ScreenSnapshot } from './screen.js';
import { benchTempDir } from '../run-folder.js';

/** The system name that asks for the returning user (TSMOSH_BENCH_SYSTEMS). */
export const RETURNING_SYSTEM = 'tsmosh-returning';

/** What a system's session starts with: tsmosh's first-ever or returning client, or a system with no memory. */
export type SessionMemory = 'first-ever' | 'returning' | 'none';

export function memoryOf(system: string): SessionMemory {
  if (system === RETURNING_SYSTEM) return 'returning';
  return system === 'tsmosh' || system === 'tsmosh-tcp' ? 'first-ever' : 'none';
}

/** The label the report gives a session's memory, so a row's figure says which session it is. */
export function memoryLabel(system: string): string {
  switch (memoryOf(system)) {
    case 'first-ever':
      return 'first-ever session (new state folder, no prompt memory)';
    case 'returning':
      return 'returning user (prompt memory from a warm-up session to the same host)';
    case 'none':
      return 'keeps nothing between sessions (its returning user is its first-ever session)';
  }
}

/**
 * The earlier visit: commands whose output does not depend on the host's files (so the warm-up scrolls the same
 * everywhere), each typed key by key at the prompt. One would teach the prompt; three leave room for a lost echo.
 */
export const WARM_UP_COMMANDS: readonly string[] = ['echo hello', 'pwd', 'true'];
/** Between keys of a warm-up command (ms): within the shell trace's 80-250 ms, so each key is its own guess. */
const WARM_UP_KEY_GAP_MS = 150;
/** Bound on a warm-up step (ms): a prompt at 300 ms RTT with 10 % loss comes within seconds; beyond this it is stuck. */
const WARM_UP_STEP_TIMEOUT_MS = 30_000;
/** The client's memory file (the client's prompt-memory.ts PROMPT_MEMORY_FILE; bench does not build against client). */
const PROMPT_MEMORY_FILE = 'known-prompts.json';

/** The bench's prompt (PS1 '$ ', sessionEnvironment) with the cursor after it. */
const atPrompt = (screen: ScreenSnapshot): boolean => screen.rows[screen.cursorY] === '$' && screen.cursorX === 2;

/**
 * The prompts the memory file holds for `host` (most recent first), as the client will load them; none for a missing
 * or unreadable file. Read for the report only: the client's own parse (prompt-memory.ts) is what the session uses.
 */
export function rememberedPrompts(fileText: string | undefined, host: string): string[] {
  if (fileText === undefined) return [];
  try {
    const parsed = JSON.parse(fileText) as { hosts?: Record<string, { prompts?: unknown }> };
    const prompts = parsed.hosts?.[host]?.prompts;
    return Array.isArray(prompts) ? prompts.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

/** What the warm-up left, kept in the results beside the returning run. */
export interface WarmUpRecord {
  readonly commands: number;
  readonly ms: number;
  /** The prompts the client's memory held for the host after the warm-up: none means the measured run is a first-ever one. */
  readonly prompts: readonly string[];
  readonly error?: string;
}

/** The warm-up's session: its client's screen and the host it was given, and how to end it. */
export interface WarmUpSession {
  readonly client: {
    type(bytes: string): number;
    waitFor(test: (screen: ScreenSnapshot) => boolean, timeoutMs: number): Promise<number | undefined>;
    readonly exited: Promise<number>;
  };
  readonly host: string;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The earlier visit: the prompt, each command typed and its prompt back, `exit`, the client gone (it saves at exit). */
export async function warmUp(session: WarmUpSession, clientStateDir: string): Promise<WarmUpRecord> {
  const startedAt = performance.now();
  const step = async (what: string, test: (screen: ScreenSnapshot) => boolean): Promise<void> => {
    if ((await session.client.waitFor(test, WARM_UP_STEP_TIMEOUT_MS)) === undefined) throw new Error(`warm-up: no ${what} within ${WARM_UP_STEP_TIMEOUT_MS / 1000} s`);
  };
  let error: string | undefined;
  try {
    let row = -1;
    for (const command of WARM_UP_COMMANDS) {
      await step('prompt', (screen) => atPrompt(screen) && screen.cursorY > row);
      await sleep(WARM_UP_KEY_GAP_MS);
      for (const key of command) {
        session.client.type(key);
        await sleep(WARM_UP_KEY_GAP_MS);
      }
      let echoRow = -1;
      await step(`echo of "${command}"`, (screen) => {
        echoRow = screen.rows.lastIndexOf(`$ ${command}`);
        return echoRow > row;
      });
      row = echoRow;
      session.client.type('\r');
    }
    await step('prompt', (screen) => atPrompt(screen) && screen.cursorY > row);
    session.client.type('exit\r');
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([session.client.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), WARM_UP_STEP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (!gone) throw new Error(`warm-up: the client still ran ${WARM_UP_STEP_TIMEOUT_MS / 1000} s after exit`);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    await session.stop();
  }
  let text: string | undefined;
  try {
    text = readFileSync(join(clientStateDir, PROMPT_MEMORY_FILE), 'utf8');
  } catch {
    text = undefined;
  }
  return { commands: WARM_UP_COMMANDS.length, ms: Math.round(performance.now() - startedAt), prompts: rememberedPrompts(text, session.host), ...(error !== undefined ? { error } : {}) };
}

/**
 * The returning user's client state folder per link (by its spec: the same network): made and warmed up by the first
 * session on that link, kept for the sessions after it (as a user's folder is), removed at the end of the run.
 */
export class ReturningUser {
  private readonly folders = new Map<string, { dir: string; record: Promise<WarmUpRecord> }>();

  /** `visit(dir, spec)`: one warm-up session on link `spec` with `dir` as the client's state folder. */
  constructor(private readonly visit: (clientStateDir: string, spec: string) => Promise<WarmUpRecord>, private readonly makeDir: () => string = () => benchTempDir('tsmosh-bench-returning-')) {}

  /** The client state folder for a session on link `spec`, warmed up once. */
  async stateDirFor(spec: string): Promise<string> {
    let entry = this.folders.get(spec);
    if (entry === undefined) {
      const dir = this.makeDir();
      entry = { dir, record: this.visit(dir, spec) };
      this.folders.set(spec, entry);
    }
    await entry.record;
    return entry.dir;
  }

  /** The warm-up's record on link `spec`, if a session there asked for one. */
  record(spec: string): Promise<WarmUpRecord> | undefined {
    return this.folders.get(spec)?.record;
  }

  cleanup(): void {
    for (const { dir } of this.folders.values()) rmSync(dir, { recursive: true, force: true });
    this.folders.clear();
  }
}

/** The report's note on which row is which, and what each returning warm-up left. */
export function returningNotes(systems: readonly string[], warmUps: ReadonlyArray<{ readonly link: string; readonly record: WarmUpRecord }>): string[] {
  if (!systems.includes(RETURNING_SYSTEM)) return [];
  const others = systems.filter((s) => memoryOf(s) === 'none');
  const notes = [
    `Returning user: the ${RETURNING_SYSTEM} rows are tsmosh as ${memoryLabel(RETURNING_SYSTEM)}; the tsmosh rows are its ${memoryLabel('tsmosh')}, the published figure.` +
      (others.length > 0 ? ` ${others.join(' and ')} ${others.length > 1 ? 'keep' : 'keeps'} nothing between sessions: ${others.length > 1 ? 'their' : 'its'} returning-user figure is the first-ever one above (not run twice).` : ''),
  ];
  for (const { link, record } of warmUps) {
    const remembered = record.prompts.length === 0 ? 'no prompt remembered, so that run is a first-ever session too' : `${record.prompts.length} prompt(s) remembered (${record.prompts.map((p) => JSON.stringify(p)).join(', ')})`;
    notes.push(`Returning user's warm-up on ${link}: ${record.commands} commands then exit, ${(record.ms / 1000).toFixed(1)} s; ${remembered}${record.error !== undefined ? `; it failed: ${record.error}` : ''}.`);
  }
  return notes;
}

/** The first keys compared: the first measured command's, where a client that had not learned the prompt would wait a round trip. */
export const FIRST_KEYS = 4;

/** The first `count` typing keys' latencies (ms, one decimal; "never" for a key never shown). */
export function firstKeyLatencies(keys: ReadonlyArray<Pick<KeyTiming, 'kind' | 'invisible' | 'latencyMs'>>, count = FIRST_KEYS): string[] {
  return keys
    .filter((k) => k.kind === 'typing' && !k.invisible)
    .slice(0, count)
    .map((k) => (k.latencyMs === undefined ? 'never' : `${k.latencyMs.toFixed(1)}`));
}

/** The note comparing the first keys of tsmosh's first-ever and returning sessions on one link. */
export function firstKeysNote(linkLabel: string, firstEver: Parameters<typeof firstKeyLatencies>[0], returning: Parameters<typeof firstKeyLatencies>[0], epochs: { readonly firstEver?: number; readonly returning?: number } = {}): string | undefined {
  const [a, b] = [firstKeyLatencies(firstEver), firstKeyLatencies(returning)];
  if (a.length === 0 || b.length === 0) return undefined;
  const known = epochs.firstEver !== undefined && epochs.returning !== undefined ? `; epochs started at a known prompt: ${epochs.firstEver} first-ever, ${epochs.returning} returning` : '';
  return `Returning user on ${linkLabel}, the first ${FIRST_KEYS} typing keys (the first measured command's: a client that had not learned the prompt yet would show them only at their echo) → on screen: tsmosh first-ever ${a.join(', ')} ms; ${RETURNING_SYSTEM} ${b.join(', ')} ms${known}.`;
}
