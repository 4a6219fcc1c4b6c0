/**
 * `TSMOSH_CLIENT_STATS_FILE=<path>` (for benchmarks and diagnosis): the prediction engine's counters as one JSON
 * object, written when the client exits and whenever it receives SIGUSR2. Every front end that runs
 * `runTerminalClient` (tsmosh, tsmosh --local, tsmosh-client) honours it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { TransportStats } from '@tsmosh/protocol';
import type { PredictionMode, PredictionStats } from '@tsmosh/terminal';
import type { KeyDrawTimes, KeyDrawTimesFile } from './key-draw-times.js';

/** What the file receives: the prediction engine's counters (see PredictionStats) and why they were written. */
export interface ClientStatsFile {
  readonly reason: 'exit' | 'SIGUSR2';
  readonly predictionMode: PredictionMode;
  readonly prediction: PredictionStats;
  /** The transport's sending counters once the session has a socket (a benchmark counts resends on a clean link). */
  readonly transport?: Pick<TransportStats, 'datagramsSent' | 'dataFrames' | 'resends' | 'redundantCopies' | 'spacedCopies' | 'ackFrames'>;
  /** How the keystrokes were drawn (KeyDrawCounts), once the front end runs. */
  readonly keyDraws?: KeyDrawCounts;
  /** When the newest keys were read and drawn, on the machine's monotonic clock (key-draw-times.ts). */
  readonly keyTimes?: KeyDrawTimesFile;
}

/**
 * How the front end drew keystrokes: `rows`, only the rows their guesses touched (keystroke-draw.ts), or `whole`,
 * the whole frame (a server screen or a status line was waiting, or the terminal needed a repaint).
 */
export interface KeyDrawCounts {
  rows: number;
  whole: number;
  /**
   * The prediction engine's timed wake-ups (an underline due, a guess given up on), drawn the same two ways: by
   * the rows of the guesses, or by a whole frame when something else was waiting to be drawn.
   */
  wakeRows: number;
  wakeWhole: number;
}

export class ClientStatsWriter {
  private failure: string | undefined;
  private readonly onSignal = (): void => this.write('SIGUSR2');
  private transport: (() => Readonly<TransportStats> | undefined) | undefined;

  constructor(
    private readonly path: string,
    private readonly predictionMode: PredictionMode,
    private readonly stats: Readonly<PredictionStats>,
  ) {
    // Only when asked for: without a listener SIGUSR2 keeps its default action (the process ends).
    process.on('SIGUSR2', this.onSignal);
  }

  /** The writer the environment asks for, if any. */
  static fromEnv(env: NodeJS.ProcessEnv, predictionMode: PredictionMode, stats: Readonly<PredictionStats>): ClientStatsWriter | undefined {
    const path = env.TSMOSH_CLIENT_STATS_FILE;
    return path === undefined || path === '' ? undefined : new ClientStatsWriter(path, predictionMode, stats);
  }

  private keyDraws: Readonly<KeyDrawCounts> | undefined;

  /** The front end's live key-draw counters. */
  attachKeyDraws(counts: Readonly<KeyDrawCounts>): void {
    this.keyDraws = counts;
  }

  private keyTimes: KeyDrawTimes | undefined;

  /** The front end's record of when keys were read and drawn. */
  attachKeyTimes(times: KeyDrawTimes): void {
    this.keyTimes = times;
  }

  /** Where the transport's counters come from, once the session exists. */
  attachTransport(source: () => Readonly<TransportStats> | undefined): void {
    this.transport = source;
  }

  /**
   * Writes the final counters and stops listening. Returns one line to show the user if any write failed; it is
   * reported only at the end, since a message while the session ran would land on the remote screen's picture.
   */
  finish(): string | undefined {
    process.off('SIGUSR2', this.onSignal);
    this.write('exit');
    return this.failure === undefined ? undefined : `tsmosh: TSMOSH_CLIENT_STATS_FILE: could not write ${this.path} (${this.failure}); check the path`;
  }

  /** Written beside the target and renamed over it, so a reader polling for the file never sees half of it. */
  private write(reason: ClientStatsFile['reason']): void {
    const t = this.transport?.();
    const transport = t === undefined ? undefined : { datagramsSent: t.datagramsSent, dataFrames: t.dataFrames, resends: t.resends, redundantCopies: t.redundantCopies, spacedCopies: t.spacedCopies, ackFrames: t.ackFrames };
    const contents: ClientStatsFile = {
      reason,
      predictionMode: this.predictionMode,
      prediction: { ...this.stats },
      ...(transport === undefined ? {} : { transport }),
      ...(this.keyDraws === undefined ? {} : { keyDraws: { ...this.keyDraws } }),
      ...(this.keyTimes === undefined ? {} : { keyTimes: this.keyTimes.toFile() }),
    };
    const partial = `${this.path}.${process.pid}.partial`;
    try {
      writeFileSync(partial, `${JSON.stringify(contents)}\n`);
      renameSync(partial, this.path);
    } catch (error) {
      this.failure ??= (error as Error).message;
    }
  }
}
