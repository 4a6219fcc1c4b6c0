/**
 * The commands the client runs on a host to start a session with a server that speaks its protocol, installing its
 * own bundle first when the host has none. Everything here is text for the host's shell and the host's Node.js; the
 * steps (and who decides what) are in host-install.ts.
 *
 * The commands go through the user's login shell, which may be bash, zsh, fish or csh. So each is `sh -c 'SCRIPT'`
 * or `node -e 'PROGRAM'` plus single-quoted words, and the scripts and programs contain no backslash and no single
 * quote of their own (fish reads backslashes inside single quotes): those quote the same in every shell. ('!' is
 * safe: csh expands history only when interactive.)
 */
import { PROTOCOL_MISMATCH_EXIT_STATUS, REQUIRE_PROTOCOL_ENV } from '@tsmosh/protocol/front';
import { DAEMON_NODE_OPTIONS, DAEMON_STARTING_ENV, OWN_LOG_OPTION, controlSocketName } from '@tsmosh/server/new-session';
import { shellQuote } from '../shell-quote.js';
import type { BundleFile } from './server-bundle.js';

/** The bundle's entry file inside its install folder. */
export const BUNDLE_ENTRY = 'tsmosh-server.mjs';

/**
 * Where installs live on the host, relative to its data home (XDG_DATA_HOME, else ~/.local/share): one folder per
 * install ID, so versions live side by side.
 */
const HOST_INSTALL_SUBDIR = 'tsmosh/server';

/** How many other installs the installer keeps besides the one it just made (the newest by time). */
export const INSTALLS_KEPT = 2;

/** A line the start command prints when it found no server and Node.js ran the probe: JSON facts follow. */
const HOST_REPORT_PREFIX = 'TSMOSH HOST ';
/** A line the start command prints when the host has no `node` on the PATH: `uname -s -m` follows. */
const HOST_WITHOUT_NODE_PREFIX = 'TSMOSH HOST-WITHOUT-NODE ';
/**
 * A line the installer prints on stderr as the upload arrives: the bytes received so far. The client's progress line
 * shows these, so it counts what reached the host, not what sits in a send buffer.
 */
export const RECEIVED_PREFIX = 'TSMOSH RECEIVED ';
/** Bytes between two RECEIVED_PREFIX lines: a few lines for a typical upload, each a visible step. */
const RECEIVED_REPORT_STEP_BYTES = 32 * 1024;
/** A line the installer prints when it refuses or fails: the reason follows, one line. */
const INSTALL_FAILED_PREFIX = 'TSMOSH INSTALL-FAILED ';

/**
 * Node.js on the host reports what the client needs to choose a bundle. Old Node versions must be able to run it
 * (so: var, no arrow functions), to say what they are rather than fail on syntax.
 */
const PROBE_PROGRAM = [
  'var report = {};',
  'try { if (process.report) { process.report.excludeNetwork = true; report = process.report.getReport().header || {}; } } catch (error) { report = {}; }',
  `console.log("${HOST_REPORT_PREFIX}" + JSON.stringify({ node: process.versions.node, platform: process.platform, arch: process.arch, glibc: report.glibcVersionRuntime || null }));`,
].join('\n');

/**
 * For `new` on a host where no daemon of this generation runs (no control socket where tsmosh-server's runtime-dir.ts
 * puts it: one per protocol, so a daemon of an older tsmosh still holding sessions does not count), the
 * daemon's start begins here, beside `new`'s own Node start, instead of after it (`new` would start one once it found
 * none): a cold login then pays one Node start before its session, not two in a row (docs/benchmarks-journal.md, "`tsmosh
 * host` over SSH as quick to start as mosh"). `new` waits for that daemon while its pid lives (DAEMON_STARTING_ENV).
 * setsid detaches it as `new` would (own session, no terminal); the daemon writes its log itself, after checking the
 * runtime folder (OWN_LOG_OPTION). A host without setsid, or a socket left by a daemon that died, takes the old way:
 * `new` starts the daemon.
 */
const earlyDaemonStart = (protocol: number): string[] => [
  'if [ "$1" = new ] && command -v setsid >/dev/null 2>&1; then',
  '  r="${TSMOSH_RUNTIME_DIR:-${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/tsmosh}}"',
  '  [ -n "$r" ] || r="/tmp/tsmosh-$(id -u)"',
  `  if [ ! -S "$r/${controlSocketName(protocol)}" ]; then`,
  `    setsid node ${DAEMON_NODE_OPTIONS.join(' ')} "$d/${BUNDLE_ENTRY}" daemon ${OWN_LOG_OPTION} </dev/null >/dev/null 2>&1 &`,
  `    ${DAEMON_STARTING_ENV}=$!`,
  `    export ${DAEMON_STARTING_ENV}`,
  '  fi',
  'fi',
];

