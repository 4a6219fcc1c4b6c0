/**
 * The Node options a bin's #! line gives node (`#!/usr/bin/env -S node --opt …`): what a user's process runs with
 * when the bin is started as a program. A benchmark that starts a bin as `node <bin>` (to pick the node binary, or to
 * run it inside `ip netns exec`) skips that line, so it passes these itself, or it would measure another runtime.
 */
import { readFileSync } from 'node:fs';

const ENV_NODE = /^#!\/usr\/bin\/env(?: -S)? node(?<options>(?: \S+)*)\s*$/;

export function hashbangNodeOptions(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const match = ENV_NODE.exec(first);
  if (match === null) throw new Error(`${bin}: the first line is not a "#!/usr/bin/env -S node [options]" line, so its Node options are unknown: ${JSON.stringify(first)}`);
  return match.groups!.options!.split(' ').filter((option) => option !== '');
}
