/**
 * Writes the typing traces in bench/traces/ from fixed seeds: `node bench/dist/lossy/make-traces.js`. Run it only to
 * change the traces; the JSON files are the data every benchmark run replays.
 *
 * Pace: within a word 80–250 ms between keys (about 6 keys/s, a practised typist), 300–900 ms between words of
 * thought, 0.8–2.5 s of reading after a command's output. Typos: 5 % of letters are first typed as a neighbouring
 * key, noticed after 150–400 ms and erased with a backspace.
 */
import { writeFileSync } from 'node:fs';
import { SeededRandom } from '@tsmosh/netem';
import { TRACES_DIR, type Trace, type TraceEvent } from './trace.js';

const NEIGHBOURS = 'qwertyuiopasdfghjklzxcvbnm';
const TYPO_RATE = 0.05;

class Typist {
  readonly events: TraceEvent[] = [];
  constructor(private readonly random: SeededRandom) {}

  private between(low: number, high: number): number {
    return Math.round(low + this.random.nextFloat() * (high - low));
  }

  /** Human-paced text with occasional typos fixed by backspace. */
  text(text: string, firstGapMs?: number): void {
    let first = true;
    for (const char of text) {
      const gap = first && firstGapMs !== undefined ? firstGapMs : char === ' ' ? this.between(120, 400) : this.between(80, 250);
      first = false;
      if (/[a-z]/.test(char) && this.random.nextFloat() < TYPO_RATE) {
        const index = NEIGHBOURS.indexOf(char);
        const wrong = NEIGHBOURS[(index + 1) % NEIGHBOURS.length]!;
        this.events.push({ key: wrong, gapMs: gap, kind: 'typing' });
        this.events.push({ key: '\x7f', gapMs: this.between(150, 400), kind: 'typing' });
        this.events.push({ key: char, gapMs: this.between(80, 200), kind: 'typing' });
      } else {
        this.events.push({ key: char, gapMs: gap, kind: 'typing' });
      }
    }
  }

  key(key: string, kind: TraceEvent['kind'], wait: boolean, gapMs?: number): void {
    this.events.push({ key, gapMs: gapMs ?? this.between(150, 500), kind, ...(wait ? { wait: true } : {}) });
  }

  think(): number {
    return this.between(800, 2500);
  }
}

/** Commands whose output is the same on every run and in every system (no clock, no pid, no cwd). */
const SHELL_COMMANDS = [
  'echo $((6*7))',
  'printf "%s\\n" red green blue',
  'seq 3 6',
  'echo tsmosh | tr a-z A-Z',
  'expr 12345 + 678',
  'echo one two three | wc -w',
  'printf "%05d\\n" 42',
  'echo abc | rev',
  'seq -s , 1 9',
  'echo $((1 << 20))',
  'printf "%x\\n" 48879',
  'echo lossy link | cut -c 1-5',
  'echo $((123 * 456))',
  'seq 10 10 50 | paste -sd+',
  'echo ok',
];

function shellTrace(): Trace {
  const typist = new Typist(new SeededRandom(7001));
  for (const command of SHELL_COMMANDS) {
    typist.text(command, typist.think());
    typist.key('\r', 'enter', true);
  }
  return {
    name: 'shell',
    description: `${SHELL_COMMANDS.length} short commands typed into bash at human pace, with typos fixed by backspace; each Enter waits for the output`,
    command: ['bash', '--norc', '--noprofile'],
    ignoreRows: [],
    setup: 'clear; echo "tsmosh bench: shell"\r',
    events: typist.events,
  };
}

