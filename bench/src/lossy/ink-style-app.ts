/**
 * A stand-in for an Ink app (a CLI agent's prompt): it redraws its whole frame the way Ink's log-update does (erase
 * the previous frame's lines, write the new one, inside a synchronized-output block) on every key and every 100 ms
 * for a spinner. Typing edits the prompt line; Enter appends an answer only the app can compute. Run by the
 * benchmark as the session's program: `node bench/dist/lossy/ink-style-app.js`.
 */

/** Spinner period (ms): Ink's spinners tick every 80–120 ms. */
const FRAME_INTERVAL_MS = 100;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

let input = '';
const answers: string[] = [];
let frame = 0;
let previousLineCount = 0;

/** A number the user cannot guess from the prompt: the client cannot predict the answer line. */
function answerFor(prompt: string): string {
  let hash = 2166136261;
  for (const char of prompt) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return `✔ ${prompt} → job ${hash % 100000}`;
}

function render(): void {
  const lines = [
    `${SPINNER[frame % SPINNER.length]} ink-style app · frame ${frame}`,
    '',
    `╭${'─'.repeat(60)}╮`,
    `│ > ${input.padEnd(57)}│`,
    `╰${'─'.repeat(60)}╯`,
    `  ${input.length} chars · enter to send`,
    '',
    ...answers.slice(-8),
  ];
  const erase = previousLineCount === 0 ? '' : `\x1b[${previousLineCount - 1}A\r\x1b[J`;
  previousLineCount = lines.length;
  process.stdout.write(`\x1b[?2026h${erase}${lines.join('\r\n')}\x1b[?2026l`);
}

process.stdout.write('\x1b[2J\x1b[H\x1b[?25l');
process.stdin.setRawMode(true);
process.stdin.on('data', (chunk: Buffer) => {
  for (const char of chunk.toString('utf8')) {
    if (char === '\x03') {
      process.stdout.write('\x1b[?25h\r\n');
      process.exit(0);
    } else if (char === '\r') {
      if (input !== '') answers.push(answerFor(input));
      input = '';
    } else if (char === '\x7f') {
      input = input.slice(0, -1);
    } else if (char >= ' ') {
      input += char;
    }
  }
  render();
});
setInterval(() => {
  frame++;
  render();
}, FRAME_INTERVAL_MS);
render();
