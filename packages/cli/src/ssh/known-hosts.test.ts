import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHostKey, keyTypeOfBlob, knownHostsName, recordHostKey, sha256Fingerprint } from './known-hosts.js';

function newKey(directory: string, name: string): { blob: Buffer; line: string } {
  const path = join(directory, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  return { blob: Buffer.from(line.split(' ')[1]!, 'base64'), line };
}

describe('known_hosts', () => {
  const directory = mkdtempSync(join(tmpdir(), 'tsmosh-kh-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const key = newKey(directory, 'a');
  const other = newKey(directory, 'b');

  it('names hosts as OpenSSH does', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(keyTypeOfBlob(key.blob)).toBe('ssh-ed25519');
  });

  it('matches plain, pattern and hashed entries (hashed by ssh-keygen -H)', () => {
    const file = join(directory, 'kh1');
    writeFileSync(file, `# comment\n*.example.org,!bad.example.org ssh-ed25519 ${key.line.split(' ')[1]}\n[127.0.0.1]:2222 ssh-ed25519 ${key.line.split(' ')[1]}\n`);
    expect(checkHostKey([file], ['web.example.org'], key.blob).kind).toBe('known');
    expect(checkHostKey([file], ['bad.example.org'], key.blob).kind).toBe('unknown');
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toContain('|1|');
    expect(checkHostKey([file], ['[127.0.0.1]:2222'], key.blob).kind).toBe('known');
    expect(checkHostKey([file], ['[127.0.0.1]:2223'], key.blob).kind).toBe('unknown');
  });

  it('reports a changed key of the same type with its line, and honours @revoked', () => {
    const file = join(directory, 'kh2');
    writeFileSync(file, `h1 ssh-ed25519 ${key.line.split(' ')[1]}\n@revoked h2 ssh-ed25519 ${other.line.split(' ')[1]}\n`);
    expect(checkHostKey([file], ['h1'], other.blob)).toEqual({ kind: 'changed', file, line: 1 });
    expect(checkHostKey([file], ['h2'], other.blob)).toEqual({ kind: 'revoked', file, line: 2 });
  });

  it('records keys, hashed or plain, in a form ssh-keygen -F finds', () => {
    const file = join(directory, 'sub', 'kh3');
    writeFileSync(join(directory, 'kh-noeol'), `h0 ssh-ed25519 ${other.line.split(' ')[1]}`);
    recordHostKey(join(directory, 'kh-noeol'), 'h9', key.blob, false);
    expect(readFileSync(join(directory, 'kh-noeol'), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    recordHostKey(file, '[127.0.0.1]:2222', key.blob, true);
    expect(checkHostKey([file], ['[127.0.0.1]:2222'], key.blob).kind).toBe('known');
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file], { encoding: 'utf8' });
    expect(found).toContain('ssh-ed25519');
  });

  it('prints fingerprints as ssh-keygen -l does', () => {
    const listed = execFileSync('ssh-keygen', ['-l', '-f', join(directory, 'a.pub')], { encoding: 'utf8' });
    expect(listed).toContain(sha256Fingerprint(key.blob));
  });
});
