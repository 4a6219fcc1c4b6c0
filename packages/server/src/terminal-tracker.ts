/**
 * State xterm.js does not keep (title, bell count, OSC 52 clipboard, notifications and progress, kitty keyboard flags,
 * modifyOtherKeys, DECSCNM reverse video), recorded by hooking a terminal's parser and events: `trackTerminal(term)`
 * before anything is written to it, read by the snapshot.
 */
import type { Terminal, IDisposable } from '@xterm/headless';
import {
  NO_PROGRESS,
  isDeliverablePayload,
  withNotification,
  type ClipboardWrite,
  type Notification,
  type NotificationCode,
  type Progress,
} from '@tsmosh/terminal';
import { registerAsciiOscHandler } from './ascii-osc-handler.js';
import { paramAt, firstParam, hasParam } from './xterm-params.js';

/**
 * Kitty keyboard protocol: how many pushed flag sets one screen keeps (count). The protocol asks terminals to
 * bound the stack and evict the oldest entry on overflow; a well-behaved app nests a handful at most, so 16 leaves
 * room while keeping a hostile program from growing memory.
 */
export const KITTY_KEYBOARD_STACK_LIMIT = 16;
/** Kitty keyboard flags are a 5-bit set (disambiguate, event types, alternates, all-as-escapes, associated text). */
const KITTY_FLAGS_MASK = 0b11111;
/**
 * Largest OSC 52 payload kept (base64 characters). A copy of a long Claude Code answer is tens of KiB; 1 MiB covers
 * any realistic copy while bounding what one escape sequence can make every later screen state carry.
 */
export const CLIPBOARD_PAYLOAD_LIMIT = 1 << 20;

/**
 * Longest window title kept (UTF-16 code units). xterm accepts OSC payloads up to 10 MB; no title bar shows more
 * than a few hundred characters, and every screen state carries the title, so longer ones are cut.
 */
export const TITLE_LENGTH_LIMIT = 4096;

/** State xterm.js does not record, gathered from its parser hooks and events. */
export interface TerminalTracker {
  readonly title: string;
  readonly bellCount: number;
  readonly clipboard: ClipboardWrite | undefined;
  /** Recent desktop notifications (OSC 9, 777, 99), and the latest progress report (OSC 9;4). */
  readonly notifications: readonly Notification[];
  readonly progress: Progress;
  /** Notifications refused (control characters, too long, an unknown OSC 777 verb). */
  readonly droppedNotifications: number;
  readonly kittyKeyboardFlags: number;
  readonly modifyOtherKeys: 0 | 1 | 2;
  readonly reverseVideo: boolean;
  /** OSC 52 writes refused (malformed selection or payload, over the size limit, or a read request). */
  readonly droppedClipboardWrites: number;
  dispose(): void;
}

class Tracker implements TerminalTracker {
  title = '';
  bellCount = 0;
  clipboard: ClipboardWrite | undefined = undefined;
  notifications: readonly Notification[] = Object.freeze([]);
  progress: Progress = NO_PROGRESS;
  droppedNotifications = 0;
  private notificationGeneration = 0;
  modifyOtherKeys: 0 | 1 | 2 = 0;
  reverseVideo = false;
  droppedClipboardWrites = 0;
  /** One kitty flag stack per screen, as the protocol specifies; the top entry is the active flag set. */
  private readonly kittyStacks = { normal: [] as number[], alternate: [] as number[] };
  private clipboardGeneration = 0;
  private readonly disposables: IDisposable[] = [];

