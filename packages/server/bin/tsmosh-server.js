#!/usr/bin/env node
// The Node.js check comes first and in syntax old versions parse (no top-level await, no node: imports), so a host
// with an old Node.js gets one line instead of a stack trace. This file is also the entry of the self-contained
// bundle (scripts/build-bundles.mjs), where it names the bundle as the file that starts the daemon.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`tsmosh-server: Node.js ${process.versions.node} is too old; tsmosh needs 20.19 or later\n`);
  process.exit(1);
}
Promise.all([import('url'), import('../dist/server-main.js')])
  .then(([url, server]) => server.default(process.argv.slice(2), { entryScript: url.fileURLToPath(import.meta.url) }))
  .then((code) => {
    process.exitCode = code;
    // `new` runs at every login and the client waits for it to end: exiting once its output is written saves the
    // 5-10 ms Node spends winding down on its own (docs/benchmarks-journal.md, "`tsmosh host` over SSH as quick to start as mosh").
    if (process.argv[2] === 'new') process.stdout.write('', () => process.exit(code));
  });
