import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ScreenRule, ScreenSnapshot } from './screen.js';
import type { KeyKind } from './trace.js';
import { detectWrongGuesses, type ScreenChange, type WrongGuessInput } from './wrong-guesses.js';

/** A 24-row screen: row 0 a banner (never compared), then `lines`, cursor at (x, y). */
function screen(lines: readonly string[], cursorX: number, cursorY = lines.length, row0 = 'banner'): ScreenSnapshot {
  const rows = [row0, ...lines];
  while (rows.length < 24) rows.push('');
  return { rows, cursorX, cursorY };
}
/** A shell prompt line holding `text`, the cursor after it. */
const prompt = (text: string, above: readonly string[] = []): ScreenSnapshot => screen([...above, `$ ${text}`], 2 + text.length, 1 + above.length);

/** One scripted session: keys (what the reference run showed after each), when they were typed and shown, what the client drew. */
function run(options: {
  initial: ScreenSnapshot;
  keys: ReadonlyArray<{ kind?: KeyKind; after: ScreenSnapshot; sentAt: number; shownAt: number | undefined }>;
  changes: ReadonlyArray<[number, ScreenSnapshot]>;
  rttMs?: number;
  ignoreRows?: number[];
  screenRule?: ScreenRule;
}): ReturnType<typeof detectWrongGuesses> {
  let previous = options.initial;
  const invisible = options.keys.map((k) => {
    const same = JSON.stringify(k.after) === JSON.stringify(previous);
    previous = k.after;
    return same;
  });
  const input: WrongGuessInput = {
    kinds: options.keys.map((k) => k.kind ?? 'typing'),
    initial: options.initial,
    afterKey: options.keys.map((k) => k.after),
    invisible,
    screenRule: options.screenRule ?? { ignoreRows: options.ignoreRows ?? [] },
    sentAt: options.keys.map((k) => k.sentAt),
    shownAt: options.keys.map((k) => k.shownAt),
    changes: options.changes.map(([at, s]): ScreenChange => ({ at, screen: s })),
    rttMs: options.rttMs ?? 300,
  };
  return detectWrongGuesses(input);
}

