/** CSI parameters as xterm's parser hands them to a handler: numbers, or arrays of sub-parameters. */
export type Params = readonly (number | number[])[];

export function paramAt(params: Params, index: number, fallback: number): number {
  const value = params[index];
  const n = Array.isArray(value) ? value[0] : value;
  // xterm reports an omitted parameter as 0, which every sequence here treats as "use the default".
  return n === undefined || n === 0 ? fallback : n;
}

export function firstParam(params: Params, fallback: number): number {
  return paramAt(params, 0, fallback);
}

export function hasParam(params: Params, wanted: number): boolean {
  return params.some((p) => (Array.isArray(p) ? p[0] : p) === wanted);
}

