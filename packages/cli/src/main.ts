import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkUtf8Locale, localeErrorMessage, parseEscapeKey, predictionModeFromEnv, runTerminalClient, type EscapeKeySetting } from '@tsmosh/client';
import { LINK_SPEC_SYNTAX, parseLinkSpec, type LinkProfile } from '@tsmosh/netem';

/**
 * `tsmosh`: the command a user types. This build runs `--local`: the real `tsmosh-server new` of this repository on
 * this machine, and the client front end in this process, over loopback UDP (optionally through the lossy link).
 */

const USAGE = 'usage: tsmosh --local [--link SPEC] [--predict=adaptive|always|never|experimental] [-- command...]';
const HINT = '(try `tsmosh --help`)';
const HELP = `${USAGE}

  --local          run a session on this machine: tsmosh-server and the client over loopback UDP, no SSH
  --link SPEC      send the client's traffic through an emulated link, e.g. --link delay=150ms,loss=10%
                   (see the syntax with --link help)
  --predict=MODE   local echo: adaptive (default), always, never, experimental
  -- command...    run this instead of your login shell

environment: TSMOSH_ESCAPE_KEY (default Ctrl-^), TSMOSH_RUNTIME_DIR (the daemon's control socket directory)
Inside a session: Ctrl-^ . quits, Ctrl-^ Ctrl-Z suspends, Ctrl-^ ^ sends a literal Ctrl-^.`;

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const PREDICTION_MODES = ['adaptive', 'always', 'never', 'experimental'] as const;
/** The lossy link's seed: fixed, so a demo over a given link shows the same drops run after run. */
const LINK_SEED = 1;
/** `tsmosh-server new` normally answers in well under a second; a loaded machine may take a few (ms). */
const SERVER_START_TIMEOUT_MS = 20_000;

export interface LocalOptions {
  readonly link: LinkProfile | undefined;
  readonly linkSpec: string | undefined;
  /** undefined: the client follows TSMOSH_PREDICTION_DISPLAY (default adaptive), as mosh without --predict. */
  readonly predict: (typeof PREDICTION_MODES)[number] | undefined;
  readonly command: readonly string[];
}

export type ParsedArguments =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'local'; readonly options: LocalOptions }
  | { readonly kind: 'remote'; readonly destination: string }
  | { readonly kind: 'usage-error'; readonly message: string };

export function parseArguments(argv: readonly string[]): ParsedArguments {
  let local = false;
  let linkSpec: string | undefined;
  let predict: LocalOptions['predict'];
  let destination: string | undefined;
  let command: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      command = argv.slice(index + 1);
      break;
    }
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (arg === '--local') {
      local = true;
    } else if (arg === '--link' || arg.startsWith('--link=')) {
      const value = arg === '--link' ? argv[++index] : arg.slice('--link='.length);
      if (value === undefined) return { kind: 'usage-error', message: `tsmosh: --link needs a link spec, e.g. --link delay=150ms,loss=10% ${HINT}` };
      linkSpec = value;
    } else if (arg.startsWith('--predict=') || arg === '--predict') {
      const value = arg === '--predict' ? argv[++index] : arg.slice('--predict='.length);
      if (!(PREDICTION_MODES as readonly string[]).includes(value ?? '')) {
        return { kind: 'usage-error', message: `tsmosh: --predict must be one of ${PREDICTION_MODES.join(', ')}, got "${value ?? ''}" ${HINT}` };
      }
      predict = value as LocalOptions['predict'];
    } else if (arg.startsWith('-')) {
      return { kind: 'usage-error', message: `tsmosh: unknown option ${arg} ${HINT}` };
    } else if (destination === undefined) {
      destination = arg;
    } else {
      return { kind: 'usage-error', message: `tsmosh: unexpected argument "${arg}"; put the command after -- ${HINT}` };
    }
  }
  if (local && destination !== undefined) {
    return { kind: 'usage-error', message: `tsmosh: --local takes no host (got "${destination}") ${HINT}` };
  }
  if (!local) {
    if (destination === undefined) return { kind: 'usage-error', message: `tsmosh: nothing to do: give --local ${HINT}` };
    return { kind: 'remote', destination };
  }
  let link: LinkProfile | undefined;
  if (linkSpec !== undefined) {
    try {
      link = parseLinkSpec(linkSpec);
    } catch (error) {
      // The parser's first line names the bad field; the syntax reference follows on later lines.
      const firstLine = (error as Error).message.split('\n')[0];
      return { kind: 'usage-error', message: `tsmosh: ${firstLine} (see the syntax with \`tsmosh --link help\`)` };
    }
  }
  return { kind: 'local', options: { link, linkSpec, predict, command } };
}