describe('detectWrongGuesses', () => {
  it('finds nothing wrong in correct predictions shown at once, and counts them as shown before the echo', () => {
    const report = run({
      initial: prompt(''),
      keys: [
        { after: prompt('l'), sentAt: 1000, shownAt: 1001 },
        { after: prompt('ls'), sentAt: 1150, shownAt: 1151 },
      ],
      // Predictions at once; the echoes (1300, 1450) change nothing on screen, so they are no change at all.
      changes: [
        [1001, prompt('l')],
        [1151, prompt('ls')],
      ],
    });
    expect(report).toMatchObject({ judgedKeys: 2, shownBeforeEcho: 2, episodes: [], wrongKeys: 0, guessedKeys: 2, erasedShare: 0 });
  });

  it('counts a wrong prediction that the echo erased: one episode, the key involved, its share of the guesses', () => {
    // The program upper-cases what is typed: the client guesses "x", the echo says "X".
    const report = run({
      initial: prompt('a'),
      keys: [
        { after: prompt('ab'), sentAt: 1000, shownAt: 1001 },
        { after: prompt('abX'), sentAt: 1100, shownAt: 1402 },
      ],
      changes: [
        [1001, prompt('ab')],
        [1101, prompt('abx')],
        [1402, prompt('abX')],
      ],
    });
    expect(report.episodes).toHaveLength(1);
    expect(report.episodes[0]).toMatchObject({ startAt: 1101, endAt: 1402, keys: [1], cursorOnly: false });
    expect(report.episodes[0]!.screen.rows[1]).toBe('$ abx');
    expect(report).toMatchObject({ shownBeforeEcho: 1, wrongKeys: 1, guessedKeys: 2, erasedShare: 0.5 });
  });

  it('accepts a late echo going back to an older screen of the run (a typo and its backspace), and the screen before the run', () => {
    const report = run({
      initial: prompt(''),
      keys: [
        { after: prompt('q'), sentAt: 1000, shownAt: 1310 },
        { after: prompt(''), sentAt: 1100, shownAt: 1410 },
        { after: prompt('w'), sentAt: 1200, shownAt: 1510 },
      ],
      // Slow echoes, one by one: "q", back to the empty prompt, "w".
      changes: [
        [1310, prompt('q')],
        [1410, prompt('')],
        [1510, prompt('w')],
      ],
    });
    expect(report).toMatchObject({ episodes: [], shownBeforeEcho: 0, guessedKeys: 0 });
    expect(report.erasedShare).toBeNaN();
  });

  it('does not judge command output after Enter, nor a run after a key whose output never appeared', () => {
    const listing = ['$ ls', 'a.txt  b.txt'];
    const report = run({
      initial: prompt(''),
      keys: [
        { after: prompt('l'), sentAt: 1000, shownAt: 1001 },
        { after: prompt('ls'), sentAt: 1100, shownAt: 1101 },
        { kind: 'enter', after: prompt('', listing), sentAt: 1200, shownAt: 1520 },
        { after: prompt('e', listing), sentAt: 2500, shownAt: 2501 },
        { kind: 'enter', after: prompt('', [...listing, '$ e', 'e: command not found']), sentAt: 2600, shownAt: undefined },
        // The Enter's output never came (the run gave up waiting): the next run's screens prove nothing.
        { after: prompt('z', [...listing, '$ e', 'e: command not found']), sentAt: 70_000, shownAt: undefined },
      ],
      changes: [
        [1001, prompt('l')],
        [1101, prompt('ls')],
        // Output arriving in pieces after Enter: screens no key's reference holds.
        [1510, screen(['$ ls', 'a.txt'], 5, 2)],
        [1520, prompt('', listing)],
        [2501, prompt('e', listing)],
        [70_001, screen(['something else entirely'], 0, 2)],
      ],
    });
    expect(report.episodes).toEqual([]);
    expect(report).toMatchObject({ judgedKeys: 3, unjudgedRuns: 1, shownBeforeEcho: 3 });
  });

  it('at a password prompt: nothing shown is right; a shown guess is a wrong one', () => {
    const asked = screen(['Password:'], 10, 1);
    const keys = [...'secret'].map((_, i) => ({ after: asked, sentAt: 1000 + 100 * i, shownAt: 1000 + 100 * i }));
    const silent = run({ initial: asked, keys, changes: [] });
    expect(silent).toMatchObject({ judgedKeys: 6, episodes: [], shownBeforeEcho: 0, guessedKeys: 0 });
    expect(silent.erasedShare).toBeNaN();

    // A client that echoes locally: "s", "se" on screen, erased when the server's screen (no echo) comes back.
    const leaky = run({
      initial: asked,
      keys,
      changes: [
        [1001, screen(['Password: s'], 11, 1)],
        [1101, screen(['Password: se'], 12, 1)],
        [1310, asked],
      ],
    });
    expect(leaky.episodes).toHaveLength(1);
    // The keys typed before the right screen came back were all involved, though each counts as shown when typed.
    expect(leaky.episodes[0]).toMatchObject({ startAt: 1001, endAt: 1310, cursorOnly: false, keys: [0, 1, 2, 3] });
    expect(leaky).toMatchObject({ wrongKeys: 4, guessedKeys: 4, erasedShare: 1 });
  });

  it('tells a cursor-only wrong screen apart, and ignores the rows the trace ignores', () => {
    const report = run({
      initial: prompt(''),
      ignoreRows: [5],
      keys: [{ after: prompt('a'), sentAt: 1000, shownAt: 1400 }],
      changes: [
        [1001, { ...prompt('a'), cursorX: 2 }],
        [1200, { ...prompt(''), rows: prompt('').rows.map((r, y) => (y === 5 ? 'spinner ⠋' : r)) }],
        [1400, prompt('a')],
      ],
    });
    expect(report.episodes).toHaveLength(1);
    expect(report.episodes[0]).toMatchObject({ startAt: 1001, endAt: 1200, keys: [0], cursorOnly: true });
  });

  it('leaves an episode open when the run ends on a wrong screen, and involves the keys typed until then', () => {
    const report = run({
      initial: prompt(''),
      keys: [
        { after: prompt('a'), sentAt: 1000, shownAt: 1001 },
        { after: prompt('aB'), sentAt: 1100, shownAt: undefined },
        { after: prompt('aBC'), sentAt: 1200, shownAt: undefined },
        { kind: 'enter', after: prompt('', ['$ aBC']), sentAt: 1300, shownAt: 1700 },
      ],
      changes: [
        [1001, prompt('a')],
        [1101, prompt('ab')],
        [1201, prompt('abc')],
        [1700, prompt('', ['$ aBC'])],
      ],
    });
    expect(report.episodes).toHaveLength(1);
    expect(report.episodes[0]).toMatchObject({ startAt: 1101, endAt: undefined, keys: [1, 2] });
    expect(report).toMatchObject({ shownBeforeEcho: 1, wrongKeys: 2, guessedKeys: 3 });
  });

  it('on a link without delay, counts episodes but defines no share', () => {
    const report = run({
      initial: prompt(''),
      rttMs: 0,
      keys: [{ after: prompt('a'), sentAt: 1000, shownAt: 1010 }],
      changes: [
        [1001, prompt('x')],
        [1010, prompt('a')],
      ],
    });
    expect(report).toMatchObject({ shownBeforeEcho: 0, wrongKeys: 1 });
    expect(report.episodes).toHaveLength(1);
    expect(report.erasedShare).toBeNaN();
  });

  it('property: screens drawn only from the run so far are never wrong; each block of foreign screens is one episode', () => {
    const text = fc.array(fc.constantFrom('a', 'b', '\x7f'), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(text, fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 30 }), (keys, draws) => {
        let line = '';
        const afters = keys.map((key) => prompt((line = key === '\x7f' ? line.slice(0, -1) : line + key)));
        const sentAt = keys.map((_, i) => 1000 + 100 * i);
        // Each draw: a moment, and either a screen of a key already typed or a foreign one ("#" is never typed).
        let at = 1000;
        let foreignBlocks = 0;
        let inForeign = false;
        const changes: Array<[number, ScreenSnapshot]> = [];
        for (const [pick, foreign] of draws) {
          at += 1 + (pick % 60);
          const typedKeys = sentAt.filter((s) => s <= at).length;
          if (foreign) {
            if (!inForeign) foreignBlocks++;
            inForeign = true;
            changes.push([at, prompt(`#${pick}`)]);
          } else {
            inForeign = false;
            const choices = [prompt(''), ...afters.slice(0, typedKeys)];
            changes.push([at, choices[pick % choices.length]!]);
          }
        }
        const report = run({ initial: prompt(''), keys: afters.map((after, i) => ({ after, sentAt: sentAt[i]!, shownAt: undefined })), changes });
        expect(report.episodes).toHaveLength(foreignBlocks);
        expect(report.episodes.every((e) => !e.cursorOnly)).toBe(true);
      }),
    );
  });

  describe('with a prompt-box rule (the claude trace: only the box is compared, the status line in its known forms)', () => {
    const rule: ScreenRule = { region: { anchor: '^❯', offset: -1 }, ignorePatterns: ['^  ⏵⏵ auto mode on \\(shift\\+tab to cycle\\)( · [^·]+)*$'] };
    const rule80 = '─'.repeat(80);
    /** Claude Code's screen: `answer` lines streaming above the box, the prompt holding `text`, a status line. */
    const claude = (answer: readonly string[], text: string, status = '  ⏵⏵ auto mode on (shift+tab to cycle)'): ScreenSnapshot => {
      const rows = ['', ...answer];
      while (rows.length < 20) rows.push('');
      rows.push(rule80, `❯ ${text}`, rule80, status);
      return { rows: rows.slice(-24), cursorX: 2 + text.length, cursorY: 21 };
    };
    const streaming = (n: number): string[] => Array.from({ length: n }, (_, i) => `  line ${i} of the answer`);

    it('passes the answer streaming above the box and the status line changing while the prompt is typed', () => {
      const report = run({
        screenRule: rule,
        initial: claude([], '', '  ⏵⏵ auto mode on (shift+tab to cycle) · ← for agents'),
        keys: [
          { after: claude(streaming(2), 'h'), sentAt: 1000, shownAt: 1001 },
          { after: claude(streaming(5), 'hi'), sentAt: 1150, shownAt: 1151 },
        ],
        // The client shows each key at once, over screens whose answer and status line are at another point.
        changes: [
          [1001, claude(streaming(9), 'h', '  ⏵⏵ auto mode on (shift+tab to cycle) · esc to interrupt · ← for agents')],
          [1080, claude(streaming(12), 'h', '  ⏵⏵ auto mode on (shift+tab to cycle) · esc to interrupt')],
          [1151, claude(streaming(14), 'hi')],
          [1300, claude(streaming(30), 'hi', '  ⏵⏵ auto mode on (shift+tab to cycle) · esc to interrupt')],
        ],
      });
      expect(report).toMatchObject({ judgedKeys: 2, shownBeforeEcho: 2, episodes: [], wrongKeys: 0 });
    });

    it('still catches a wrong character in the prompt, and a guess drawn over the status line', () => {
      const report = run({
        screenRule: rule,
        initial: claude([], 'a'),
        keys: [
          { after: claude(streaming(3), 'ab'), sentAt: 1000, shownAt: 1001 },
          { after: claude(streaming(4), 'abX'), sentAt: 1100, shownAt: 1402 },
          { after: claude(streaming(6), 'abXc'), sentAt: 1500, shownAt: 1501 },
        ],
        changes: [
          [1001, claude(streaming(8), 'ab')],
          // Guessed "x" where Claude Code shows "X": wrong, though everything above the box moved too.
          [1101, claude(streaming(9), 'abx')],
          [1402, claude(streaming(10), 'abX')],
          // A guess drawn on the status row instead of at the prompt: no known form of that row.
          [1501, claude(streaming(11), 'abX', '  ⏵⏵ auto mode on (shift+tab to cycle)c')],
          [1700, claude(streaming(12), 'abXc')],
        ],
      });
      expect(report.episodes).toHaveLength(2);
      expect(report.episodes[0]).toMatchObject({ startAt: 1101, endAt: 1402, keys: [1], cursorOnly: false });
      expect(report.episodes[0]!.screen.rows[21]).toBe('❯ abx');
      expect(report.episodes[1]).toMatchObject({ startAt: 1501, endAt: 1700, keys: [2] });
    });

    it('catches a prompt box drawn on the wrong row (the anchor moved, the rows below it differ)', () => {
      const moved = claude(streaming(3), 'ab');
      // The same box one row lower, its bottom rule pushed off the screen: the box's own rows differ.
      const wrong: ScreenSnapshot = { rows: ['', ...moved.rows.slice(1, 20), '', rule80, '❯ ab', rule80], cursorX: 4, cursorY: 22 };
      const report = run({ screenRule: rule, initial: claude([], 'a'), keys: [{ after: moved, sentAt: 1000, shownAt: 1300 }], changes: [[1001, wrong], [1300, moved]] });
      expect(report.episodes).toHaveLength(1);
    });
  });
});
