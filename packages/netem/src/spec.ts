/**
 * The compact link spec users type (`tsmosh --local --link "delay=150ms,loss=10%"`) and tests and benchmarks
 * name their links with. `parseLinkSpec` turns it into a `LinkProfile`; `formatLinkSpec` writes a profile back in
 * a form that parses to the identical profile.
 */
import {
  DEFAULT_QUEUE,
  PERFECT_DIRECTION,
  burstLoss,
  validateDirectionProfile,
  type BlackoutWindow,
  type DirectionProfile,
  type GilbertElliott,
  type LinkProfile,
  type QueueLimit,
} from './model.js';

/** The accepted syntax, shown with every parse error. */
export const LINK_SPEC_SYNTAX = [
  'a link spec is comma-separated key=value pairs, e.g. "delay=150ms,jitter=10ms,loss=10%"; keys:',
  '  delay=150ms            one-way delay (ms, s)',
  '  jitter=10ms            extra delay, uniform in [0, jitter]',
  '  loss=10%               independent loss (10% or 0.1)',
  '  burst=10%/4            bursty loss: mean loss / mean burst length in datagrams',
  '  burst=P:R:BAD:GOOD     Gilbert-Elliott: P(good->bad), P(bad->good), loss in bad, loss in good; none = off',
  '  reorder=2%             hold datagrams back so later ones overtake them',
  '  reorder-delay=20ms     how long a reordered datagram is held back',
  '  dup=1%                 duplicate datagrams',
  '  rate=1mbit             bottleneck rate (bit, kbit, mbit, gbit; or B/s, kB/s, MB/s); none = unlimited',
  '  queue=64kB | 200ms     bottleneck buffer (B, kB, KiB, MB, MiB; or the time it drains in)',
  '  blackout=2s@5s[/30s]   outage of 2 s starting 5 s in [repeating every 30 s]; may repeat',
  '  prefix a key with up. (client to server) or down. (server to client) for one direction;',
  '  "" or "none" is a perfect link',
  'tsmosh --local sends its TCP fallback through the same link: its delay, jitter, rate and blackouts (TCP resends',
  'what is lost, so loss, bursts, reordering and duplication are for the datagrams alone)',
].join('\n');

/** A spec that cannot be parsed. `field` is the offending key=value pair (or the key alone). */
export class LinkSpecError extends Error {
  override readonly name = 'LinkSpecError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`bad link spec field "${field}": ${problem}\n${LINK_SPEC_SYNTAX}`);
  }
}

type Direction = 'up' | 'down';
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const NUMBER_WITH_UNIT = new RegExp(`^(${NUMBER})(.*)$`);

const TIME_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const RATE_UNITS_BYTES_PER_SECOND: Record<string, number> = {
  bit: 1 / 8,
  kbit: 1000 / 8,
  mbit: 1_000_000 / 8,
  gbit: 1_000_000_000 / 8,
  'b/s': 1,
  'kb/s': 1000,
  'mb/s': 1_000_000,
  'gb/s': 1_000_000_000,
};
const SIZE_UNITS_BYTES: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576 };

export function parseLinkSpec(text: string): LinkProfile {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return { up: PERFECT_DIRECTION, down: PERFECT_DIRECTION };

  // Unprefixed keys apply to both directions and are applied first, so "up.loss=1%,loss=5%" means what it says
  // whatever the order.
  const both: Array<[string, string, string]> = [];
  const perDirection: Array<[Direction, string, string, string]> = [];
  const seen = new Set<string>();
  for (const rawField of trimmed.split(',')) {
    const field = rawField.trim();
    if (field === '') throw new LinkSpecError(rawField, 'empty field (two commas in a row, or a trailing comma)');
    const equals = field.indexOf('=');
    if (equals < 0) throw new LinkSpecError(field, 'expected key=value');
    let key = field.slice(0, equals).trim().toLowerCase();
    const value = field.slice(equals + 1).trim();
    let direction: Direction | undefined;
    if (key.startsWith('up.')) direction = 'up';
    else if (key.startsWith('down.')) direction = 'down';
    if (direction !== undefined) key = key.slice(direction.length + 1);
    if (key === 'duplicate') key = 'dup';
    if (!KEYS.has(key)) throw new LinkSpecError(field, `unknown key "${key}"`);
    const scopedKey = `${direction ?? '*'}.${key}`;
    if (key !== 'blackout' && seen.has(scopedKey)) throw new LinkSpecError(field, `"${key}" is given twice`);
    seen.add(scopedKey);
    if (direction === undefined) both.push([field, key, value]);
    else perDirection.push([direction, field, key, value]);
  }

  const profiles: Record<Direction, Mutable<DirectionProfile>> = {
    up: { ...PERFECT_DIRECTION, blackouts: [] },
    down: { ...PERFECT_DIRECTION, blackouts: [] },
  };
  // A direction's own blackout list replaces the shared one; other keys simply override.
  const ownBlackouts: Record<Direction, BlackoutWindow[] | undefined> = { up: undefined, down: undefined };
  for (const [field, key, value] of both) {
    for (const direction of ['up', 'down'] as const) applyField(profiles[direction], field, key, value);
  }
  for (const [direction, field, key, value] of perDirection) {
    if (key === 'blackout') {
      (ownBlackouts[direction] ??= []).push(parseBlackout(field, value));
    } else {
      applyField(profiles[direction], field, key, value);
    }
  }
  for (const direction of ['up', 'down'] as const) {
    const own = ownBlackouts[direction];
    if (own !== undefined) profiles[direction].blackouts = own;
    try {
      validateDirectionProfile(profiles[direction], `link spec (${direction})`);
    } catch (error) {
      throw new LinkSpecError(trimmed, (error as Error).message);
    }
  }
  return { up: profiles.up, down: profiles.down };
}

