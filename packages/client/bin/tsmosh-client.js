#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1 --optimize-for-size
// Node options of every client process (docs/architecture.md, "The client's Node options"); tsmosh.js and tsmosh-client.js carry the same.
import main from '../dist/client-main.js';
process.exitCode = await main();
