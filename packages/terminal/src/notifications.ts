/**
 * Desktop notifications and progress a program asks its terminal for. They are events, not screen contents: each
 * notification reaches the local terminal once, as the program sent it, and is never replayed to a client that
 * attaches later or repaints after an outage; progress is a state (the latest value is what a terminal shows).
 *
 * The framebuffer carries the few most recent notifications, numbered by `generation` since the session began, so
 * a client that missed intermediate screen states still delivers every notification that is still recent, and a
 * renderer knows which ones it has already delivered.
 */

/** Which notification sequence the program used; the renderer sends the same one back. */
export type NotificationCode =
  /** OSC 9 ; message (iTerm2, ConEmu, Windows Terminal, ghostty, WezTerm). */
  | 9
  /** OSC 777 ; notify ; title ; body (urxvt, VTE, foot). */
  | 777
  /** OSC 99 ; metadata ; payload (kitty). */
  | 99;

export const NOTIFICATION_CODES: readonly NotificationCode[] = [9, 777, 99];

export interface Notification {
  /** 1 for the session's first notification, then +1 each. */
  readonly generation: number;
  readonly code: NotificationCode;
  /** What followed `<code>;` in the program's sequence, exactly (printable text only; see isDeliverablePayload). */
  readonly payload: string;
}

/**
 * How many recent notifications a screen state carries. A client that missed states (loss, a frame skipped in a
 * flood) still delivers up to this many; a program that sends more within one frame interval is flooding, and the
 * oldest of the burst are dropped rather than carried in every later state.
 */
export const RECENT_NOTIFICATIONS_MAX = 4;

/** Characters in one notification's payload: a notification is a sentence or two; anything longer is dropped. */
export const NOTIFICATION_PAYLOAD_MAX = 4096;

/** OSC 9 ; 4 ; state ; value (ConEmu's progress, shown by Windows Terminal, ghostty and others). */
export interface Progress {
  /** 0 none (hidden), 1 value, 2 error, 3 indeterminate, 4 paused. */
  readonly state: 0 | 1 | 2 | 3 | 4;
  /** Percent, 0–100. */
  readonly value: number;
}

export const NO_PROGRESS: Progress = Object.freeze({ state: 0, value: 0 });

/** A payload that can go back out inside an OSC string: printable, bounded, no C0/C1 controls (no early terminator). */
export function isDeliverablePayload(payload: string): boolean {
  return payload.length <= NOTIFICATION_PAYLOAD_MAX && !/[\u0000-\u001f\u007f-\u009f]/.test(payload);
}

export function notificationsEqual(a: readonly Notification[], b: readonly Notification[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.generation !== y.generation || x.code !== y.code || x.payload !== y.payload) return false;
  }
  return true;
}

export function progressEqual(a: Progress, b: Progress): boolean {
  return a.state === b.state && a.value === b.value;
}

/** The newest generation in `notifications`, 0 when there is none. */
export function latestNotificationGeneration(notifications: readonly Notification[]): number {
  return notifications.length === 0 ? 0 : notifications[notifications.length - 1]!.generation;
}

/** `notifications` plus `next`, keeping the most recent RECENT_NOTIFICATIONS_MAX. */
export function withNotification(notifications: readonly Notification[], next: Notification): readonly Notification[] {
  const kept = [...notifications, Object.freeze({ ...next })];
  return Object.freeze(kept.slice(Math.max(0, kept.length - RECENT_NOTIFICATIONS_MAX)));
}
