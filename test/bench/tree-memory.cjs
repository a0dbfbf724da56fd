// The peak memory of a process tree: the resident memory of every process
// under <root pid> (itself and this sampler left out) added up, sampled every
// <interval> ms; the highest sum so far, in KiB, is written to <out file>
// after each sample. Run by the scale benchmark beside each synth it times:
// GNU time's %M is the largest single process, and a synth's processes
// (the app, esbuild's service, cfn-guard, the CDK CLI) are alive together.
// Linux only (/proc); plain JavaScript so it starts at once.
'use strict';
const fs = require('node:fs');

const [root, outFile, intervalText = '250'] = process.argv.slice(2);
const interval = Number(intervalText);
let peak = 0;

function sample() {
  const parents = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(entry, fields[1]);
    } catch {
      // The process ended while being read.
    }
  }
  let total = 0;
  for (const pid of parents.keys()) {
    if (pid === String(process.pid) || !descends(pid, parents)) continue;
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) total += Number(match[1]);
    } catch {
      // The process ended while being read.
    }
  }
  if (total > peak) {
    peak = total;
    fs.writeFileSync(outFile, String(peak));
  }
}

function descends(pid, parents) {
  for (let p = parents.get(pid); p !== undefined && p !== '0'; p = parents.get(p)) {
    if (p === root) return true;
  }
  return false;
}

sample();
setInterval(sample, interval);