  constructor(private readonly term: Terminal) {
    const parser = term.parser;
    this.disposables.push(
      term.onTitleChange((title) => {
        this.title = title.length > TITLE_LENGTH_LIMIT ? cutWithoutSplittingPairs(title, TITLE_LENGTH_LIMIT) : title;
      }),
      term.onBell(() => {
        this.bellCount++;
      }),
      // Collected as bytes, not xterm's character-by-character string (ascii-osc-handler.ts says why).
      registerAsciiOscHandler(term, 52, (data) => {
        if (data === undefined) this.droppedClipboardWrites++;
        else this.recordClipboard(data);
        return true;
      }),
      // xterm.js handles none of these; as events they travel in the screen state (notifications.ts).
      parser.registerOscHandler(9, (data) => {
        if (data.startsWith('4;') || data === '4') this.recordProgress(data);
        else this.recordNotification(9, data);
        return true;
      }),
      parser.registerOscHandler(777, (data) => {
        // urxvt's extension OSC carries other verbs too; only `notify` is a notification.
        if (data.startsWith('notify;')) this.recordNotification(777, data);
        else this.droppedNotifications++;
        return true;
      }),
      parser.registerOscHandler(99, (data) => {
        this.recordNotification(99, data);
        return true;
      }),
      parser.registerCsiHandler({ prefix: '>', final: 'u' }, (params) => {
        this.kittyPush(firstParam(params, 0));
        return true;
      }),
      parser.registerCsiHandler({ prefix: '<', final: 'u' }, (params) => {
        this.kittyPop(Math.max(1, firstParam(params, 1)));
        return true;
      }),
      parser.registerCsiHandler({ prefix: '=', final: 'u' }, (params) => {
        this.kittySet(firstParam(params, 0), paramAt(params, 1, 1));
        return true;
      }),
      parser.registerCsiHandler({ prefix: '?', final: 'u' }, () => {
        // The query reply travels through xterm's own reply channel (onData), in order with DA/DSR replies.
        term.input(`\x1b[?${this.kittyKeyboardFlags}u`, false);
        return true;
      }),
      parser.registerCsiHandler({ prefix: '>', final: 'm' }, (params) => {
        this.setModifyKeys(params);
        return true;
      }),
      parser.registerCsiHandler({ prefix: '>', final: 'n' }, (params) => {
        // XTMODKEYS disable form: `CSI > 4 n` turns modifyOtherKeys off.
        if (firstParam(params, -1) === 4) this.modifyOtherKeys = 0;
        return true;
      }),
      // DECSCNM (?5): xterm.js ignores it, so only watch; returning false lets xterm handle the other params.
      parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => {
        if (hasParam(params, 5)) this.reverseVideo = true;
        return false;
      }),
      parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
        if (hasParam(params, 5)) this.reverseVideo = false;
        return false;
      }),
      // RIS (ESC c) resets the terminal; xterm resets its own state after us.
      parser.registerEscHandler({ final: 'c' }, () => {
        this.kittyStacks.normal.length = 0;
        this.kittyStacks.alternate.length = 0;
        this.modifyOtherKeys = 0;
        this.reverseVideo = false;
        return false;
      }),
    );
  }

  get kittyKeyboardFlags(): number {
    const stack = this.activeKittyStack();
    return stack.length === 0 ? 0 : stack[stack.length - 1]!;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    trackers.delete(this.term);
  }

  private activeKittyStack(): number[] {
    return this.term.buffer.active.type === 'alternate' ? this.kittyStacks.alternate : this.kittyStacks.normal;
  }

  private kittyPush(flags: number): void {
    const stack = this.activeKittyStack();
    if (stack.length >= KITTY_KEYBOARD_STACK_LIMIT) stack.shift();
    stack.push(flags & KITTY_FLAGS_MASK);
  }

  private kittyPop(count: number): void {
    const stack = this.activeKittyStack();
    stack.length = Math.max(0, stack.length - count);
  }

  /** `CSI = flags ; mode u`: mode 1 replaces the active set, 2 adds bits, 3 removes bits. */
  private kittySet(flags: number, mode: number): void {
    const stack = this.activeKittyStack();
    const current = stack.length === 0 ? 0 : stack[stack.length - 1]!;
    let next: number;
    if (mode === 1) next = flags;
    else if (mode === 2) next = current | flags;
    else if (mode === 3) next = current & ~flags;
    else return;
    next &= KITTY_FLAGS_MASK;
    if (stack.length === 0) stack.push(next);
    else stack[stack.length - 1] = next;
  }

  /** XTMODKEYS `CSI > Pp ; Pv m`: only resource 4 (modifyOtherKeys) matters; no params resets every resource. */
  private setModifyKeys(params: readonly (number | number[])[]): void {
    if (params.length === 0) {
      this.modifyOtherKeys = 0;
      return;
    }
    if (firstParam(params, -1) !== 4) return;
    const level = paramAt(params, 1, 0);
    if (level === 0 || level === 1 || level === 2) this.modifyOtherKeys = level;
  }

  private recordNotification(code: NotificationCode, payload: string): void {
    if (!isDeliverablePayload(payload)) {
      this.droppedNotifications++;
      return;
    }
    this.notifications = withNotification(this.notifications, { generation: ++this.notificationGeneration, code, payload });
  }

  /** OSC 9 ; 4 ; state [; value]: state 0 hides, 1 sets the value, 2 error, 3 indeterminate, 4 paused. */
  private recordProgress(data: string): void {
    const [, stateText = '0', valueText = '0'] = data.split(';');
    const state = /^[0-4]$/.test(stateText) ? (Number(stateText) as Progress['state']) : undefined;
    const value = /^\d{1,3}$/.test(valueText) ? Math.min(100, Number(valueText)) : 0;
    if (state === undefined) return;
    const next = state === 0 ? NO_PROGRESS : Object.freeze({ state, value });
    if (next.state !== this.progress.state || next.value !== this.progress.value) this.progress = next;
  }

  private recordClipboard(data: string): void {
    const separator = data.indexOf(';');
    const selection = separator < 0 ? '' : data.slice(0, separator);
    const payload = separator < 0 ? data : data.slice(separator + 1);
    // Reads (`?`) are refused: answering would hand the user's clipboard to any program that asks.
    const acceptable =
      separator >= 0 &&
      /^[cpqs0-7]*$/.test(selection) &&
      payload !== '?' &&
      payload.length <= CLIPBOARD_PAYLOAD_LIMIT &&
      /^[A-Za-z0-9+/]*={0,2}$/.test(payload);
    if (!acceptable) {
      this.droppedClipboardWrites++;
      return;
    }
    this.clipboard = Object.freeze({ generation: ++this.clipboardGeneration, selection, data: payload });
  }
}

/** `text` cut to at most `limit` code units, never between the two halves of a surrogate pair. */
function cutWithoutSplittingPairs(text: string, limit: number): string {
  const end = /[\ud800-\udbff]/.test(text.charAt(limit - 1)) ? limit - 1 : limit;
  return text.slice(0, end);
}


const trackers = new WeakMap<Terminal, Tracker>();

/** The tracker of `term`, installed on first use. Install it before the first write to miss nothing. */
export function trackTerminal(term: Terminal): TerminalTracker {
  let tracker = trackers.get(term);
  if (tracker === undefined) {
    tracker = new Tracker(term);
    trackers.set(term, tracker);
  }
  return tracker;
}