const KEYS = new Set(['delay', 'jitter', 'loss', 'burst', 'reorder', 'reorder-delay', 'dup', 'rate', 'queue', 'blackout']);

function applyField(profile: Mutable<DirectionProfile>, field: string, key: string, value: string): void {
  switch (key) {
    case 'delay':
      profile.delayMs = parseTime(field, value);
      return;
    case 'jitter':
      profile.jitterMs = parseTime(field, value);
      return;
    case 'loss':
      profile.loss = parseProbability(field, value);
      return;
    case 'burst':
      profile.burst = isNone(value) ? undefined : parseBurst(field, value);
      return;
    case 'reorder':
      profile.reorder = parseProbability(field, value);
      return;
    case 'reorder-delay':
      profile.reorderDelayMs = parseTime(field, value);
      return;
    case 'dup':
      profile.duplicate = parseProbability(field, value);
      return;
    case 'rate':
      profile.rateBytesPerSecond = isNone(value) ? undefined : parseRate(field, value);
      return;
    case 'queue':
      profile.queue = parseQueue(field, value);
      return;
    case 'blackout':
      profile.blackouts = [...profile.blackouts, parseBlackout(field, value)];
      return;
  }
}

/** "none" switches an impairment off, e.g. "rate=1mbit,down.rate=none". */
function isNone(value: string): boolean {
  return value.toLowerCase() === 'none';
}

function splitNumber(field: string, value: string, what: string): [number, string] {
  const match = NUMBER_WITH_UNIT.exec(value);
  if (match === null) throw new LinkSpecError(field, `expected ${what}, got "${value}"`);
  return [Number(match[1]), match[2]!.trim()];
}

function parseTime(field: string, value: string): number {
  const [amount, unit] = splitNumber(field, value, 'a time such as 150ms or 2s');
  if (unit === '') throw new LinkSpecError(field, `a time needs a unit: write ${amount}ms or ${amount}s`);
  const scale = TIME_UNITS_MS[unit.toLowerCase()];
  if (scale === undefined) throw new LinkSpecError(field, `unknown time unit "${unit}" (use ms, s or m)`);
  const ms = amount * scale;
  if (!(ms >= 0 && Number.isFinite(ms))) throw new LinkSpecError(field, 'a time must be ≥ 0');
  return ms;
}

function parseProbability(field: string, value: string): number {
  const [amount, unit] = splitNumber(field, value, 'a probability such as 10% or 0.1');
  let probability: number;
  if (unit === '%') probability = amount / 100;
  else if (unit === '') probability = amount;
  else throw new LinkSpecError(field, `a probability is written 10% or 0.1, not "${value}"`);
  if (!(probability >= 0 && probability <= 1)) {
    throw new LinkSpecError(
      field,
      unit === '' && amount > 1
        ? `a bare probability must be in [0, 1]; did you mean ${amount}%?`
        : 'a probability must be between 0% and 100%',
    );
  }
  return probability;
}

