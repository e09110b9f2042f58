/**
 * What `leasehold run` costs: time from start to leading (spawn -> CMD alive, seen in /proc), the
 * time of `--help`, and the RSS of a runner while it leads, beside the same figures for a bare
 * Node and for a Node that only imports @kubernetes/client-node (the floor any runner pays).
 *
 *   npx tsx bench/cli.bench.ts [--runs 10] [--cli "node path/to/main.js"]
 *
 * Runs the built CLI (`npm run build` first) on this Node unless --cli names another.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BUILT_CLI } from '../test/support/cli.js';
import { commands, sleep, startFleet, startRunner } from '../test/support/sidecar.js';
import { ms, option, percentile, printTable } from './stats.js';

const args = process.argv.slice(2);
const cliIndex = args.indexOf('--cli');
const cli = cliIndex >= 0 ? args[cliIndex + 1]!.split(' ') : [process.execPath, BUILT_CLI];
const RUNS = option('runs', 10);

/** Wall time of a command that exits by itself, per run (an older build's `run --help` exits 2: still timed). */
function timed(argv: readonly string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    if (result.error) throw result.error;
    times.push(performance.now() - started);
  }
  return times;
}

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** RSS (MiB) of a Node process that ran `code` and then idles, measured from outside. */
async function rssOfScript(code: string): Promise<number> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `${code}; console.log('ready'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await sleep(1_000);
  const rss = rssOf(child.pid!);
  child.kill('SIGKILL');
  return rss;
}

const row = (what: string, values: number[], unit: (v: number) => string = ms) => ({ what, p50: unit(percentile(values, 50)), max: unit(Math.max(...values)), runs: values.length });
const mib = (value: number) => `${value.toFixed(1)} MiB`;

const rows = [
  row('node -e 0 (bare Node start)', timed([process.execPath, '-e', '0'])),
  row('leasehold --help', timed([...cli, '--help'])),
  row('leasehold run --help', timed([...cli, 'run', '--help'])),
];

const toLeading: number[] = [];
const leadingRss: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const fleet = await startFleet();
  try {
    const started = performance.now();
    const runner = startRunner(fleet, { identity: 'a', command: commands.worker, cli });
    const life = await fleet.observer.whenAlive('a');
    toLeading.push(life.firstAlive - started);
    await sleep(2_000); // a few renewals
    leadingRss.push(rssOf(runner.child.pid!));
  } finally {
    await fleet.close();
  }
}
rows.push(row('start to leading (spawn -> CMD alive)', toLeading));
const bare = await rssOfScript('0');
const clientNode = await rssOfScript("await import('@kubernetes/client-node')");
rows.push(row('RSS of a leading runner', leadingRss, mib));
rows.push(row('RSS: node importing @kubernetes/client-node', [clientNode], mib));
rows.push(row('RSS: bare node', [bare], mib));
printTable(rows);
console.log(`runner RSS over client-node's import: ${(percentile(leadingRss, 50) - clientNode).toFixed(1)} MiB (target <= 20); CLI: ${cli.join(' ')}`);
process.exit(0);
