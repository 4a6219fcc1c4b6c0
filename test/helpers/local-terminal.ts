/**
 * The user's terminal, as tests stand it in: the PtyProgram's headless xterm (which answers DA1, DSR and DECRQM
 * itself when `answerQueries` is on) taught what a kitty-like terminal adds. It answers XTVERSION with a name and
 * the kitty keyboard query with its flags, follows the kitty flag stack and modifyOtherKeys that the client sets on
 * it, and encodes Shift+Enter as a real terminal would under those modes:
 *   kitty flags with disambiguate (1) pushed   → CSI 13 ; 2 u
 *   modifyOtherKeys 1 or 2 set                 → CSI 27 ; 2 ; 13 ~
 *   neither                                    → CR, as every terminal sends for Enter with or without Shift
 * Without `kitty` it is a terminal that knows neither protocol: Shift+Enter is always CR.
 */
import type { PtyProgram } from '../client-harness.js';

export interface LocalTerminalProfile {
  /** Its XTVERSION answer; undefined: it does not answer XTVERSION. */
  readonly version?: string;
  /** It speaks the kitty keyboard protocol (answers `CSI ? u`, honours pushes) and modifyOtherKeys. */
  readonly kitty: boolean;
}

export class LocalTerminal {
  /** The kitty keyboard flag stack the client pushed; the top is in force. */
  readonly kittyStack: number[] = [];
  modifyOtherKeys = 0;
  /** Every mode change the client made, in order, for failure messages. */
  readonly modeLog: string[] = [];

  constructor(
    private readonly program: PtyProgram,
    private readonly profile: LocalTerminalProfile,
  ) {
    const term = program.terminal;
    const parser = term.parser;
    const first = (params: (number | number[])[], fallback: number): number => {
      const value = params[0];
      const n = Array.isArray(value) ? value[0] : value;
      return n === undefined ? fallback : n;
    };
    // Answers go through xterm's own reply channel (onData, written to the pty), in order with DA1 and DECRQM.
    parser.registerCsiHandler({ prefix: '>', final: 'q' }, () => {
      if (profile.version !== undefined) term.input(`\x1bP>|${profile.version}\x1b\\`, false);
      return true;
    });
    parser.registerCsiHandler({ prefix: '?', final: 'u' }, () => {
      if (profile.kitty) term.input(`\x1b[?${this.kittyFlags}u`, false);
      return true;
    });
    parser.registerCsiHandler({ prefix: '>', final: 'u' }, (params) => {
      if (profile.kitty) this.kittyStack.push(first(params, 0));
      this.modeLog.push(`push ${first(params, 0)}`);
      return true;
    });
    parser.registerCsiHandler({ prefix: '<', final: 'u' }, (params) => {
      const count = Math.max(1, first(params, 1));
      this.kittyStack.length = Math.max(0, this.kittyStack.length - count);
      this.modeLog.push(`pop ${count}`);
      return true;
    });
    parser.registerCsiHandler({ prefix: '=', final: 'u' }, (params) => {
      const flags = first(params, 0);
      if (profile.kitty) {
        if (this.kittyStack.length === 0) this.kittyStack.push(flags);
        else this.kittyStack[this.kittyStack.length - 1] = flags;
      }
      this.modeLog.push(`set ${flags}`);
      return true;
    });
    parser.registerCsiHandler({ prefix: '>', final: 'm' }, (params) => {
      const resource = first(params, -1);
      const value = params.length > 1 ? first(params.slice(1), 0) : 0;
      if (profile.kitty && (resource === 4 || params.length === 0)) this.modifyOtherKeys = resource === 4 ? value : 0;
      this.modeLog.push(`modifyOtherKeys ${resource === 4 ? value : 'reset'}`);
      return true;
    });
  }

  get kittyFlags(): number {
    return this.kittyStack.length === 0 ? 0 : this.kittyStack[this.kittyStack.length - 1]!;
  }

  /** The bytes this terminal sends for Shift+Enter now. */
  shiftEnterBytes(): string {
    if ((this.kittyFlags & 1) !== 0) return '\x1b[13;2u';
    if (this.modifyOtherKeys >= 1) return '\x1b[27;2;13~';
    return '\r';
  }

  /** Presses Shift+Enter; returns the bytes sent. */
  pressShiftEnter(): string {
    const bytes = this.shiftEnterBytes();
    this.program.type(bytes);
    return bytes;
  }
}
