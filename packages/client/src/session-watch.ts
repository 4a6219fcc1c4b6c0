/**
 * SessionWatch: notices a session that no longer exists on the server. A silent server usually means a bad link,
 * and the client then waits as long as it takes (that is the point of tsmosh). But when the daemon itself is gone
 * (the host rebooted, the daemon was killed), waiting is forever: the status line would count "Last contact" up
 * without end. So once the server has been silent a while, the watch asks the host by another path (a new SSH login
 * for a remote session, the control socket for a local one) whether the session still runs; if that path works
 * and the session is not there, the client ends with one line saying so and how to start it again. If the other
 * path fails too (the link is down), nothing is concluded and it asks again later.
 */
import type { SessionStatus } from './session.js';

/** Silence (ms) before the first check: well past a Wi-Fi hand-over or a resend back-off, short of a minute. */
export const SILENCE_BEFORE_CHECK_MS = 15_000;
/** Between checks while the silence lasts (ms): a new SSH login costs the host a little, a person expects news. */
export const CHECK_INTERVAL_MS = 20_000;

export type SessionCheck =
  /** The session runs on the host: the silence is the network's. */
  | { readonly kind: 'running' }
  /** The host answered and the session is not there; `message` is the line for the user. */
  | { readonly kind: 'gone'; readonly message: string }
  /** No answer (the other path is down too, or it needs a password): nothing can be concluded. */
  | { readonly kind: 'unknown' };

export interface SessionWatchTiming {
  readonly silenceBeforeCheckMs: number;
  readonly checkIntervalMs: number;
}

export class SessionWatch {
  private checking = false;
  private nextCheckAt = -Infinity;
  private stopped = false;

  constructor(
    private readonly check: () => Promise<SessionCheck>,
    private readonly onGone: (message: string) => void,
    private readonly timing: SessionWatchTiming = { silenceBeforeCheckMs: SILENCE_BEFORE_CHECK_MS, checkIntervalMs: CHECK_INTERVAL_MS },
  ) {}

  /** Called with every status update (the session sends one a second while the server is silent); `now` in ms. */
  onStatus(status: SessionStatus, now: number): void {
    if (this.stopped || this.checking) return;
    // Only a session that once worked: a first contact that never came has its own timeout and message.
    if (!status.everHeard || status.lastContactAgoMs < this.timing.silenceBeforeCheckMs) {
      this.nextCheckAt = -Infinity;
      return;
    }
    if (now < this.nextCheckAt) return;
    this.checking = true;
    this.nextCheckAt = now + this.timing.checkIntervalMs;
    this.check().then(
      (result) => {
        this.checking = false;
        if (result.kind === 'gone' && !this.stopped) {
          this.stopped = true;
          this.onGone(result.message);
        }
      },
      () => {
        this.checking = false;
      },
    );
  }

  /** The session ended by other means: no more checks. */
  stop(): void {
    this.stopped = true;
  }
}
