import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { SessionKey, adoptMoshEnvironment, isPortNumber } from '@tsmosh/protocol';
import { carrierSettingsFromEnv } from './carrier.js';
import { parseEscapeKey } from './escape-key.js';
import { EXIT_TSMOSH_FAILURE } from './exit-status.js';
import { readClientKey } from './key-source.js';
import { predictionModeFromEnv, runTerminalClient } from './frontend.js';
import { checkUtf8Locale, localeErrorMessage } from './locale.js';

/**
 * `TSMOSH_KEY=<key> tsmosh-client <host> <port>`: the client alone. Returns the process exit status.
 * `TSMOSH_CLIENT_STATS_FILE=<path>`: see stats-file.ts.
 */

const USAGE = 'usage: TSMOSH_KEY=<key> tsmosh-client <host> <port>   (or TSMOSH_KEY_FD=<fd> with the key on that descriptor)';

export default async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  adoptMoshEnvironment(process.env);
  // Read (and removed from process.env, so no child inherits it) before anything else; key-source.ts says why
  // TSMOSH_KEY_FD is the way to keep it out of /proc/<pid>/environ too.
  const clientKey = readClientKey(process.env);

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
    return EXIT_TSMOSH_FAILURE;
  }
  const [host, portText] = argv as [string, string];
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!isPortNumber(port)) {
    process.stderr.write(`tsmosh-client: bad port "${portText}": expected a UDP port number 1-65535 (from the TSMOSH CONNECT line)\n`);
    return EXIT_TSMOSH_FAILURE;
  }

  const locale = checkUtf8Locale(process.env);
  if (!locale.ok) {
    process.stderr.write(`${localeErrorMessage(locale, 'tsmosh-client')}\n`);
    return EXIT_TSMOSH_FAILURE;
  }
  if ('error' in clientKey) {
    process.stderr.write(`${clientKey.error}\n`);
    return EXIT_TSMOSH_FAILURE;
  }
  const keyText = clientKey.key;
  try {
    SessionKey.parse(keyText, clientKey.source);
  } catch (error) {
    process.stderr.write(`tsmosh-client: ${(error as Error).message}\n`);
    return EXIT_TSMOSH_FAILURE;
  }
  let escapeKey;
  try {
    escapeKey = parseEscapeKey(process.env.TSMOSH_ESCAPE_KEY);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_TSMOSH_FAILURE;
  }
  let predict;
  let carrier;
  try {
    predict = predictionModeFromEnv(process.env);
    carrier = carrierSettingsFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_TSMOSH_FAILURE;
  }
  // Resolved before the terminal goes raw, so a typo in the host name is a plain one-line error.
  try {
    await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    process.stderr.write(`tsmosh-client: cannot resolve host "${host}" (${code}); check the name\n`);
    return EXIT_TSMOSH_FAILURE;
  }
  const result = await runTerminalClient({ host, port, key: keyText, escapeKey, predict, ...carrier });
  return result.exitCode;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
