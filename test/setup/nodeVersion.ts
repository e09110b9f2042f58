// Says which Node ran the suite: vitest itself, and the `node` on PATH that the spawned CLIs
// (tsx scripts) run on. In CI the two must agree, or a run meant for one Node line tests another.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

export function setup() {
  const onPath = spawnSync('node', ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'none';
  console.log(`tests run on Node ${process.version} (${process.execPath}); node on PATH: ${onPath}`);
  if (process.env.CI === 'true' && onPath !== process.version) {
    throw new Error(`vitest runs on Node ${process.version} but the node on PATH is ${onPath}: put ${dirname(process.execPath)} first on PATH`);
  }
}
