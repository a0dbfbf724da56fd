'use strict';
/**
 * `node --cpu-prof` for the scale benchmark (test/bench/scale.ts --cpu-prof)
 * where Node.js refuses that flag in NODE_OPTIONS (Node 20 does): preloaded
 * with NODE_OPTIONS="--require <this file>", it runs V8's sampling profiler
 * (1 ms interval, as --cpu-prof) over the main thread of every process of
 * the synth (npx, the CDK CLI, tsx's launcher, the app) and writes each
 * profile on exit into the folder BENCH_CPU_PROF_DIR names, named as
 * --cpu-prof names them. Worker threads are not profiled.
 */
const dir = process.env.BENCH_CPU_PROF_DIR;
const { isMainThread } = require('node:worker_threads');

if (dir && isMainThread) {
  const fs = require('node:fs');
  const inspector = require('node:inspector');
  const path = require('node:path');
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  const started = new Date();
  process.on('exit', () => {
    // The inspector answers the main thread's session synchronously: the profile is written before the process ends.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const pad = n => String(n).padStart(2, '0');
      const day = `${started.getFullYear()}${pad(started.getMonth() + 1)}${pad(started.getDate())}`;
      const time = `${pad(started.getHours())}${pad(started.getMinutes())}${pad(started.getSeconds())}`;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `CPU.${day}.${time}.${process.pid}.0.001.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
