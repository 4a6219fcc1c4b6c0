#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1 --optimize-for-size
// Node options of every client process (docs/architecture.md, "The client's Node options"); tsmosh.js and tsmosh-client.js carry the same.
// The Node.js check comes first and in syntax old versions parse, so an old Node.js gets one line, not a stack trace.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`tsmosh: Node.js ${process.versions.node} is too old; tsmosh needs 20.19 or later\n`);
  process.exit(255);
}
import('../dist/main.js')
  .then((cli) => cli.default())
  .then((code) => {
    process.exitCode = code;
  });
