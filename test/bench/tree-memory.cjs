// The peak memory of a process tree: the resident memory of every process
// under <root pid> (itself and this sampler left out) added up, sampled every
// <interval> ms; the highest sum so far, in KiB, is written to <out file>
// after each sample, and the processes of that sample (largest first, as
// "<KiB> <command>" lines) to <out file>.processes. Run by the scale benchmark beside each synth it times:
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
  const processes = [];
  for (const pid of parents.keys()) {
    if (pid === String(process.pid) || !descends(pid, parents)) continue;
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!match) continue;
      total += Number(match[1]);
      processes.push({ kib: Number(match[1]), pid });
    } catch {
      // The process ended while being read.
    }
  }
  if (total > peak) {
    peak = total;
    fs.writeFileSync(outFile, String(peak));
    const lines = processes.sort((a, b) => b.kib - a.kib).map(p => `${p.kib} ${command(p.pid)}`);
    fs.writeFileSync(`${outFile}.processes`, lines.join('\n'));
  }
}

/** A process's command line, shortened (a path to its last two parts, at most 120 characters). */
function command(pid) {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(a => a !== '');
    return args.map(a => a.split('/').slice(-2).join('/')).join(' ').slice(0, 120);
  } catch {
    return '(ended)';
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
