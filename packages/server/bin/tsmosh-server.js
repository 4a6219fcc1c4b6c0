#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import main from '../dist/server-main.js';
// This file is also the entry of the self-contained bundle (scripts/build-bundles.mjs), where it names the bundle.
process.exitCode = await main(process.argv.slice(2), { entryScript: fileURLToPath(import.meta.url) });
