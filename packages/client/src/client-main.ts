import { lookup } from 'node:dns/promises';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SessionKey } from '@tsmosh/protocol';
import type { PredictionMode, PredictionStats } from '@tsmosh/terminal';
import { parseEscapeKey } from './escape-key.js';
import { predictionModeFromEnv, runTerminalClient } from './frontend.js';
import { checkUtf8Locale, localeErrorMessage } from './locale.js';

/**
 * `TSMOSH_KEY=<key> tsmosh-client <host> <port>`: the client alone. Returns the process exit status.
 * `TSMOSH_CLIENT_STATS_FILE=<path>` (for benchmarks): the prediction engine's counters go to that file as JSON
 * (ClientStatsFile) when the client exits, and whenever it receives SIGUSR2.
 */

const USAGE = 'usage: TSMOSH_KEY=<key> tsmosh-client <host> <port>';
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

export default async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  // The key must not linger where child processes or /proc/<pid>/environ readers could find it.
  const keyText = process.env.TSMOSH_KEY;
  delete process.env.TSMOSH_KEY;

  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\nConnects to a session started with \`tsmosh-server new\` (which prints TSMOSH CONNECT <port> <key>).\n`);
    return 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`tsmosh-client ${packageVersion()}\n`);
    return 0;
  }
  const unknownOption = argv.find((arg) => arg.startsWith('-'));
  if (unknownOption !== undefined || argv.length !== 2) {
    const what = unknownOption !== undefined ? `unknown option ${unknownOption}` : `expected a host and a port, got ${argv.length} argument(s)`;
    process.stderr.write(`tsmosh-client: ${what}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const [host, portText] = argv as [string, string];
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    process.stderr.write(`tsmosh-client: bad port "${portText}": expected a UDP port number 1-65535 (from the TSMOSH CONNECT line)\n`);
    return EXIT_USAGE;
  }

  const locale = checkUtf8Locale(process.env);
  if (!locale.ok) {
    process.stderr.write(`${localeErrorMessage(locale, 'tsmosh-client')}\n`);
    return EXIT_FAILURE;
  }
  if (keyText === undefined || keyText === '') {
    process.stderr.write('tsmosh-client: TSMOSH_KEY is not set; pass the key from the TSMOSH CONNECT line in it\n');
    return EXIT_FAILURE;
  }
  try {
    SessionKey.parse(keyText, 'TSMOSH_KEY');
  } catch (error) {
    process.stderr.write(`tsmosh-client: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let escapeKey;
  try {
    escapeKey = parseEscapeKey(process.env.TSMOSH_ESCAPE_KEY);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let predict;
  try {
    predict = predictionModeFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  // Resolved before the terminal goes raw, so a typo in the host name is a plain one-line error.
  try {
    await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    process.stderr.write(`tsmosh-client: cannot resolve host "${host}" (${code}); check the name\n`);
    return EXIT_FAILURE;
  }
  const statsFile = process.env.TSMOSH_CLIENT_STATS_FILE;
  let stats: Readonly<PredictionStats> | undefined;
  let statsError: string | undefined;
  const writeStats = (reason: 'exit' | 'SIGUSR2'): void => {
    if (statsFile === undefined || statsFile === '' || stats === undefined) return;
    try {
      writeStatsFile(statsFile, { reason, predictionMode: predict, prediction: { ...stats } });
    } catch (error) {
      statsError ??= (error as Error).message;
    }
  };
  const onStatsSignal = (): void => writeStats('SIGUSR2');
  // Only when asked for: without a listener SIGUSR2 keeps its default action (the process ends).
  if (statsFile !== undefined && statsFile !== '') process.on('SIGUSR2', onStatsSignal);
  try {
    const result = await runTerminalClient({ host, port, key: keyText, escapeKey, predict, onPredictionStats: (live) => (stats = live) });
    writeStats('exit');
    return result.exitCode;
  } finally {
    process.off('SIGUSR2', onStatsSignal);
    // Reported only now: a message while the session ran would have landed on the remote screen's picture.
    if (statsError !== undefined) process.stderr.write(`tsmosh-client: TSMOSH_CLIENT_STATS_FILE: could not write the stats file (${statsError}); check the path\n`);
  }
}

/** What TSMOSH_CLIENT_STATS_FILE receives: the prediction engine's counters (see PredictionStats) and why they were written. */
export interface ClientStatsFile {
  readonly reason: 'exit' | 'SIGUSR2';
  readonly predictionMode: PredictionMode;
  readonly prediction: PredictionStats;
}

/** Written beside the target and renamed over it, so a reader polling for the file never sees half of it. */
function writeStatsFile(path: string, contents: ClientStatsFile): void {
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(contents)}\n`);
  renameSync(partial, path);
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
