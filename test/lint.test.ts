/**
 * Rules the compiler does not enforce, checked over the source tree as part of `npm test`:
 * - the pure cores (@tsmosh/protocol, @tsmosh/terminal) take time, randomness and I/O as arguments: their sources
 *   import no `node:*` module and read no clock, timer, global randomness or `process`;
 * - nothing is exported that nobody imports: a module's export is used by another file of the tree, or is part of
 *   its package's public API (named in the package's index.ts);
 * - the client reads clock, timers and randomness only through its ClientRuntime (client-runtime.ts);
 * - one style: private class members are TypeScript's `private` (most of the code), never `#name`, save where
 *   privacy at run time is the point; an Error subclass names itself with `override readonly name = '…'`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function sourceFiles(directory: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'bundle') continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The code without its comments and string contents, so a rule never fires on prose. */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");
}

const isTest = (path: string): boolean => /\.test(-helpers)?\.ts$/.test(path);

describe('the pure cores stay pure', () => {
  const forbidden: Array<[RegExp, string]> = [
    [/from\s+''/, ''], // placeholder: imports are checked on the raw text below
    [/\bDate\.now\s*\(/, 'Date.now()'],
    [/\bperformance\.now\s*\(/, 'performance.now()'],
    [/\bMath\.random\s*\(/, 'Math.random()'],
    [/\bsetTimeout\s*\(|\bsetInterval\s*\(|\bsetImmediate\s*\(/, 'a timer'],
    [/\bprocess\./, 'process'],
    [/\brequire\s*\(/, 'require()'],
  ];
  for (const pkg of ['protocol', 'terminal']) {
    it(`@tsmosh/${pkg} reads no clock, timer, randomness, process or node:* module`, () => {
      const problems: string[] = [];
      for (const path of sourceFiles(join(ROOT, 'packages', pkg, 'src')).filter((file) => file.endsWith('.ts') && !isTest(file))) {
        const raw = readFileSync(path, 'utf8');
        const name = relative(ROOT, path);
        if (/from\s+['"]node:/.test(raw) || /import\(\s*['"]node:/.test(raw)) problems.push(`${name}: imports a node:* module`);
        const code = codeOnly(raw);
        for (const [pattern, what] of forbidden.slice(1)) if (pattern.test(code)) problems.push(`${name}: uses ${what}`);
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('the client reads the world through its runtime', () => {
  it('@tsmosh/client reads a clock, a timer or randomness only in client-runtime.ts and its timers (and the latency trace, a diagnostic in epoch time)', () => {
    // node-timers.ts: the runtime's timers, apart so that the CLI's terminal probe loads no carrier before a login.
    const edges = new Set(['client-runtime.ts', 'node-timers.ts', 'latency-trace.ts']);
    const hidden: Array<[RegExp, string]> = [
      [/\bDate\.now\s*\(/, 'Date.now()'],
      [/\bperformance\.now\s*\(/, 'performance.now()'],
      [/\bMath\.random\s*\(/, 'Math.random()'],
      [/\brandomBytes\s*\(/, 'randomBytes()'],
      [/(?<![.\w])(?:setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)\s*\(/, 'a timer'],
    ];
    const problems: string[] = [];
    const src = join(ROOT, 'packages', 'client', 'src');
    for (const path of sourceFiles(src).filter((file) => file.endsWith('.ts') && !isTest(file))) {
      if (edges.has(relative(src, path))) continue;
      const code = codeOnly(readFileSync(path, 'utf8'));
      for (const [pattern, what] of hidden) if (pattern.test(code)) problems.push(`${relative(ROOT, path)}: uses ${what}; take it from the ClientRuntime`);
    }
    expect(problems).toEqual([]);
  });
});

describe('no export without an importer', () => {
  it('every exported name of a package module is imported elsewhere or is its package’s public API', () => {
    // The bins and scripts (plain JavaScript) and the examples import from the packages too.
    const everything = [
      ...sourceFiles(join(ROOT, 'packages')),
      ...sourceFiles(join(ROOT, 'test')),
      ...sourceFiles(join(ROOT, 'bench', 'src')),
      ...sourceFiles(join(ROOT, 'scripts')),
      ...sourceFiles(join(ROOT, 'examples')),
    ];
    const texts = new Map(everything.map((path) => [path, readFileSync(path, 'utf8')]));
    const problems: string[] = [];
    for (const pkg of readdirSync(join(ROOT, 'packages'))) {
      const src = join(ROOT, 'packages', pkg, 'src');
      let index: string;
      try {
        index = readFileSync(join(src, 'index.ts'), 'utf8');
      } catch {
        continue;
      }
      const reexportsAll = new Set([...index.matchAll(/export \* from '\.\/([^']+)\.js'/g)].map((match) => join(src, `${match[1]}.ts`)));
      for (const path of sourceFiles(src)) {
        if (!path.endsWith('.ts') || isTest(path) || path.endsWith('index.ts') || reexportsAll.has(path)) continue;
        const code = codeOnly(texts.get(path)!);
        const names = [...code.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|const|let|class|enum)\s+([A-Za-z_$][\w$]*)/gm)].map((match) => match[1]!);
        for (const name of names) {
          const word = new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`);
          if (word.test(index)) continue; // public API
          const elsewhere = [...texts].some(([other, text]) => other !== path && word.test(text));
          if (!elsewhere) problems.push(`${relative(ROOT, path)}: ${name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('one style for private members and error classes', () => {
  const tree = (): string[] =>
    [...sourceFiles(join(ROOT, 'packages')), ...sourceFiles(join(ROOT, 'test')), ...sourceFiles(join(ROOT, 'bench', 'src'))].filter((path) => path.endsWith('.ts'));

  it('private members use `private`, not `#name`', () => {
    // SessionKey's secret stays `#`: a key printed by util.inspect, console.log or JSON.stringify must not show it.
    const runtimePrivate = new Set(['packages/protocol/src/key.ts']);
    const problems: string[] = [];
    for (const path of tree()) {
      const name = relative(ROOT, path);
      if (runtimePrivate.has(name)) continue;
      const code = codeOnly(readFileSync(path, 'utf8'));
      const hit = /\.#[A-Za-z_]\w*|^\s+(?:static |readonly |async |get |set )*#[A-Za-z_]\w*/m.exec(code);
      if (hit !== null) problems.push(`${name}: ${hit[0].trim()}`);
    }
    expect(problems).toEqual([]);
  });

  it("an Error subclass names itself: override readonly name = 'ItsClassName'", () => {
    const problems: string[] = [];
    for (const path of tree()) {
      const code = readFileSync(path, 'utf8');
      for (const match of code.matchAll(/^export class (\w+) extends \w*Error\b[^{]*\{([\s\S]*?)^\}/gm)) {
        const [, className, body] = match;
        if (!body!.includes(`override readonly name`) || !body!.includes(`'${className}'`)) problems.push(`${relative(ROOT, path)}: ${className}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
