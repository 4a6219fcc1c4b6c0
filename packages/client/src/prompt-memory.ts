/**
 * The prompts where typing echoed, remembered per host across client processes. Within one client the prediction
 * engine learns a prompt when a guess made at it is confirmed, and from then on shows the first key of each command
 * there at once; without memory every new client (a new session, a reattach after a crash, a client restarted on
 * another network) starts with none, and its first command's keys show only a round trip later, as mosh's do.
 *
 * Only text the engine learned is stored: text left of the cursor at which typing was echoed, so never a password
 * prompt (no echo, nothing learned). The file is private all the same (0600 in a 0700 folder): a prompt can name a
 * user, a host and a directory. Reading never fails a session: a missing, unreadable or corrupt file is no memory.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { stateDirectory } from '@tsmosh/protocol';
import { KNOWN_PROMPTS_LIMIT } from '@tsmosh/terminal';

export const PROMPT_MEMORY_FILE = 'known-prompts.json';
/** Hosts remembered (count), least recently used dropped first: more than anyone connects to, a bounded file. */
export const PROMPT_MEMORY_MAX_HOSTS = 64;
/** A longer text (chars) is not kept: no prompt is that long, and the file stays small. */
export const PROMPT_MEMORY_MAX_CHARS = 512;
/** TSMOSH_PROMPT_MEMORY=off turns the memory off (nothing read or written). */
const PROMPT_MEMORY_ENV = 'TSMOSH_PROMPT_MEMORY';

const FORMAT_VERSION = 1;

interface HostPrompts {
  /** Most recent first. */
  readonly prompts: readonly string[];
  /** Wall-clock ms of the last save, for dropping the least recently used host. */
  readonly usedAt: number;
}

interface PromptMemoryFileContents {
  readonly version: number;
  readonly hosts: Record<string, HostPrompts>;
}

/**
 * The file, in the state folder the daemon's session records use too (@tsmosh/protocol state-dir.ts).
 */
export function promptMemoryPath(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  return join(stateDirectory(env, home), PROMPT_MEMORY_FILE);
}

const isPromptText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '' && value.length <= PROMPT_MEMORY_MAX_CHARS;

/** Only well-formed entries survive: a hand-edited or truncated file loses what it broke, not the rest. */
function parseContents(text: string): Record<string, HostPrompts> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || (parsed as { version?: unknown }).version !== FORMAT_VERSION) return {};
  const hosts = (parsed as { hosts?: unknown }).hosts;
  if (typeof hosts !== 'object' || hosts === null) return {};
  const result: Record<string, HostPrompts> = {};
  for (const [host, entry] of Object.entries(hosts)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { prompts, usedAt } = entry as { prompts?: unknown; usedAt?: unknown };
    if (!Array.isArray(prompts) || typeof usedAt !== 'number' || !Number.isFinite(usedAt)) continue;
    result[host] = { prompts: prompts.filter(isPromptText).slice(0, KNOWN_PROMPTS_LIMIT), usedAt };
  }
  return result;
}

export class PromptMemory {
  /** What was last read or written for this host, so that an unchanged list is not written again. */
  private saved: readonly string[] = [];

  /**
   * @param path the memory file (promptMemoryPath)
   * @param host the server as the client reaches it (its address): a host's shells keep their prompts
   * @param wallClockMs for the least-recently-used order between hosts
   */
  constructor(
    readonly path: string,
    private readonly host: string,
    private readonly wallClockMs: () => number = Date.now,
  ) {}

  /** The memory for `host` from the environment, or undefined when TSMOSH_PROMPT_MEMORY=off. */
  static fromEnv(env: NodeJS.ProcessEnv, host: string): PromptMemory | undefined {
    const setting = env[PROMPT_MEMORY_ENV]?.toLowerCase();
    if (setting === 'off' || setting === '0' || setting === 'no') return undefined;
    return new PromptMemory(promptMemoryPath(env), host);
  }

  /** This host's prompts, most recent first; none when there is no usable file. */
  load(): readonly string[] {
    this.saved = this.readHosts()[this.host]?.prompts ?? [];
    return this.saved;
  }

  /**
   * Stores this host's prompts (most recent first) if they changed since the last load or save. Returns an error
   * message when the file could not be written (the caller may say so once); never throws.
   */
  save(prompts: readonly string[]): string | undefined {
    const kept = prompts.filter(isPromptText).slice(0, KNOWN_PROMPTS_LIMIT);
    if (kept.length === this.saved.length && kept.every((text, i) => text === this.saved[i])) return undefined;
    try {
      // Read again: another client may have saved its host's prompts since this one started.
      const hosts = this.readHosts();
      hosts[this.host] = { prompts: kept, usedAt: this.wallClockMs() };
      const newestFirst = Object.entries(hosts).sort(([, a], [, b]) => b.usedAt - a.usedAt).slice(0, PROMPT_MEMORY_MAX_HOSTS);
      const contents: PromptMemoryFileContents = { version: FORMAT_VERSION, hosts: Object.fromEntries(newestFirst) };
      const dir = dirname(this.path);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Written aside and renamed over: a client killed mid-write leaves the old file whole.
      const temporary = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(contents)}\n`, { mode: 0o600 });
      chmodSync(temporary, 0o600);
      renameSync(temporary, this.path);
      this.saved = kept;
      return undefined;
    } catch (error) {
      return `tsmosh: could not remember this host's prompts in ${this.path} (${error instanceof Error ? error.message : String(error)}); set ${PROMPT_MEMORY_ENV}=off to stop trying`;
    }
  }

  private readHosts(): Record<string, HostPrompts> {
    try {
      return parseContents(readFileSync(this.path, 'utf8'));
    } catch {
      return {};
    }
  }
}
