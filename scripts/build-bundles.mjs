#!/usr/bin/env node
/**
 * Builds the two self-contained artefacts (after `tsc -b`):
 *
 * 1. The server bundle, packages/server/bundle/: tsmosh-server.mjs (every command) and tsmosh-daemon.mjs (the daemon,
 *    which only `tsmosh-server daemon` imports), each with everything it imports, no node_modules; node-pty's prebuilt pty.node for each Linux platform we upload to, and manifest.json (version,
 *    protocol, and the SHA-256 of every file). This is what `tsmosh user@host` installs on a host that has only Node.
 * 2. The publishable package, dist/tsmosh/: the client and CLI (dist/tsmosh.mjs, and the chunks it imports on demand in
 *    dist/ beside it), the server bundle beside them, and a package.json with no dependencies, so `npm install -g`
 *    needs no compiler and nothing but the tarball.
 *
 * Both bundles are ES modules with a banner that gives CommonJS dependencies (ssh2, node-pty, @xterm/headless) the
 * `require`, `__filename` and `__dirname` they expect.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverBundleDir = join(root, 'packages/server/bundle');
const packageDir = join(root, 'dist/tsmosh');

/** The Linux platforms whose pty.node node-pty ships prebuilt (glibc >= 2.28); a host of another kind is refused. */
const HOST_PLATFORMS = ['linux-x64', 'linux-arm64'];

const banner = [
  "import { createRequire as tsmoshCreateRequire } from 'node:module';",
  "import { fileURLToPath as tsmoshFileURLToPath } from 'node:url';",
  "import { dirname as tsmoshDirname } from 'node:path';",
  'const require = tsmoshCreateRequire(import.meta.url);',
  'const __filename = tsmoshFileURLToPath(import.meta.url);',
  'const __dirname = tsmoshDirname(__filename);',
].join('\n');

/**
 * node-pty looks for pty.node in build/Release, build/Debug and prebuilds/<platform>-<arch>, first one folder up and
 * then beside itself. Bundled, "one folder up" is the folder above the install, which nobody should be able to plant
 * a module in; so the bundle loads only prebuilds/<platform>-<arch>/pty.node beside the bundle file.
 */
const ptyLoaderPlugin = {
  name: 'tsmosh-pty-loader',
  setup(builder) {
    builder.onLoad({ filter: /node-pty[\\/]lib[\\/]utils\.js$/ }, () => ({
      loader: 'js',
      contents: `
        'use strict';
        Object.defineProperty(exports, '__esModule', { value: true });
        exports.assign = function assign(target, ...sources) { for (const source of sources) Object.assign(target, source); return target; };
        exports.loadNativeModule = function loadNativeModule(name) {
          const dir = require('node:path').join(__dirname, 'prebuilds', process.platform + '-' + process.arch);
          const file = require('node:path').join(dir, name + '.node');
          try {
            return { dir, module: require(file) };
          } catch (error) {
            throw new Error('tsmosh-server: cannot load ' + file + ' (this bundle carries pty.node for ${HOST_PLATFORMS.join(', ')} with glibc >= 2.28): ' + error.message);
          }
        };`,
    }));
  },
};

