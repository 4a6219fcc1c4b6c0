/**
 * Reading what `tsmosh-server new` printed: its `TSMOSH CONNECT <port> <key>` line and whatever else the host said
 * (motd, warnings, a restarted session's notice), which the user is shown. Shared by `--local` and the SSH
 * bootstrap, and kept free of ssh2 so that `--local` never loads it.
 */
const CONNECT_LINE = /^TSMOSH CONNECT (\d{1,5}) ([A-Za-z0-9_-]+)\s*$/;

/** Splits `tsmosh-server new` output into the CONNECT line and whatever else the host printed (motd, warnings). */
export function parseServerOutput(stdout: string): { port: number; key: string; otherLines: string[] } | { otherLines: string[] } {
  const otherLines: string[] = [];
  let found: { port: number; key: string } | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const match = CONNECT_LINE.exec(line);
    if (match && found === undefined) found = { port: Number(match[1]), key: match[2]! };
    else if (line.trim() !== '') otherLines.push(line);
  }
  return found ? { ...found, otherLines } : { otherLines };
}