export default async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  if (argv[0] === '--link' && argv[1] === 'help') {
    process.stdout.write(`${LINK_SPEC_SYNTAX}\n`);
    return 0;
  }
  const parsed = parseArguments(argv);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(`${HELP}\n`);
      return 0;
    case 'version':
      process.stdout.write(`tsmosh ${packageVersion()}\n`);
      return 0;
    case 'usage-error':
      process.stderr.write(`${parsed.message}\n`);
      return EXIT_USAGE;
    case 'remote':
      process.stderr.write(
        `tsmosh: connecting to ${parsed.destination} over SSH is not available in this build yet; only \`tsmosh --local\` is.\n`,
      );
      return EXIT_FAILURE;
    case 'local':
      return runLocal(parsed.options);
  }
}

async function runLocal(options: LocalOptions): Promise<number> {
  const locale = checkUtf8Locale(process.env);
  if (!locale.ok) {
    process.stderr.write(`${localeErrorMessage(locale, 'tsmosh')}\n`);
    return EXIT_FAILURE;
  }
  let escapeKey: EscapeKeySetting;
  try {
    escapeKey = parseEscapeKey(process.env.TSMOSH_ESCAPE_KEY);
    if (options.predict === undefined) predictionModeFromEnv(process.env); // a bad value fails here, in one line
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }

  let connectLine: { port: number; key: string };
  try {
    connectLine = await startLocalServer(options.command);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }

  let target = { host: '127.0.0.1', port: connectLine.port };
  let proxy: { close(): Promise<void> } | undefined;
  if (options.link !== undefined) {
    const { startUdpProxy } = await import('@tsmosh/netem/udp');
    const started = await startUdpProxy({
      listen: { host: '127.0.0.1', port: 0 },
      target,
      profile: options.link,
      seed: LINK_SEED,
    });
    proxy = started;
    target = { host: started.address.host, port: started.address.port };
  }
  try {
    const result = await runTerminalClient({ host: target.host, port: target.port, key: connectLine.key, escapeKey, ...(options.predict === undefined ? {} : { predict: options.predict }) });
    return result.exitCode;
  } finally {
    await proxy?.close();
  }
}

/**
 * Runs this repository's `tsmosh-server new` and returns its CONNECT line. Its other output (warnings, notices) is
 * shown to the user as it is; a failure is one line naming what failed.
 */
export async function startLocalServer(command: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ port: number; key: string }> {
  const serverBin = serverBinPath();
  const args = [serverBin, 'new', ...(command.length > 0 ? ['--', ...command] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const outcome = await new Promise<{ code: number | null; failure?: string }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve({ code: null, failure: `tsmosh: tsmosh-server new did not answer within ${SERVER_START_TIMEOUT_MS / 1000} s` });
    }, SERVER_START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, failure: `tsmosh: cannot run ${serverBin}: ${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
  // The same reading of `new`'s output as the SSH bootstrap's: whatever else it printed is shown to the user.
  const { parseServerOutput } = await import('./ssh/bootstrap.js');
  const parsed = parseServerOutput(stdout);
  for (const line of parsed.otherLines) process.stderr.write(`${line}\n`);
  if (outcome.failure !== undefined) throw new Error(outcome.failure);
  if (outcome.code !== 0) throw new Error(`tsmosh: tsmosh-server new failed (exit status ${outcome.code}); see its message above`);
  if (!('key' in parsed)) throw new Error('tsmosh: tsmosh-server new exited without printing a TSMOSH CONNECT line');
  return { port: parsed.port, key: parsed.key };
}

/** The `tsmosh-server` bin of the @tsmosh/server package this CLI was installed with. */
export function serverBinPath(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@tsmosh/server'));
  // Walk up from the package's entry point to its package.json, then follow its "bin" field.
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; bin?: string | Record<string, string> };
      if (pkg.name === '@tsmosh/server') {
        const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['tsmosh-server'];
        if (bin === undefined) throw new Error(`tsmosh: ${manifest} declares no tsmosh-server bin`);
        return join(dir, bin);
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tsmosh: cannot find the @tsmosh/server package; reinstall tsmosh');
    dir = parent;
  }
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