function vimTrace(): Trace {
  const typist = new Typist(new SeededRandom(7002));
  // The file lives in a folder of its own, removed when the session ends (the bench ends it with SIGHUP or SIGTERM):
  // under ssh the command runs in sshd's environment, without the bench's run folder. A relative name keeps vim's
  // message row the same in every run and system.
  const file = 'tsmosh-bench-vim.txt';
  typist.key('G', 'navigation', true, 1200);
  typist.key('o', 'navigation', true);
  typist.text('The quick brown fox jumps over the lazy dog.', 600);
  typist.key('\x1b', 'navigation', true);
  typist.key('o', 'navigation', true);
  typist.text('Mosh keeps the session alive when the link is bad.', 600);
  typist.key('\x1b', 'navigation', true);
  for (const key of ['k', '0', 'w', 'w', 'w', 'x', 'x', 'j', '$', 'b', 'b']) typist.key(key, 'navigation', true, typist.events.length % 3 === 0 ? 400 : 220);
  typist.key('i', 'navigation', true);
  typist.text('very ', 400);
  typist.key('\x1b', 'navigation', true);
  typist.key('u', 'navigation', true, 700);
  typist.key('A', 'navigation', true, 500);
  typist.text(' Done.', 300);
  typist.key('\x1b', 'navigation', true);
  return {
    name: 'vim',
    description: 'a vim session: open lines and type prose (insert mode), then move around, delete, undo and append (normal mode waits for each effect)',
    command: ['sh', '-c', `d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; trap exit HUP TERM; cd "$d" && printf "# tsmosh bench file\\n\\n" > ${file} && vim -u NONE -N -i NONE -n ${file}`],
    ignoreRows: [],
    // `u` reports how long ago the undone change was made ("1 line less; before #3  2 seconds ago"): over a slow link
    // the replay's seconds differ from the reference run's, the screen never matched, and the key waited out the
    // replay's 60 s bound. The message's row is compared without that count.
    compare: { maskPatterns: [' \\d+ seconds? ago$'] },
    // Ctrl-L: vim redraws the whole screen, whatever the client drew first.
    setup: '\x0c',
    events: typist.events,
  };
}

function inkTrace(): Trace {
  const typist = new Typist(new SeededRandom(7003));
  for (const line of ['deploy staging', 'run the tests', 'show me the diff', 'commit it']) {
    typist.text(line, typist.think());
    typist.key('\r', 'enter', true);
  }
  return {
    name: 'ink',
    description: 'an Ink-style app (full redraw every 100 ms with a spinner, like a CLI agent): type prompts, Enter shows a computed answer',
    command: ['node', '{ink}'],
    ignoreRows: [],
    // The character count under the box is the app's own bookkeeping, which no predictor draws (mosh's neither):
    // compared, it would hide every right guess of the prompt line until the echo.
    compare: { ignorePatterns: ['^  \\d+ chars · enter to send$'] },
    setup: '',
    events: typist.events,
  };
}

/**
 * The real Claude Code in `tmux new -A -s cc` (claude-session.ts), each answer streamed by the stand-in for about
 * 15 s: a prompt typed while nothing streams and submitted (Enter waits until the prompt box is cleared, the answer
 * starting); the next prompt typed while that answer streams and submitted once it has ended; Ctrl-C on the empty
 * prompt while the second answer streams (it interrupts); a prompt typed after the interruption and submitted; a
 * last prompt typed while the third answer streams, left unsent. Every Enter reaches Claude Code after the previous
 * answer has ended or was interrupted, whatever the link's delay: Claude Code queues a prompt submitted while an
 * answer streams, and interrupts and then submits when Ctrl-C and Enter come close together, so those would change
 * its screens with the link. Prompts stay under 70 characters (one row of the box).
 */
function claudeTrace(): Trace {
  const typist = new Typist(new SeededRandom(7004));
  typist.text('explain how mosh predicts local echo', 1500);
  typist.key('\r', 'enter', true, 600);
  typist.text('and what happens when packets are lost', 2500);
  // The answer streams for 15 s from its Enter; the typing above ends about 11 s in: read the rest, then send.
  typist.key('\r', 'enter', true, 8000);
  typist.key('\x03', 'navigation', false, 2000);
  typist.text('give me a shorter answer please', 1500);
  typist.key('\r', 'enter', true, 700);
  typist.text('now compare it with ssh over the same link', 3000);
  return {
    name: 'claude',
    description: 'the real Claude Code in tmux new -A -s cc: prompts typed at human pace (while an answer streams, and while none does), submitted, answers interrupted with Ctrl-C',
    command: ['node', '{claude}'],
    ignoreRows: [],
    compare: {
      // The prompt box: from the rule above the last prompt row ("❯ …") to the bottom of the screen.
      region: { anchor: '^❯', offset: -1 },
      // The status line under the box: its hints come and go as typing starts and answers stream.
      ignorePatterns: ['^  ⏵⏵ auto mode on \\(shift\\+tab to cycle\\)( · [^·]+)*$'],
    },
    referenceKeepsPace: true,
    setup: '',
    events: typist.events,
  };
}

for (const trace of [shellTrace(), vimTrace(), inkTrace(), claudeTrace()]) {
  writeFileSync(`${TRACES_DIR}${trace.name}.json`, `${JSON.stringify(trace, null, 1)}\n`);
  process.stdout.write(`bench/traces/${trace.name}.json: ${trace.events.length} keys\n`);
}
