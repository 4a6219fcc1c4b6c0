/**
 * What a benchmark scenario is. A scenario is one file under scenarios/ registered in scenarios/index.ts; the
 * runner gives it a mode, it returns its raw data (written to bench/results/<name>.json) and the tables that
 * docs/benchmarks.md shows. Later scenarios (screen diff sizes, real client and server over UDP, mosh and ssh
 * side by side) plug in the same way.
 */
export type BenchMode = 'quick' | 'full';

export interface BenchContext {
  readonly mode: BenchMode;
  /** Progress for a human watching the run (stderr); never part of the results. */
  log(message: string): void;
  /**
   * Where a scenario writes the charts its notes show (ending in '/'): docs/charts/ when the run writes the docs,
   * else the results folder, so a `--no-docs` run leaves the page's charts alone.
   */
  readonly chartsDir: string;
}

export interface Table {
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string>>;
}

export interface ScenarioResult {
  /** Tables for docs/benchmarks.md, in order. */
  readonly tables: readonly Table[];
  /** Plain-language findings worth reading before the tables (where tsmosh loses, say so). */
  readonly notes: readonly string[];
  /** Everything measured, for bench/results/<name>.json. */
  readonly data: unknown;
}

export interface Scenario {
  /** File-name-safe identifier: bench/results/<name>.json and the docs section markers use it. */
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}
