/** The files of an esbuild bundle (minified ES modules in one folder) and how they import each other. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `import … from"./x.mjs"` and `import"./x.mjs"` in esbuild's minified output. */
export const staticImports = (code: string): string[] => [...code.matchAll(/import\s*(?:[^"'();]*?from\s*)?["']\.\/([^"']+\.mjs)["']/g)].map((match) => match[1]!);
export const dynamicImports = (code: string): string[] => [...code.matchAll(/import\(["']\.\/([^"']+\.mjs)["']\)/g)].map((match) => match[1]!);

export interface BundleFolder {
  read(file: string): string;
  /** Every file loaded with `file`, through static imports. */
  staticClosure(file: string): Set<string>;
  /** Every file loaded with `file` or any time later, through static and dynamic imports. */
  everything(file: string): Set<string>;
}

export function bundleFolder(dir: string): BundleFolder {
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const closure = (file: string, follow: (code: string) => string[]): Set<string> => {
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const next of follow(read(name))) visit(next);
    };
    visit(file);
    return seen;
  };
  return {
    read,
    staticClosure: (file) => closure(file, staticImports),
    everything: (file) => closure(file, (code) => [...staticImports(code), ...dynamicImports(code)]),
  };
}
