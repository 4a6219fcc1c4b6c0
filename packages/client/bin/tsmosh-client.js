#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1
import main from '../dist/client-main.js';
process.exitCode = await main();
