#!/usr/bin/env node
// A program that asks its terminal who it is, as Claude Code and tmux do at start-up, and shows what came back:
//   prints READY, then on each key:
//   a  asks XTVERSION, the kitty keyboard flags and DA1 (the sentinel every terminal answers), shows ANSWERS: ...
//   k  pushes kitty keyboard flags 1 (disambiguate), shows PUSHED
//   m  sets modifyOtherKeys 2, shows MODKEYS
//   q  quits (popping what it pushed)
//   anything else is shown as KEY: <bytes, ESC written as ^[>, one line per read
// With --ask-at-start it asks first thing, before READY, as a session's own command does (tmux at its start).
const show = (text) => text.replace(/\x1b/g, '^[').replace(/\r/g, '^M').replace(/\n/g, '^J');
process.stdin.setRawMode(true);
let asking = process.argv.includes('--ask-at-start');
if (asking) process.stdout.write('\x1b[>0q\x1b[?u\x1b[c');
process.stdout.write('READY\r\n');
let reply = '';
let pushed = false;
process.stdin.on('data', (data) => {
  const text = data.toString('latin1');
  if (asking) {
    reply += text;
    if (/\x1b\[\?[\d;]*c/.test(reply)) {
      asking = false;
      process.stdout.write(`ANSWERS:${show(reply)}\r\n`);
      reply = '';
    }
    return;
  }
  if (text === 'a') {
    asking = true;
    process.stdout.write('\x1b[>0q\x1b[?u\x1b[c');
  } else if (text === 'k') {
    pushed = true;
    process.stdout.write('\x1b[>1uPUSHED\r\n');
  } else if (text === 'm') {
    process.stdout.write('\x1b[>4;2mMODKEYS\r\n');
  } else if (text === 'q') {
    if (pushed) process.stdout.write('\x1b[<u');
    process.stdout.write('\x1b[>4m');
    process.exit(0);
  } else {
    process.stdout.write(`KEY:${show(text)}\r\n`);
  }
});