/**
 * The start command: run the server's subcommand (`new …`, `list --json`, `kill NAME`) with, in order, an installed
 * `tsmosh-server` on the PATH if it speaks our protocol (it exits PROTOCOL_MISMATCH_EXIT_STATUS otherwise), else our
 * own install of this bundle, else report what the host is (HOST_REPORT_PREFIX or HOST_WITHOUT_NODE_PREFIX) so the
 * client can install. Later connects cost this one command.
 */
export function startCommand(installId: string, protocol: number, serverArguments: readonly string[]): string {
  const script = [
    `d="\${XDG_DATA_HOME:-$HOME/.local/share}/${HOST_INSTALL_SUBDIR}/${installId}"`,
    'if command -v tsmosh-server >/dev/null 2>&1; then',
    `  ${REQUIRE_PROTOCOL_ENV}=${protocol} tsmosh-server "$@"`,
    '  s=$?',
    `  [ "$s" -eq ${PROTOCOL_MISMATCH_EXIT_STATUS} ] || exit "$s"`,
    'fi',
    'if command -v node >/dev/null 2>&1; then',
    `  if [ -f "$d/${BUNDLE_ENTRY}" ]; then`,
    ...earlyDaemonStart(protocol).map((line) => `    ${line}`),
    `    exec node "$d/${BUNDLE_ENTRY}" "$@"`,
    '  fi',
    `  exec node -e ${shellQuote(PROBE_PROGRAM)}`,
    'fi',
    `echo "${HOST_WITHOUT_NODE_PREFIX}$(uname -s -m)"`,
  ].join('\n');
  // "$0" is the name sh gives the script; the server's arguments follow it.
  return ['sh', '-c', shellQuote(script), 'tsmosh-start', ...serverArguments.map(shellQuote)].join(' ');
}

/**
 * The installer, run by the host's Node.js with the gzipped files on stdin. It trusts nothing it receives: the
 * folder must be the user's own and closed to others, every file must match the manifest's SHA-256, and only a
 * complete install is renamed into place (a failure removes what it wrote). Then it prunes old installs and runs the
 * server with the given arguments, whose output is the session's CONNECT line.
 * argv: install ID, base64 JSON of the files ({path, size, sha256, mode}), the server's arguments.
 */
