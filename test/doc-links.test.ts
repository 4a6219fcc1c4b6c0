/**
 * Links into the docs resolve: a Markdown link to a repository file (`[x](docs/protocol.md#anchor)`, `[x](#anchor)`)
 * names a file that exists and, with an anchor, a heading of it (GitHub's anchors); and a section of the benchmark
 * docs cited by title in prose (the benchmarks page or its journal, a comma, the title in double quotes: how code
 * comments cite the measurement behind a choice) names text in a heading or a bold lead of that file, the one named:
 * a pass cited as benchmarks.md after it moved to the journal (session 23) sends its reader to the wrong page.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function files(directory: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'bundle', '.git', '.test-results', 'results'].includes(entry.name)) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) out.push(...files(path, pattern));
    else if (pattern.test(entry.name)) out.push(path);
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation and symbols dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (heading === null) continue;
    const base = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base);
    seen.set(base, (count ?? -1) + 1);
    anchors.add(count === undefined ? base : `${base}-${count + 1}`);
  }
  return anchors;
}

/** The text of each heading and each paragraph's or item's bold lead, whitespace collapsed. */
function titlesOf(markdown: string): string[] {
  const titles: string[] = [];
  for (const match of markdown.matchAll(/^#{1,6} (.*)$/gm)) titles.push(match[1]!);
  for (const match of markdown.matchAll(/(?:^|\n)(?:[-*] )?\*\*([^*]+)\*\*/g)) titles.push(match[1]!);
  return titles.map((title) => title.replace(/\s+/g, ' ').trim());
}

const markdownFiles = files(ROOT, /\.md$/);
const cache = new Map<string, string>();
const read = (path: string): string => cache.get(path) ?? (cache.set(path, readFileSync(path, 'utf8')), cache.get(path)!);

describe('links into the docs resolve', () => {
  it('the anchors are GitHub’s', () => {
    expect([...anchorsOf('# Enter → output, seventh pass: `x` (session 22, enter7)\n## A\n## A\n```\n# not\n```\n')]).toEqual([
      'enter--output-seventh-pass-x-session-22-enter7',
      'a',
      'a-1',
    ]);
  });

  it('every Markdown link to a repository file names one that exists, and a heading of it', () => {
    const broken: string[] = [];
    for (const path of markdownFiles) {
      const text = read(path).replace(/```[\s\S]*?```/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/.test(target)) continue; // http:, mailto:
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const targetPath = file === '' ? path : resolve(dirname(path), file);
        if (!existsSync(targetPath)) {
          broken.push(`${relative(ROOT, path)}: ${target} (no such file)`);
          continue;
        }
        if (anchor === undefined || !targetPath.endsWith('.md') || statSync(targetPath).isDirectory()) continue;
        if (!anchorsOf(read(targetPath)).has(decodeURIComponent(anchor))) broken.push(`${relative(ROOT, path)}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every section of the benchmark docs cited by title in code or docs begins a heading or a bold lead there', () => {
    const sources = [...markdownFiles, ...files(ROOT, /\.(ts|mjs|js)$/).filter((path) => !path.endsWith('.d.ts'))];
    const broken: string[] = [];
    let cited = 0;
    for (const path of sources) {
      // Comments wrap: join the lines, dropping each one's comment leader, before looking for a quoted title.
      const text = read(path).replace(/\n\s*(?:\*(?!\*)|\/\/|#)?\s*/g, ' ');
      for (const match of text.matchAll(/docs\/(benchmarks(?:-journal)?\.md)[,:]?\s*"([^"]+)"/g)) {
        const docPath = join(ROOT, 'docs', match[1]!);
        const title = match[2]!.replace(/\s+/g, ' ').trim().replace(/[.,;:]$/, '');
        cited += 1;
        if (!titlesOf(read(docPath)).some((candidate) => candidate.toLowerCase().includes(title.toLowerCase()))) {
          broken.push(`${relative(ROOT, path)}: docs/${match[1]}, "${title}"`);
        }
      }
    }
    expect(cited).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });
});
