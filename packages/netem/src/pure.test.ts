import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const sourceDir = fileURLToPath(new URL('.', import.meta.url));

describe('the model half of @tsmosh/netem is pure', () => {
  it('type-checks without Node types', () => {
    const tsc = fileURLToPath(new URL('../../../node_modules/.bin/tsc', import.meta.url));
    // Throws (failing the test with the compiler's output) if a Node global or node:* import sneaks in.
    execFileSync(tsc, ['-p', 'tsconfig.pure.json'], { cwd: packageDir, encoding: 'utf8' });
  });

  /** The Node half: the proxies (subpaths ./udp and ./tcp) run real sockets and timers around the pure model. */
  const NODE_HALF = new Set(['udp-proxy.ts', 'tcp-proxy.ts']);

  it('uses no clock or global randomness, which the compiler cannot see', () => {
    for (const file of readdirSync(sourceDir)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts') || NODE_HALF.has(file)) continue;
      // Comments may name the forbidden calls (to say they are not used); only code counts.
      const text = readFileSync(sourceDir + file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(text, file).not.toMatch(/Math\.random|Date\.now|performance\.|setTimeout|setInterval/);
    }
  });
});
