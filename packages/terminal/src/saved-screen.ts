/**
 * A screen kept on disk: the last screen and the recent history of a session (the server's session records), so
 * that a session started again after its daemon died can show where it stopped. The body is the wire's own codec,
 * one screen-state diff from a blank screen of the same size (screen-diff.ts, scrollback-log.ts), behind a header
 * that names the format and the diff version, so a file written by a version this build cannot read is refused, not
 * misread (the diff itself names its version too; the two must agree).
 *
 *   "TSMS"  u8 format (1)  u8 SCREEN_DIFF_VERSION  varint cols  varint rows  diff...
 */
import { ByteReader, ByteWriter } from '@tsmosh/protocol';
import { MAX_SCREEN_COLS, MAX_SCREEN_ROWS } from './framebuffer.js';
import { OLDEST_READABLE_SCREEN_DIFF_VERSION, SCREEN_DIFF_VERSION, readsScreenDiffVersion } from './screen-diff.js';
import { ScreenState } from './screen-state.js';

const SAVED_SCREEN_MAGIC = [0x54, 0x53, 0x4d, 0x53]; // "TSMS"
const SAVED_SCREEN_FORMAT = 1;
/** Larger input (bytes) is refused unread: 10,000 full 80-column lines of history are about 1 MiB. */
export const SAVED_SCREEN_MAX_BYTES = 16 * 1024 * 1024;

/** The saved bytes of `screen`: magic, format, diff version, then the diff from a blank screen of its size. */
export function encodeSavedScreen(screen: ScreenState): Uint8Array {
  const out = new ByteWriter();
  for (const byte of SAVED_SCREEN_MAGIC) out.u8(byte);
  out.u8(SAVED_SCREEN_FORMAT);
  out.u8(SCREEN_DIFF_VERSION);
  const { cols, rows } = screen.framebuffer;
  out.varint(cols);
  out.varint(rows);
  // Echo acknowledgements and endings belong to a client link, not to what is kept.
  const kept = new ScreenState(screen.framebuffer, 0, undefined, screen.scrollback);
  out.bytes(kept.diffFrom(ScreenState.initial(cols, rows)));
  return out.finish();
}

/** The inverse of encodeSavedScreen; throws RangeError on anything else. */
export function decodeSavedScreen(bytes: Uint8Array): ScreenState {
  if (bytes.length > SAVED_SCREEN_MAX_BYTES) throw new RangeError(`saved screen of ${bytes.length} bytes exceeds ${SAVED_SCREEN_MAX_BYTES}`);
  const reader = new ByteReader(bytes, 'saved screen');
  for (const byte of SAVED_SCREEN_MAGIC) if (reader.u8('magic') !== byte) reader.fail('not a tsmosh saved screen');
  const format = reader.u8('format');
  if (format !== SAVED_SCREEN_FORMAT) reader.fail(`saved screen format ${format}, expected ${SAVED_SCREEN_FORMAT}`);
  const diffVersion = reader.u8('screen diff version');
  if (!readsScreenDiffVersion(diffVersion)) {
    reader.fail(`screen diff version ${diffVersion}, expected ${OLDEST_READABLE_SCREEN_DIFF_VERSION}–${SCREEN_DIFF_VERSION}`);
  }
  const cols = reader.varint('cols', MAX_SCREEN_COLS);
  const rows = reader.varint('rows', MAX_SCREEN_ROWS);
  if (cols === 0 || rows === 0) reader.fail(`screen size ${cols}x${rows} is empty`);
  const diff = reader.take(reader.remaining, 'screen diff');
  if (diff.length > 0 && diff[0] !== diffVersion) reader.fail(`the diff says version ${diff[0]}, its header ${diffVersion}`);
  return ScreenState.initial(cols, rows).applyDiff(diff);
}
