/**
 * Quoting for commands that run through the user's shell on a host (SSH runs every command that way). Single quotes
 * with `'\''` for a quote inside mean the same in sh, bash, zsh and fish, as long as the word holds no backslash
 * (fish reads `\\` and `\'` inside single quotes).
 */

/** Single-quotes a word for a POSIX shell on the host (bare when it has only safe characters). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
