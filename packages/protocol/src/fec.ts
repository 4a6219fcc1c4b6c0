/**
 * An erasure code over the fragments of one instruction (docs/protocol.md §5, "Parity fragments"): k data chunks of
 * equal length (the last zero-padded) and parity chunks such that any k distinct chunks of the k + m give back the
 * data. It is a systematic Cauchy Reed-Solomon code over GF(2^8): parity chunk i (k ≤ i < 256) is
 * Σ_j data_j / (i ⊕ j), and every square submatrix of a Cauchy matrix is invertible, so whichever k arrive, the
 * missing data solve a small linear system. GF(2^8) has 256 elements, so an instruction's data and parity chunks
 * together number at most 256 (MAX_CODE_FRAGMENTS).
 *
 * Pure and deterministic: the same data give the same parity on every sender.
 */

/** Data and parity chunks one code can have: the elements of GF(2^8), each chunk's index being one. */
export const MAX_CODE_FRAGMENTS = 256;

// GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d, the usual Reed-Solomon field): log and exp tables,
// and the whole multiplication table (64 KiB) so the inner loops are one lookup per byte.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
const MUL = new Uint8Array(256 * 256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
  for (let a = 1; a < 256; a++) for (let b = 1; b < 256; b++) MUL[(a << 8) | b] = EXP[LOG[a]! + LOG[b]!]!;
}

function mul(a: number, b: number): number {
  return MUL[(a << 8) | b]!;
}

function inverse(a: number): number {
  if (a === 0) throw new RangeError('fec: zero has no inverse');
  return EXP[255 - LOG[a]!]!;
}

/** dst ^= coef · src, byte by byte; src may be shorter than dst (the rest counts as zeros). */
function mulAdd(dst: Uint8Array, src: Uint8Array, coef: number): void {
  if (coef === 0) return;
  const n = Math.min(dst.length, src.length);
  if (coef === 1) {
    for (let i = 0; i < n; i++) dst[i]! ^= src[i]!;
    return;
  }
  const row = MUL.subarray(coef << 8, (coef << 8) + 256);
  for (let i = 0; i < n; i++) dst[i]! ^= row[src[i]!]!;
}

/** The coefficient of data chunk `column` in parity chunk `index` (index ≥ k > column, so index ⊕ column ≠ 0). */
function coefficient(index: number, column: number): number {
  return inverse(index ^ column);
}

function checkShape(k: number, chunkBytes: number): void {
  if (!Number.isInteger(k) || k < 1 || k >= MAX_CODE_FRAGMENTS) throw new RangeError(`fec: ${k} data chunks; a code has 1..${MAX_CODE_FRAGMENTS - 1}`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`fec: chunk size ${chunkBytes} must be a positive integer`);
}

/**
 * Parity chunk `index` (k ≤ index < MAX_CODE_FRAGMENTS) of the data chunks `data` (k of them, each at most
 * `chunkBytes` long; a shorter one counts as zero-padded): `chunkBytes` bytes.
 */
export function parityChunk(data: readonly Uint8Array[], chunkBytes: number, index: number): Uint8Array {
  const k = data.length;
  checkShape(k, chunkBytes);
  if (!Number.isInteger(index) || index < k || index >= MAX_CODE_FRAGMENTS) throw new RangeError(`fec: parity index ${index} outside ${k}..${MAX_CODE_FRAGMENTS - 1}`);
  const out = new Uint8Array(chunkBytes);
  for (let j = 0; j < k; j++) {
    if (data[j]!.length > chunkBytes) throw new RangeError(`fec: data chunk ${j} has ${data[j]!.length} bytes, more than ${chunkBytes}`);
    mulAdd(out, data[j]!, coefficient(index, j));
  }
  return out;
}

/**
 * The k data chunks, each `chunkBytes` long (the last one zero-padded), from any k distinct chunks of the code:
 * `held` maps an index (data below k, parity from k) to its chunk (a data chunk may be shorter: zero-padded). Throws
 * a RangeError when fewer than k are held or an index or length is out of range.
 */