function parseRate(field: string, value: string): number {
  const [amount, unit] = splitNumber(field, value, 'a rate such as 1mbit or 100kB/s');
  const lower = unit.toLowerCase();
  // "kbps" means kilobits to some tools and kilobytes to tc, and "Mb/s" usually means megabits: refuse to guess.
  // Bytes per second are spelled with a capital B ("100kB/s"); past that check the unit table ignores case.
  const ambiguous = /^([kmg]?)(?:bps|b\/s)$/i.exec(unit);
  if (ambiguous !== null && !unit.endsWith('B/s')) {
    const prefix = ambiguous[1]!.toLowerCase();
    const bytePrefix = prefix === 'k' ? 'k' : prefix.toUpperCase();
    throw new LinkSpecError(field, `"${unit}" is ambiguous: write bits as ${amount}${prefix}bit or bytes as ${amount}${bytePrefix}B/s (capital B)`);
  }
  if (unit === '') throw new LinkSpecError(field, `a rate needs a unit: write ${amount}kbit or ${amount}kB/s`);
  const scale = RATE_UNITS_BYTES_PER_SECOND[lower];
  if (scale === undefined) throw new LinkSpecError(field, `unknown rate unit "${unit}" (bit, kbit, mbit, gbit, B/s, kB/s, MB/s)`);
  const rate = amount * scale;
  if (!(rate > 0 && Number.isFinite(rate))) throw new LinkSpecError(field, 'a rate must be > 0');
  return rate;
}

function parseQueue(field: string, value: string): QueueLimit {
  const [amount, unit] = splitNumber(field, value, 'a buffer size such as 64kB or a time such as 200ms');
  const lower = unit.toLowerCase();
  if (lower in TIME_UNITS_MS) return { ms: parseTime(field, value) };
  if (unit === '') throw new LinkSpecError(field, `a queue needs a unit: write ${amount}B, ${amount}kB or ${amount}ms`);
  const scale = SIZE_UNITS_BYTES[lower];
  if (scale === undefined) throw new LinkSpecError(field, `unknown size unit "${unit}" (B, kB, KiB, MB, MiB, or a time)`);
  const bytes = amount * scale;
  if (!(bytes >= 0 && Number.isFinite(bytes))) throw new LinkSpecError(field, 'a queue size must be ≥ 0');
  return { bytes };
}

function parseBurst(field: string, value: string): GilbertElliott {
  if (value.includes('/')) {
    const [lossText, lengthText, ...rest] = value.split('/');
    if (rest.length > 0) throw new LinkSpecError(field, 'expected burst=MEANLOSS/MEANLENGTH, e.g. burst=10%/4');
    const meanLoss = parseProbability(field, lossText!.trim());
    const [length, unit] = splitNumber(field, lengthText!.trim(), 'a mean burst length in datagrams, e.g. 4');
    if (unit !== '') throw new LinkSpecError(field, `a burst length is a count of datagrams, not "${lengthText}"`);
    if (!(length >= 1)) throw new LinkSpecError(field, 'a mean burst length must be ≥ 1 datagram');
    if (meanLoss >= 1) throw new LinkSpecError(field, 'a bursty mean loss must be below 100%');
    try {
      return burstLoss(meanLoss, length);
    } catch (error) {
      throw new LinkSpecError(field, (error as Error).message);
    }
  }
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 4) {
    throw new LinkSpecError(field, 'expected burst=MEANLOSS/MEANLENGTH (e.g. 10%/4) or burst=P:R[:BAD[:GOOD]] (e.g. 1%:25%)');
  }
  const [enterBad, exitBad, lossInBad, lossInGood] = parts.map((part) => parseProbability(field, part.trim()));
  return { enterBad: enterBad!, exitBad: exitBad!, lossInBad: lossInBad ?? 1, lossInGood: lossInGood ?? 0 };
}

function parseBlackout(field: string, value: string): BlackoutWindow {
  const match = /^([^@]+)@([^/]+)(?:\/(.+))?$/.exec(value);
  if (match === null) throw new LinkSpecError(field, 'expected blackout=DURATION@START[/PERIOD], e.g. blackout=2s@5s');
  const duration = parseTime(field, match[1]!.trim());
  const startMs = parseTime(field, match[2]!.trim());
  const window: Mutable<BlackoutWindow> = { startMs, endMs: startMs + duration };
  if (match[3] !== undefined) {
    const everyMs = parseTime(field, match[3].trim());
    if (!(everyMs > 0 && everyMs >= duration)) {
      throw new LinkSpecError(field, 'a repeating blackout needs a period > 0 and at least as long as the outage');
    }
    window.everyMs = everyMs;
  }
  return window;
}

/**
 * A spec that parses back to exactly `profile`. Fields equal to the perfect link's are left out; fields equal in
 * both directions are written once.
 */
