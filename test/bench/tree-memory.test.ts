import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SAMPLER = path.join(__dirname, 'tree-memory.cjs');
const exited = (child: ReturnType<typeof spawn>) => new Promise(resolve => child.on('exit', resolve));

describe('the benchmark\'s memory sampler (tree-memory.cjs)', () => {
  test('adds up the processes under the root, alive at once; the root itself is left out', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tree-memory-')), 'peak');
    const holder = (mb: number) => JSON.stringify(`const b = Buffer.alloc(${mb} * 1024 * 1024, 1); setTimeout(() => b.length, 600);`);
    // The root (the benchmark, in use) holds 150 MB and starts two processes holding 100 and 60 MB.
    const root = spawn(process.execPath, ['-e', `const b = Buffer.alloc(150 * 1024 * 1024, 1);
      const { spawn } = require('node:child_process');
      for (const code of [${holder(100)}, ${holder(60)}]) spawn(process.execPath, ['-e', code]);
      setTimeout(() => b.length, 700);`]);
    const sampler = spawn(process.execPath, [SAMPLER, String(root.pid), file, '50']);
    await exited(root);
    sampler.kill();
    await exited(sampler);
    const peakMiB = Number(fs.readFileSync(file, 'utf8')) / 1024;
    expect(peakMiB).toBeGreaterThan(160);
    expect(peakMiB).toBeLessThan(150 + 160);
    // Which processes held it: the two children, largest first, by command line.
    const processes = fs.readFileSync(`${file}.processes`, 'utf8').split('\n');
    expect(processes).toHaveLength(2);
    expect(processes[0]).toMatch(/^\d+ .*node -e const b = Buffer.alloc\(100 /);
    expect(processes[1]).toMatch(/^\d+ .*node -e const b = Buffer.alloc\(60 /);
  });
});
