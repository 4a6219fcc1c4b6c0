/**
 * A scavenge of the harness's own heap on demand (V8's minor GC), run just before each keystroke (ScreenProgram.type):
 * the harness then starts each key with an empty young generation, and the few kilobytes it allocates until the key's
 * draw is on its screen cannot set one off. Left to V8, 1 to 3 of the harness's 10-11 scavenges in a 300 ms / 10 % run
 * began at a keystroke (0.5-4.8 ms; the allocation of the key's buffer or its trace mark set them off), and a draw
 * arriving meanwhile was read only once the scavenge ended: the harness's pause timed as the program's
 * (docs/benchmarks-journal.md, "The predicted keys at 300 ms / 10 % from run to run").
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { readonly type?: 'minor' | 'major' }) => void;

let gc: GcFunction | undefined;

/** Runs a minor GC of this process now (expose-gc set on first use: only the bench's harness asks). */
export function collectYoungGeneration(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as GcFunction;
  }
  gc({ type: 'minor' });
}