export function decodeChunks(k: number, chunkBytes: number, held: ReadonlyMap<number, Uint8Array>): Uint8Array[] {
  checkShape(k, chunkBytes);
  const data: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(k).fill(undefined);
  const parity: number[] = [];
  for (const [index, chunk] of held) {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_CODE_FRAGMENTS) throw new RangeError(`fec: chunk index ${index} outside 0..${MAX_CODE_FRAGMENTS - 1}`);
    if (chunk.length > chunkBytes) throw new RangeError(`fec: chunk ${index} has ${chunk.length} bytes, more than ${chunkBytes}`);
    if (index < k) {
      const padded = new Uint8Array(chunkBytes);
      padded.set(chunk);
      data[index] = padded;
    } else {
      parity.push(index);
    }
  }
  const missing: number[] = [];
  for (let j = 0; j < k; j++) if (data[j] === undefined) missing.push(j);
  if (missing.length === 0) return data as Uint8Array[];
  if (parity.length < missing.length) throw new RangeError(`fec: ${k - missing.length + parity.length} of ${k} chunks held; any ${k} are needed`);
  const rows = parity.slice(0, missing.length);
  const e = missing.length;

  // What each chosen parity chunk holds of the missing data alone: the known data's share taken out.
  const rhs = rows.map((index) => {
    const chunk = held.get(index)!;
    const r = new Uint8Array(chunkBytes);
    r.set(chunk);
    for (let j = 0; j < k; j++) if (data[j] !== undefined) mulAdd(r, data[j]!, coefficient(index, j));
    return r;
  });

  // Invert the e×e Cauchy matrix A[p][m] = 1 / (rows[p] ⊕ missing[m]) by Gauss-Jordan elimination (it is invertible,
  // every square submatrix of a Cauchy matrix is): augmented [A | I].
  const a = rows.map((index) => missing.map((column) => coefficient(index, column)));
  const inv = rows.map((_, p) => rows.map((__, q): number => (p === q ? 1 : 0)));
  for (let col = 0; col < e; col++) {
    let pivot = col;
    while (pivot < e && a[pivot]![col] === 0) pivot++;
    if (pivot === e) throw new Error('fec: singular Cauchy submatrix (a bug: it cannot be)');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [inv[col], inv[pivot]] = [inv[pivot]!, inv[col]!];
    const scale = inverse(a[col]![col]!);
    for (let c = 0; c < e; c++) {
      a[col]![c] = mul(a[col]![c]!, scale);
      inv[col]![c] = mul(inv[col]![c]!, scale);
    }
    for (let r = 0; r < e; r++) {
      const factor = a[r]![col]!;
      if (r === col || factor === 0) continue;
      for (let c = 0; c < e; c++) {
        a[r]![c]! ^= mul(factor, a[col]![c]!);
        inv[r]![c]! ^= mul(factor, inv[col]![c]!);
      }
    }
  }
  // missing[m] = Σ_p inv[m][p] · rhs[p]
  for (let m = 0; m < e; m++) {
    const out = new Uint8Array(chunkBytes);
    for (let p = 0; p < e; p++) mulAdd(out, rhs[p]!, inv[m]![p]!);
    data[missing[m]!] = out;
  }
  return data as Uint8Array[];
}

/**
 * The fewest chunks n (k ≤ n ≤ `most`) such that, each lost independently with probability `loss`, at least k
 * arrive with probability `target` or more; `most` when none does. Exact binomial tail (n ≤ 256, so cheap).
 */
export function chunksForDelivery(k: number, loss: number, target: number, most: number): number {
  if (!(loss > 0)) return k;
  if (loss >= 1) return Math.max(k, most);
  for (let n = k; n < most; n++) if (atLeast(k, n, 1 - loss) >= target) return n;
  return Math.max(k, most);
}

/** P(at least k successes of n, each with probability q). */
function atLeast(k: number, n: number, q: number): number {
  // Sum the lower tail in log space to stay accurate for n up to 256.
  const lnQ = Math.log(q);
  const lnP = Math.log(1 - q);
  let lnChoose = 0; // ln C(n, 0)
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += Math.exp(lnChoose + i * lnQ + (n - i) * lnP);
    lnChoose += Math.log(n - i) - Math.log(i + 1);
  }
  return 1 - below;
}
