/**
 * A one-shot command beside kubectl's: `leasehold status --lease L` and `kubectl get lease L`
 * against the same embedded server, alternating, each run timed (wall clock, spawn to exit) and its
 * peak RSS taken by GNU time (Debian: apt-get install time). Then the RSS of a leading
 * `leasehold run`, sampled from /proc after a few renewals. Targets (issue 27): status within
 * 1.5x kubectl's time and at most 80 MB peak; a leading runner at most 80 MiB.
 *
 *   npm run build && npx tsx bench/cliFootprint.bench.ts [--runs 20] [--cli "path/to/executable"]
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_CLI } from '../test/support/cli.js';
import { findKubectls } from '../test/support/kubectl.js';
import { commands, sleep, startFleet, startRunner } from '../test/support/sidecar.js';
import { ms, option, percentile, printTable } from './stats.js';

const args = process.argv.slice(2);
const cliIndex = args.indexOf('--cli');
const cli = cliIndex >= 0 ? args[cliIndex + 1]!.split(' ') : [process.execPath, BUILT_CLI];
const RUNS = option('runs', 20);
const kubectl = findKubectls().kubectls.at(-1);
if (!kubectl) throw new Error('no kubectl found (test/support/kubectl.ts says where it looks)');

/** Wall time (ms) and peak RSS (KiB, GNU time's %M) of one run (spawned, not spawnSync: the server runs in this process). */
async function measured(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; kib: number }> {
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`/usr/bin/time: ${error.message} (Debian: apt-get install time)`)));
    child.once('close', resolve);
  });
  const elapsed = performance.now() - started;
  if (status !== 0) throw new Error(`${argv.join(' ')} exited ${status}: ${stderr}`);
  return { ms: elapsed, kib: Number(stderr.trim().split('\n').at(-1)) };
}

const fleet = await startFleet();
const env = { ...process.env, KUBECONFIG: fleet.kubeconfig };
const rows: Record<string, string | number>[] = [];
try {
  await fleet.api.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'bench' }, spec: { holderIdentity: 'someone', leaseDurationSeconds: 15 } } });
  const status: { ms: number; kib: number }[] = [];
  const get: { ms: number; kib: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    status.push(await measured([...cli, 'status', '--lease', 'bench'], env));
    get.push(await measured([kubectl.path, 'get', 'lease', 'bench'], env));
  }
  const mb = (kib: number) => `${((kib * 1024) / 1e6).toFixed(1)} MB (${(kib / 1024).toFixed(1)} MiB)`;
  const row = (what: string, runs: { ms: number; kib: number }[]) => ({
    what,
    'time p50': ms(percentile(runs.map((run) => run.ms), 50)),
    'time max': ms(Math.max(...runs.map((run) => run.ms))),
    'peak RSS p50': mb(percentile(runs.map((run) => run.kib), 50)),
    'peak RSS max': mb(Math.max(...runs.map((run) => run.kib))),
    runs: runs.length,
  });
  rows.push(row('leasehold status --lease bench', status), row(`kubectl ${kubectl.version} get lease bench`, get));
  const ratio = percentile(status.map((run) => run.ms), 50) / percentile(get.map((run) => run.ms), 50);

  const leadingRss: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    const runner = startRunner(fleet, { identity: `r${i}`, lease: `leader-${i}`, command: commands.worker, cli });
    await fleet.observer.whenAlive(`r${i}`);
    await sleep(3_000); // a few renewals
    leadingRss.push(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${runner.child.pid!}/status`, 'utf8'))![1]) / 1024);
    runner.signal('SIGTERM');
    await runner.exited;
  }
  printTable(rows);
  console.log(`status / kubectl time (p50): ${ratio.toFixed(2)}x (target <= 1.5x)`);
  console.log(`RSS of a leading leasehold run: p50 ${percentile(leadingRss, 50).toFixed(1)} MiB, max ${Math.max(...leadingRss).toFixed(1)} MiB (target <= 80 MiB), ${leadingRss.length} runs`);
  console.log(`CLI: ${cli.join(' ')}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  writeFileSync(join(fleet.dir, 'done'), '');
} finally {
  await fleet.close();
}
process.exit(0);
