/**
 * What the mirror may write back into a program's input as a terminal's answer to its queries.
 *
 * The answers go into the pty as if typed, so an answer that carried bytes the program chose (a window-title report,
 * a DECRQSS echo of the request, a clipboard read) would let anything that prints, such as a `cat` of a hostile
 * file, type into the shell: the class of attack behind xterm's title-report and DECRQSS CVEs (CVE-2003-0063,
 * CVE-2022-45063). @xterm/headless answers only with values it computes, but this filter makes that a checked
 * property rather than a hope: a reply passes only if it is a sequence of answers of known shapes made of digits
 * and separators, and anything else is dropped and counted.
 */

import { TERMINAL_VERSION_MAX } from '@tsmosh/terminal';

/** A CSI answer: DA1/DA2/DA3-like reports, DSR (cursor position, status), DECRQM, the kitty keyboard flags. */
const CSI_REPLY = '\\x1b\\[[?>=]?[0-9;:]*\\$?[A-Za-z]';
/** A DECRQSS answer (DCS 0|1 $ r … ST): a setting's value in digits and its final bytes. */
const DCS_REPLY = '\\x1bP[01]\\$r[0-9;:]*[ "]?[A-Za-z]?(?:\\x1b\\\\)';
/**
 * XTVERSION's answer (DCS > | text ST): the user's own terminal's name as its client reported it, never bytes the
 * program chose; printable ASCII only and bounded (TERMINAL_VERSION_MAX), as the input stream already checked.
 */
const XTVERSION_REPLY = `\\x1bP>\\|[\\x20-\\x7e]{0,${TERMINAL_VERSION_MAX}}\\x1b\\\\`;
/** A colour report (OSC 4, 10–19): rgb:RRRR/GGGG/BBBB, ended by BEL or ST. */
const OSC_REPLY = '\\x1b\\](?:4;[0-9]{1,3}|1[0-9]);rgb:[0-9a-fA-F]{1,4}/[0-9a-fA-F]{1,4}/[0-9a-fA-F]{1,4}(?:\\x07|\\x1b\\\\)';

const SAFE_REPLY = new RegExp(`^(?:${CSI_REPLY}|${DCS_REPLY}|${XTVERSION_REPLY}|${OSC_REPLY})+$`);

/** bytes: longer than any run of answers a query burst produces (a DA1 is 7 bytes, a colour report 30). */
const MAX_REPLY_CHARS = 1024;

/** Whether `reply` may go into the program's input. */
export function isSafeReply(reply: string): boolean {
  return reply.length <= MAX_REPLY_CHARS && SAFE_REPLY.test(reply);
}
