/**
 * What the deliverables weigh: the single executable (build time, size, `--help` and `--version`
 * from it, beside the bundled bin on Node) and the image (build time, archive size, and the size of
 * its root filesystem as umoci unpacks it).
 *
 *   npm run build && npx tsx bench/packaging.bench.ts [--runs 10]     (needs buildah and umoci)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../packaging/image.js';
import { buildSingleExecutable } from '../packaging/sea.js';
import { BUILT_CLI } from '../test/support/cli.js';
import { unpackImage } from '../test/support/containerImage.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 10);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function timed(argv: readonly string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

let started = performance.now();
const executable = buildSingleExecutable();
const seaSeconds = (performance.now() - started) / 1000;
started = performance.now();
const { archive } = buildImage();
const imageSeconds = (performance.now() - started) / 1000;
const work = mkdtempSync(join(tmpdir(), 'leasehold-image-bench-'));
const { rootfs } = unpackImage(archive, work);
const rootfsBytes = Number(execFileSync('du', ['-sb', rootfs], { encoding: 'utf8' }).split('\t')[0]);
rmSync(work, { recursive: true, force: true });

const row = (what: string, values: number[]) => ({ what, p50: ms(percentile(values, 50)), max: ms(Math.max(...values)), runs: values.length });
printTable([
  row('single executable: leasehold --help', timed([executable, '--help'])),
  row('single executable: leasehold --version', timed([executable, '--version'])),
  row('bundled bin on Node: leasehold --help', timed([process.execPath, BUILT_CLI, '--help'])),
  row('node -e 0', timed([process.execPath, '-e', '0'])),
]);
printTable([
  { what: 'single executable (dist/sea/leasehold)', size: mib(statSync(executable).size), 'build time': `${seaSeconds.toFixed(1)} s` },
  { what: 'image archive (dist/image/leasehold.oci.tar)', size: mib(statSync(archive).size), 'build time': `${imageSeconds.toFixed(1)} s (the executable included)` },
  { what: 'image root filesystem, unpacked', size: mib(rootfsBytes), 'build time': '' },
]);
console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
