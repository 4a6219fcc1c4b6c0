/**
 * known_hosts, read and written as OpenSSH does (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and hashed
 * (`|1|salt|hash`, HMAC-SHA1) host fields, comma-separated patterns with `*`, `?` and `!`, `[host]:port` for
 * non-standard ports, and the `@revoked` marker. `@cert-authority` lines are skipped: tsmosh does not verify host
 * certificates, so a host known only through a CA is treated as unknown (and the user is asked).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchPatternList } from './config.js';

export type HostKeyVerdict =
  | { readonly kind: 'known'; readonly file: string; readonly line: number }
  /** The host is known with a different key of the same type: possible man-in-the-middle. */
  | { readonly kind: 'changed'; readonly file: string; readonly line: number }
  | { readonly kind: 'revoked'; readonly file: string; readonly line: number }
  | { readonly kind: 'unknown' };

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type inside an SSH public key blob (its first length-prefixed string), e.g. "ssh-ed25519". */
export function keyTypeOfBlob(blob: Uint8Array): string {
  if (blob.length < 4) return '';
  const length = (blob[0]! << 24) | (blob[1]! << 16) | (blob[2]! << 8) | blob[3]!;
  if (length <= 0 || 4 + length > blob.length) return '';
  return new TextDecoder().decode(blob.subarray(4, 4 + length));
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function sha256Fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (salt === undefined || hash === undefined) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  return matchPatternList(name, field);
}

/**
 * Looks a host key up in the given files. `names` are the names the host may be recorded under (the host name
 * and, for ssh's CheckHostIP behaviour, nothing else: tsmosh checks the name only).
 */
export function checkHostKey(files: readonly string[], names: readonly string[], blob: Uint8Array): HostKeyVerdict {
  const keyType = keyTypeOfBlob(blob);
  const keyBase64 = Buffer.from(blob).toString('base64');
  let changed: HostKeyVerdict | undefined;
  let known: HostKeyVerdict | undefined;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      let fields = line.split(/\s+/);
      let marker: string | undefined;
      if (fields[0]!.startsWith('@')) {
        marker = fields[0];
        fields = fields.slice(1);
      }
      if (fields.length < 3) continue;
      const [hostField, type, key] = fields as [string, string, string];
      if (!names.some((name) => hostFieldMatches(hostField, name))) continue;
      const where = { file, line: index + 1 };
      if (marker === '@revoked') {
        if (key === keyBase64) return { kind: 'revoked', ...where };
        continue;
      }
      if (marker !== undefined) continue; // @cert-authority: see the module comment
      if (key === keyBase64) known ??= { kind: 'known', ...where };
      else if (type === keyType) changed ??= { kind: 'changed', ...where };
    }
  }
  // A revoked key anywhere wins (returned above); then a match anywhere; then a conflicting key.
  return known ?? changed ?? { kind: 'unknown' };
}

/** Appends a host key, hashed when asked (HashKnownHosts), creating ~/.ssh with mode 0700 when needed. */
export function recordHostKey(file: string, name: string, blob: Uint8Array, hashed: boolean): void {
  let hostField = name;
  if (hashed) {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(name).digest('base64');
    hostField = `|1|${salt.toString('base64')}|${hash}`;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // A file whose last line lacks its newline would otherwise swallow our entry into that line.
  let separator = '';
  try {
    const existing = readFileSync(file);
    if (existing.length > 0 && existing[existing.length - 1] !== 0x0a) separator = '\n';
  } catch {
    // no file yet
  }
  appendFileSync(file, `${separator}${hostField} ${keyTypeOfBlob(blob)} ${Buffer.from(blob).toString('base64')}\n`, { mode: 0o600 });
}
