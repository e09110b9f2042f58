/**
 * Hand-over after a release and failover after a crash, for two LeaseLockers on the memory store,
 * on the virtual clock (with and without a simulated 2 ms API round trip) and on the real clock.
 *
 *   npx tsx bench/participant.bench.ts [--runs 100] [--real-failovers 10]
 */
import { MemoryLeaseStore } from '../src/memory/leaseStore.js';
import { type BenchWorld, FAST_TIMING, measureHandOvers, realWorld, virtualWorld } from './handover.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 100);
const REAL_FAILOVERS = option('real-failovers', 10);

async function measure(world: BenchWorld, runs: number, latency: number, crash: boolean) {
  const store = new MemoryLeaseStore(world.clock);
  store.setLatency(latency);
  const lastRenew = async () => store.peek({ namespace: 'default', name: 'bench-crash' })!.record.renewTime!;
  return measureHandOvers(world, store, FAST_TIMING, runs, crash, lastRenew);
}

const row = (what: string, clock: string, samples: number[]) => ({
  what,
  clock,
  runs: samples.length,
  p50: ms(percentile(samples, 50)),
  p99: ms(percentile(samples, 99)),
  max: ms(Math.max(...samples)),
});

const rows = [
  row('hand-over after release', 'virtual, 0 ms API', await measure(virtualWorld(), RUNS, 0, false)),
  row('hand-over after release', 'virtual, 2 ms API', await measure(virtualWorld(), RUNS, 2, false)),
  row('crash failover - leaseDuration', 'virtual, 0 ms API', await measure(virtualWorld(), RUNS, 0, true)),
  row('crash failover - leaseDuration', 'virtual, 2 ms API', await measure(virtualWorld(), RUNS, 2, true)),
  row('hand-over after release', 'real', await measure(realWorld, RUNS, 0, false)),
  row('crash failover - leaseDuration', 'real', await measure(realWorld, REAL_FAILOVERS, 0, true)),
];
console.log(`lease ${FAST_TIMING.leaseDuration} ms, renew deadline ${FAST_TIMING.renewDeadline} ms, retry ${FAST_TIMING.retryPeriod} ms; memory store`);
printTable(rows);
process.exit(0);
