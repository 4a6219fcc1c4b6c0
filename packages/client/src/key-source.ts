/**
 * Where `tsmosh-client` gets its session key. TSMOSH_KEY (mosh's way, MOSH_KEY) stays readable in
 * /proc/<pid>/environ for the life of the process whatever the program does with process.env, to the same user and
 * root. TSMOSH_KEY_FD=N reads it from file descriptor N instead (a pipe or a 0600 file the caller opened), so it
 * never enters the environment at all. The `tsmosh` command runs its client in-process and passes the key in memory.
 */
import { closeSync, readSync } from 'node:fs';

/** bytes read from the descriptor at most: a printable key is 32 characters; a line ending may follow. */
const KEY_READ_LIMIT = 256;

export type ClientKey = { readonly key: string; readonly source: 'TSMOSH_KEY' | 'TSMOSH_KEY_FD' } | { readonly error: string };

/** Reads the key from TSMOSH_KEY_FD when set, else TSMOSH_KEY; the variables are removed from `env` either way. */
export function readClientKey(env: NodeJS.ProcessEnv): ClientKey {
  const fdText = env.TSMOSH_KEY_FD;
  const keyText = env.TSMOSH_KEY;
  delete env.TSMOSH_KEY_FD;
  delete env.TSMOSH_KEY;
  if (fdText !== undefined && fdText !== '') {
    const fd = /^\d{1,4}$/.test(fdText) ? Number(fdText) : NaN;
    if (!(fd >= 3)) return { error: `tsmosh-client: TSMOSH_KEY_FD=${fdText} must name an open file descriptor of 3 or more` };
    try {
      const buffer = Buffer.alloc(KEY_READ_LIMIT);
      let length = 0;
      for (;;) {
        const read = readSync(fd, buffer, length, KEY_READ_LIMIT - length, null);
        if (read === 0 || length + read >= KEY_READ_LIMIT) {
          length += read;
          break;
        }
        length += read;
        if (buffer.subarray(0, length).includes(0x0a)) break;
      }
      closeSync(fd);
      const key = buffer.subarray(0, length).toString('utf8').split('\n')[0]!.trim();
      if (key === '') return { error: `tsmosh-client: file descriptor ${fd} (TSMOSH_KEY_FD) held no key; write the key from the TSMOSH CONNECT line to it` };
      return { key, source: 'TSMOSH_KEY_FD' };
    } catch (error) {
      return { error: `tsmosh-client: cannot read the key from file descriptor ${fd} (TSMOSH_KEY_FD): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    }
  }
  if (keyText === undefined || keyText === '') {
    return { error: 'tsmosh-client: TSMOSH_KEY is not set; pass the key from the TSMOSH CONNECT line in it, or on a file descriptor named by TSMOSH_KEY_FD' };
  }
  return { key: keyText, source: 'TSMOSH_KEY' };
}