export function formatLinkSpec(profile: LinkProfile): string {
  const up = directionFields(profile.up);
  const down = directionFields(profile.down);
  const fields: string[] = [];
  const keys = new Set([...up.keys(), ...down.keys()]);
  for (const key of FIELD_ORDER) {
    if (!keys.has(key)) continue;
    const upValue = up.get(key);
    const downValue = down.get(key);
    if (upValue === downValue) {
      if (upValue !== undefined) fields.push(...withKey(key, upValue));
    } else {
      fields.push(...withKey(`up.${key}`, upValue ?? defaultFieldValue(key)));
      fields.push(...withKey(`down.${key}`, downValue ?? defaultFieldValue(key)));
    }
  }
  return fields.join(',');
}

const FIELD_ORDER = ['delay', 'jitter', 'loss', 'burst', 'reorder', 'reorder-delay', 'dup', 'rate', 'queue', 'blackout'];

/** A blackout value may hold several windows, joined with '|' inside this module, written as repeated keys. */
function withKey(key: string, value: string): string[] {
  if (value === '') return [];
  return value.split('|').map((part) => `${key}=${part}`);
}

function defaultFieldValue(key: string): string {
  return directionFields(PERFECT_DIRECTION, true).get(key) ?? '';
}

function directionFields(p: DirectionProfile, includeDefaults = false): Map<string, string> {
  const fields = new Map<string, string>();
  const put = (key: string, value: string, isDefault: boolean): void => {
    if (includeDefaults || !isDefault) fields.set(key, value);
  };
  put('delay', formatTime(p.delayMs), p.delayMs === 0);
  put('jitter', formatTime(p.jitterMs), p.jitterMs === 0);
  put('loss', formatProbability(p.loss), p.loss === 0);
  put('burst', p.burst === undefined ? 'none' : formatBurst(p.burst), p.burst === undefined);
  put('reorder', formatProbability(p.reorder), p.reorder === 0);
  put('reorder-delay', formatTime(p.reorderDelayMs), p.reorderDelayMs === PERFECT_DIRECTION.reorderDelayMs);
  put('dup', formatProbability(p.duplicate), p.duplicate === 0);
  put('rate', p.rateBytesPerSecond === undefined ? 'none' : formatRate(p.rateBytesPerSecond), p.rateBytesPerSecond === undefined);
  const defaultQueue = 'ms' in p.queue && 'ms' in DEFAULT_QUEUE && p.queue.ms === DEFAULT_QUEUE.ms;
  put('queue', 'bytes' in p.queue ? `${p.queue.bytes}B` : formatTime(p.queue.ms), defaultQueue);
  put('blackout', p.blackouts.map(formatBlackout).join('|'), p.blackouts.length === 0);
  return fields;
}

function formatTime(ms: number): string {
  return Number.isInteger(ms) && ms !== 0 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The shortest "10%" that reads back exactly (0.29 is 28.999999999999996 × 100), else the exact decimal. */
function formatProbability(probability: number): string {
  for (let digits = 0; digits <= 15; digits++) {
    const percent = Number((probability * 100).toFixed(digits));
    if (percent / 100 === probability) return `${percent}%`;
  }
  return String(probability);
}

/** "10%/4" when Gilbert's two-number form reproduces the chain exactly, else all four probabilities. */
function formatBurst(ge: GilbertElliott): string {
  if (ge.lossInBad === 1 && ge.lossInGood === 0 && ge.exitBad > 0) {
    const meanLoss = formatProbability(ge.enterBad / (ge.enterBad + ge.exitBad));
    for (let digits = 0; digits <= 15; digits++) {
      const length = Number((1 / ge.exitBad).toFixed(digits));
      const candidate = `${meanLoss}/${length}`;
      try {
        const parsed = parseBurst('burst', candidate);
        if (parsed.enterBad === ge.enterBad && parsed.exitBad === ge.exitBad) return candidate;
      } catch {
        break; // out of the short form's range (a mean loss of 100%, a length below 1): use the long form
      }
    }
  }
  return [ge.enterBad, ge.exitBad, ge.lossInBad, ge.lossInGood].map(formatProbability).join(':');
}

function formatRate(bytesPerSecond: number): string {
  for (const [unit, scale] of [['mbit', 1_000_000 / 8], ['kbit', 1000 / 8], ['bit', 1 / 8]] as const) {
    const amount = bytesPerSecond / scale;
    if (amount >= 1 && amount * scale === bytesPerSecond) return `${amount}${unit}`;
  }
  return `${bytesPerSecond}B/s`;
}

function formatBlackout(window: BlackoutWindow): string {
  const base = `${formatTime(window.endMs - window.startMs)}@${formatTime(window.startMs)}`;
  return window.everyMs === undefined ? base : `${base}/${formatTime(window.everyMs)}`;
}
