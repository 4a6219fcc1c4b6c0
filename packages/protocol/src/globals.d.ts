// The pure cores compile without Node or DOM types (tsconfig.pure.json), so the few web-standard globals
// they use are declared here. Anything not declared here (timers, Node buffers, the process object, node crypto) fails to compile.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