/** The daemon's bundle, beside tsmosh-server.mjs: server-main's `import('./daemon-command.js')` is pointed at it. */
const DAEMON_BUNDLE_FILE = 'tsmosh-daemon.mjs';
const daemonCommandExternal = {
  name: 'tsmosh-daemon-command-external',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/daemon-command\.js$/ }, () => ({ path: `./${DAEMON_BUNDLE_FILE}`, external: true }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  banner: { js: banner },
  // cpu-features and ssh2's sshcrypto.node are optional speed-ups ssh2 loads inside try/catch; left out, ssh2 uses
  // its pure-JavaScript ciphers. No native module is bundled as code.
  external: ['cpu-features', '*.node'],
  logLevel: 'warning',
  legalComments: 'none',
  minifySyntax: true,
  minifyWhitespace: true,
  plugins: [ptyLoaderPlugin],
};

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function buildServerBundle() {
  rmSync(serverBundleDir, { recursive: true, force: true });
  mkdirSync(serverBundleDir, { recursive: true });
  // Two files: tsmosh-server.mjs (every command; `new` runs on the host at each login) and tsmosh-daemon.mjs (the
  // daemon: the pty, the mirror, the transport), which only `tsmosh-server daemon` imports. One file held both, and
  // each `new` paid for loading the daemon's 600 KB (docs/benchmarks.md, Start-up). Two builds, not esbuild's code
  // splitting: splitting keeps a barrel's whole package in the shared chunk, so `new` would still load the transport.
  const server = await build({
    ...common,
    entryPoints: { 'tsmosh-server': join(root, 'packages/server/bin/tsmosh-server.js') },
    outdir: serverBundleDir,
    splitting: true,
    chunkNames: 'server-[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    metafile: true,
    plugins: [...common.plugins, daemonCommandExternal],
  });
  // The daemon is split at its dynamic import of the pty host (node-pty, @xterm/headless: late-pty.ts), so a cold
  // daemon answers its first `new` before it loads them; the chunks lie beside it, where node-pty's loader looks.
  const daemon = await build({
    ...common,
    entryPoints: { [DAEMON_BUNDLE_FILE.replace(/\.mjs$/, '')]: join(root, 'packages/server/dist/daemon-command.js') },
    outdir: serverBundleDir,
    splitting: true,
    chunkNames: 'daemon-[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    metafile: true,
  });
  const daemonFiles = Object.keys(daemon.metafile.outputs).map((file) => relative(serverBundleDir, join(root, file))).sort();
  const serverFiles = Object.keys(server.metafile.outputs).map((file) => relative(serverBundleDir, join(root, file))).filter((path) => path !== 'tsmosh-server.mjs').sort();
  const files = [{ path: 'tsmosh-server.mjs', mode: 0o644 }, ...[...serverFiles, ...daemonFiles].map((path) => ({ path, mode: 0o644 }))];
  for (const platform of HOST_PLATFORMS) {
    const source = join(root, 'node_modules/node-pty/prebuilds', platform, 'pty.node');
    if (!existsSync(source)) throw new Error(`build-bundles: ${relative(root, source)} is missing; node-pty must be a version that ships Linux prebuilds (see docs/install.md)`);
    const target = join(serverBundleDir, 'prebuilds', platform, 'pty.node');
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    files.push({ path: `prebuilds/${platform}/pty.node`, mode: 0o755, platform });
  }
  const { PROTOCOL_VERSION } = await import(join(root, 'packages/protocol/dist/protocol-version.js'));
  const version = readJson(join(root, 'packages/server/package.json')).version;
  const manifest = {
    name: 'tsmosh-server',
    version,
    protocol: PROTOCOL_VERSION,
    node: readJson(join(root, 'package.json')).engines.node,
    platforms: HOST_PLATFORMS,
    files: files.map((file) => {
      const absolute = join(serverBundleDir, file.path);
      return { ...file, size: statSync(absolute).size, sha256: sha256(absolute) };
    }),
  };
  writeFileSync(join(serverBundleDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function buildPackage(serverManifest) {
  rmSync(packageDir, { recursive: true, force: true });
  mkdirSync(join(packageDir, 'dist/server'), { recursive: true });
  await build({
    ...common,
    entryPoints: { tsmosh: join(root, 'packages/cli/bin/tsmosh.js') },
    // Split at the CLI's dynamic imports: what only a login over SSH needs (ssh2 and the install, about half the
    // code) is a chunk of its own that `--local` and the other commands never load: measured, 2 MB less resident
    // memory for the client of a --local session and its parse time saved (docs/benchmarks.md, Start-up). The
    // chunks lie beside tsmosh.mjs in dist/, so import.meta.url gives every one of them the same folder.
    outdir: join(packageDir, 'dist'),
    splitting: true,
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    // The CLI looks for the server bundle beside itself when packed (packages/cli/src/server-location.ts).
    define: { TSMOSH_PACKED_LAYOUT: 'true' },
    // The bin's own #! line (with its Node options) stays first: esbuild keeps an entry's hashbang.
  });
  chmodSync(join(packageDir, 'dist/tsmosh.mjs'), 0o755);
  for (const file of [...serverManifest.files.map((f) => f.path), 'manifest.json']) {
    const target = join(packageDir, 'dist/server', file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(serverBundleDir, file), target);
  }
  chmodSync(join(packageDir, 'dist/server/tsmosh-server.mjs'), 0o755);
  const workspace = readJson(join(root, 'package.json'));
  const cli = readJson(join(root, 'packages/cli/package.json'));
  const pkg = {
    name: 'tsmosh',
    version: cli.version,
    description: workspace.description,
    license: workspace.license,
    repository: workspace.repository,
    type: 'module',
    engines: workspace.engines,
    os: ['linux'],
    bin: { tsmosh: 'dist/tsmosh.mjs', 'tsmosh-server': 'dist/server/tsmosh-server.mjs' },
    files: ['dist'],
  };
  writeFileSync(join(packageDir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  copyFileSync(join(root, 'docs/npm-package-readme.md'), join(packageDir, 'README.md'));
  copyFileSync(join(root, 'LICENSE'), join(packageDir, 'LICENSE'));
}

const started = performance.now();
const manifest = await buildServerBundle();
await buildPackage(manifest);
const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;
console.log(
  `build-bundles: server bundle ${manifest.version} (protocol ${manifest.protocol}): ` +
    manifest.files.map((f) => `${f.path} ${kib(f.size)}`).join(', ') +
    `; package in ${relative(root, packageDir)} (${Math.round(performance.now() - started)} ms)`,
);
