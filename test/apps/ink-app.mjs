#!/usr/bin/env node
// A small Ink (React) app that redraws the way Claude Code does: Ink erases its previous output lines and rewrites
// them on every state change. It is driven by keys, not timers, so tests can stop it at known frames:
//   n  next step (adds a task line, advances the counter, changes colours)
//   w  toggle a wide-character / emoji line
//   q  quit
// Like Claude Code it first asks the terminal about the kitty keyboard protocol (`CSI ? u`, with DA1 as a sentinel,
// which every terminal answers), shows the answer, and then pushes kitty flags through Ink for its lifetime.
import React, { useState } from 'react';
import { render, Box, Text, useApp, useInput } from 'ink';

const h = React.createElement;
const tasks = ['Read the design', 'Write the mirror', 'Snapshot the screen', 'Diff two states', 'Render the escape bytes', 'Compare cell for cell'];
const colors = ['green', 'yellow', 'cyan', 'magenta', 'red', 'blue'];

/** Sends the kitty query plus DA1 and resolves with the reply text (both answers). */
function askTerminal() {
  return new Promise((resolve) => {
    process.stdin.setRawMode(true);
    let reply = '';
    const onData = (data) => {
      reply += data.toString('latin1');
      if (/\x1b\[\?[\d;]*c/.test(reply)) {
        process.stdin.off('data', onData);
        process.stdin.pause();
        resolve(reply);
      }
    };
    process.stdin.on('data', onData);
    process.stdout.write('\x1b[?u\x1b[c');
  });
}

const reply = await askTerminal();
const kitty = /\x1b\[\?(\d+)u/.exec(reply);
const kittyAnswer = kitty ? `kitty flags ${kitty[1]}` : 'no kitty answer';

function App() {
  const { exit } = useApp();
  const [step, setStep] = useState(0);
  const [wide, setWide] = useState(false);
  useInput((input) => {
    if (input === 'n') setStep((s) => Math.min(s + 1, tasks.length));
    if (input === 'w') setWide((w) => !w);
    if (input === 'q') exit();
  });
  return h(
    Box,
    { flexDirection: 'column', borderStyle: 'round', borderColor: colors[step % colors.length], paddingX: 1 },
    h(Text, { bold: true }, 'tsmosh ink fixture ', h(Text, { color: '#ff8800' }, `step ${step}/${tasks.length}`)),
    ...tasks.slice(0, step).map((task, i) =>
      h(
        Text,
        { key: task },
        h(Text, { color: i === step - 1 ? 'yellow' : 'green' }, i === step - 1 ? '⏺ ' : '✔ '),
        h(Text, { dimColor: i < step - 1, underline: i === step - 1 }, task),
      ),
    ),
    wide ? h(Text, { backgroundColor: 'blue', color: 'white' }, '宽字符 😀 ⚡ mixed widths') : null,
    h(Text, { inverse: true }, ` ${step === tasks.length ? 'done' : 'working'} `),
    h(Text, { italic: true, color: 'gray' }, 'keys: n next, w wide, q quit'),
    h(Text, null, `terminal: ${kittyAnswer}`),
  );
}

const app = render(h(App), { kittyKeyboard: { mode: 'enabled', flags: ['disambiguateEscapeCodes', 'reportAlternateKeys'] } });
await app.waitUntilExit();
process.stdout.write('ink app exited\n');