const INSTALLER_PROGRAM = `"use strict";
const fs = require("fs"), path = require("path"), crypto = require("crypto"), zlib = require("zlib"), os = require("os"), childProcess = require("child_process");
const NEWLINE = String.fromCharCode(10);
const [installId, filesArgument, ...serverArguments] = process.argv.slice(1);
let temporary;
function fail(message) {
  if (temporary !== undefined) fs.rmSync(temporary, { recursive: true, force: true });
  process.stdout.write("${INSTALL_FAILED_PREFIX}" + message + NEWLINE);
  process.exit(1);
}
if (!/^[0-9A-Za-z._+-]+$/.test(installId || "") || installId.startsWith(".")) fail("bad install ID " + JSON.stringify(installId));
const files = JSON.parse(Buffer.from(filesArgument || "", "base64").toString("utf8"));
for (const file of files) {
  const parts = String(file.path).split("/");
  if (parts.some((part) => part === "" || part === "." || part === "..")) fail("bad file name " + JSON.stringify(file.path));
}
const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
const base = path.join(dataHome, ${JSON.stringify(HOST_INSTALL_SUBDIR)});
try {
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
} catch (error) {
  fail("cannot create " + base + ": " + error.message);
}
for (const dir of [path.dirname(base), base]) {
  const info = fs.lstatSync(dir);
  if (!info.isDirectory() || info.uid !== process.getuid() || (info.mode & 0o022) !== 0) {
    fail(dir + " must be a folder of yours that others cannot write to (now mode " + (info.mode & 0o777).toString(8) + ", uid " + info.uid + "); fix it with chmod 700 and retry");
  }
}
const expected = files.reduce((sum, file) => sum + file.size, 0);
const chunks = [];
let received = 0;
let reported = 0;
process.stdin.on("data", (chunk) => {
  received += chunk.length;
  if (received - reported >= ${RECEIVED_REPORT_STEP_BYTES}) {
    reported = received;
    process.stderr.write("${RECEIVED_PREFIX}" + received + NEWLINE);
  }
  if (received > expected + 1048576) fail("the upload is larger than the files it should hold; not installing");
  chunks.push(chunk);
});
process.stdin.on("end", () => {
  let contents;
  try {
    contents = zlib.gunzipSync(Buffer.concat(chunks), { maxOutputLength: expected + 1 });
  } catch (error) {
    fail("the upload is damaged (" + error.message + "); nothing was installed");
  }
  if (contents.length !== expected) fail("the upload holds " + contents.length + " bytes, the manifest " + expected + "; nothing was installed");
  temporary = fs.mkdtempSync(path.join(base, ".install-"));
  let offset = 0;
  for (const file of files) {
    const bytes = contents.subarray(offset, offset + file.size);
    offset += file.size;
    const digest = crypto.createHash("sha256").update(bytes).digest("hex");
    if (digest !== file.sha256) fail(file.path + " does not match the SHA-256 in the manifest of the client, whose copy of tsmosh is damaged or altered (reinstall it there); nothing was installed");
    const target = path.join(temporary, ...file.path.split("/"));
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    fs.writeFileSync(target, bytes, { mode: file.mode & 0o700, flag: "wx" });
  }
  const destination = path.join(base, installId);
  try {
    fs.renameSync(temporary, destination);
  } catch (error) {
    // Another connect installed the same bundle meanwhile: use it.
    if (error.code !== "EEXIST" && error.code !== "ENOTEMPTY") fail("cannot install into " + destination + ": " + error.message);
    fs.rmSync(temporary, { recursive: true, force: true });
  }
  temporary = undefined;
  prune(destination);
  const server = childProcess.spawn(process.execPath, [path.join(destination, ${JSON.stringify(BUNDLE_ENTRY)}), ...serverArguments], { stdio: ["ignore", "inherit", "inherit"] });
  server.on("error", (error) => fail("cannot run the installed server: " + error.message));
  server.on("exit", (code) => process.exit(code === null ? 1 : code));
});
function prune(current) {
  const now = Date.now();
  const installs = [];
  for (const name of fs.readdirSync(base)) {
    const full = path.join(base, name);
    if (full === current) continue;
    try {
      const info = fs.lstatSync(full);
      if (!info.isDirectory()) continue;
      if (name.startsWith(".install-")) {
        if (now - info.mtimeMs > 600000) fs.rmSync(full, { recursive: true, force: true });
      } else if (fs.existsSync(path.join(full, ${JSON.stringify(BUNDLE_ENTRY)}))) {
        installs.push({ full, time: info.mtimeMs });
      }
    } catch (error) {
      // A folder that vanished or cannot be read is left alone.
    }
  }
  installs.sort((a, b) => b.time - a.time);
  for (const old of installs.slice(${INSTALLS_KEPT})) fs.rmSync(old.full, { recursive: true, force: true });
}
`;

/** The install command: the installer with its arguments; the upload goes to its stdin. */
export function installCommand(installId: string, files: readonly BundleFile[], serverArguments: readonly string[]): string {
  const list = files.map(({ path, size, sha256, mode }) => ({ path, size, sha256, mode }));
  const encoded = Buffer.from(JSON.stringify(list)).toString('base64');
  return ['node', '-e', shellQuote(INSTALLER_PROGRAM), shellQuote(installId), encoded, ...serverArguments.map(shellQuote)].join(' ');
}

/** The texts sent to the host, for the test that they quote the same in every shell. */
export const HOST_PROGRAMS: readonly string[] = [PROBE_PROGRAM, INSTALLER_PROGRAM];

/** What a host without a usable server told us about itself. */
export type HostReport =
  | { readonly kind: 'node'; readonly node: string; readonly platform: string; readonly arch: string; readonly glibc: string | null }
  | { readonly kind: 'no-node'; readonly system: string };

/** Finds the report line among the start command's output lines, if there is one. */
export function parseHostReport(lines: readonly string[]): HostReport | undefined {
  for (const line of lines) {
    if (line.startsWith(HOST_WITHOUT_NODE_PREFIX)) return { kind: 'no-node', system: line.slice(HOST_WITHOUT_NODE_PREFIX.length).trim() };
    if (line.startsWith(HOST_REPORT_PREFIX)) {
      try {
        const facts = JSON.parse(line.slice(HOST_REPORT_PREFIX.length)) as Record<string, unknown>;
        const text = (value: unknown): string => (typeof value === 'string' ? value : 'unknown');
        return { kind: 'node', node: text(facts.node), platform: text(facts.platform), arch: text(facts.arch), glibc: typeof facts.glibc === 'string' ? facts.glibc : null };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The installer's one-line reason for refusing, if it printed one. */
export function parseInstallFailure(lines: readonly string[]): string | undefined {
  const line = lines.find((candidate) => candidate.startsWith(INSTALL_FAILED_PREFIX));
  return line?.slice(INSTALL_FAILED_PREFIX.length).trim();
}
