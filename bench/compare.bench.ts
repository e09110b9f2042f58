/**
 * leasehold against a client-go-semantics poller (the same machine with the watch off and jittered
 * retryPeriod polling) in the same run, over HTTP on the embedded server; 10,000 leases held by one
 * process through one LeaseManager next to one poller participant per lease; the simulation speed.
 *
 *   npx tsx bench/compare.bench.ts [--runs 100] [--steady-seconds 60] [--leases 10000] [--participant-leases 10000] [--cpu-seconds 30]
 */
import { execFileSync } from 'node:child_process';
import { LeaseLocker } from '../src/api/leaseLocker.js';
import { scheduleArbitrary } from '../src/sim/arbitrary.js';
import { runSimulation } from '../src/sim/cluster.js';
import fc from 'fast-check';
import { startAttributedServer } from './attributedServer.js';
import { DEFAULT_TIMING, FAST_TIMING, measureHandOvers, realWorld, sleep } from './handover.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 100);
const STEADY_SECONDS = option('steady-seconds', 60);
const LEASES = option('leases', 10_000);
const CPU_SECONDS = option('cpu-seconds', 30);
const PARTICIPANT_LEASES = option('participant-leases', 10_000);
const { server, requests, locksFor } = await startAttributedServer();
const locks = locksFor('bench');
const lastRenew = (name: string) => async () => (await locks.lockFor({ namespace: 'default', name }, 'reader').get()).record.renewTime!;

const rows: Record<string, string | number>[] = [];
const results: Record<string, { handOver: number[]; failover: number[] }> = {};
for (const [mode, watch] of [['leasehold (watch)', true], ['poller (client-go)', false]] as const) {
  console.error(`measuring ${mode}...`);
  const timing = { ...FAST_TIMING, watch };
  results[mode] = {
    handOver: await measureHandOvers(realWorld, locks, timing, RUNS, false, lastRenew(`bench-release${watch ? '' : '-poll'}`)),
    failover: await measureHandOvers(realWorld, locks, timing, RUNS, true, lastRenew(`bench-crash${watch ? '' : '-poll'}`)),
  };
}
const [fast, slow] = [results['leasehold (watch)']!, results['poller (client-go)']!];
for (const [what, key] of [['graceful hand-over', 'handOver'], ['crash failover - leaseDuration', 'failover']] as const) {
  rows.push({
    what,
    'leasehold p50': ms(percentile(fast[key], 50)),
    'leasehold p99': ms(percentile(fast[key], 99)),
    'poller p50': ms(percentile(slow[key], 50)),
    'poller p99': ms(percentile(slow[key], 99)),
    'ratio p50': `${(percentile(slow[key], 50) / Math.max(0.001, percentile(fast[key], 50))).toFixed(0)}x`,
  });
}

console.error('measuring steady-state request rates...');
const steady = async (watch: boolean) => {
  const ref = { namespace: 'default', name: `steady-${watch}` };
  const leader = new LeaseLocker({ locks: locksFor(`leader-${watch}`), lease: ref, owner: 'leader', ...DEFAULT_TIMING, leaseDuration: 15_000, watch });
  await leader.lock();
  const candidate = new LeaseLocker({ locks: locksFor(`candidate-${watch}`), lease: ref, owner: 'candidate', ...DEFAULT_TIMING, watch });
  candidate.lock().catch(() => undefined);
  return () => {
    leader.actor.stop();
    candidate.actor.stop();
  };
};
const stops = [await steady(true), await steady(false)];
await sleep(3_000);
requests.clear();
await sleep(STEADY_SECONDS * 1000);
const perMinute = (prefix: string) =>
  +((([...requests].filter(([key]) => key.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0)) * 60) / STEADY_SECONDS).toFixed(1);
for (const stop of stops) stop();
const rates = [
  { who: 'leader', leasehold: perMinute('leader-true'), poller: perMinute('leader-false'), target: '<= 30 (1 per retryPeriod)' },
  { who: 'candidate', leasehold: perMinute('candidate-true'), poller: perMinute('candidate-false'), target: '<= 4 (1 per leaseDuration)' },
];
await server.close();

/**
 * Each holding measurement runs in a fresh process of compiled JavaScript (npm run build), as in
 * production: its RSS is its own, without the HTTP runs' leftovers or tsx's compiler.
 */
function measureHolding(mode: 'manager' | 'pollers', leases: number): { cpu: number; rssMiB: number; held: number } {
  const args = ['dist/bench/holding.js', mode, '--leases', String(leases), '--cpu-seconds', String(CPU_SECONDS)];
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(output) as { cpu: number; rssMiB: number; held: number };
}
console.error('building (npm run build) for the holding measurements...');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

console.error(`measuring ${LEASES} leases through one LeaseManager...`);
const managed = measureHolding('manager', LEASES);
console.error(`measuring ${PARTICIPANT_LEASES} per-lease pollers in one process...`);
const polled = measureHolding('pollers', PARTICIPANT_LEASES);

console.error('measuring simulation speed...');
const simStart = performance.now();
let simulated = 0;
const samples = fc.sample(scheduleArbitrary(), { numRuns: 200, seed: 1 });
for (const schedule of samples) simulated += (await runSimulation(schedule)).end;
const simHoursPerSecond = simulated / 3_600_000 / ((performance.now() - simStart) / 1000);

console.log(`\nover HTTP on loopback, ${RUNS} runs each, lease 1 s / renew deadline 800 ms / retry 500 ms:`);
printTable(rows);
console.log(`\nsteady state, lease 15 s / renew deadline 10 s / retry 2 s, requests per minute over ${STEADY_SECONDS} s:`);
printTable(rates);
console.log(`\nleases held by one process (memory store, 15 s leases renewed every 2 s), over ${CPU_SECONDS} s:`);
printTable([
  { how: `leasehold LeaseManager, ${LEASES} leases`, 'CPU (one core)': `${(managed.cpu * 100).toFixed(1)}%`, RSS: `${managed.rssMiB.toFixed(0)} MiB`, held: managed.held, target: '<= 50%, <= 300 MiB' },
  { how: `one poller per lease, ${PARTICIPANT_LEASES} leases`, 'CPU (one core)': `${(polled.cpu * 100).toFixed(1)}%`, RSS: `${polled.rssMiB.toFixed(0)} MiB`, held: polled.held, target: '<= 50%, <= 300 MiB' },
]);
console.log(`\nsimulation: ${simHoursPerSecond.toFixed(2)} simulated hours per wall second (200 schedules)`);
process.exit(0);
