/**
 * Hand-over after a release and failover after a crash, for two LeaseLockers on the memory store,
 * on the virtual clock (with and without a simulated 2 ms API round trip) and on the real clock.
 *
 *   npx tsx bench/participant.bench.ts [--runs 100] [--real-failovers 10]
 */
import { firstValueFrom, filter } from 'rxjs';
import { LeaseLocker } from '../src/api/LeaseLocker.js';
import { MemoryLeaseStore } from '../src/lock/memoryLeaseStore.js';
import type { Clock } from '../src/time/clock.js';
import { realClock } from '../src/time/realClock.js';
import { VirtualClock } from '../src/time/virtualClock.js';
import { ms, percentile, printTable } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const RUNS = option('runs', 100);
const REAL_FAILOVERS = option('real-failovers', 10);
const TIMING = { leaseDuration: 1_000, renewDeadline: 800, retryPeriod: 500 };

interface World {
  clock: Clock;
  /** Lets time pass until `promise` settles (virtual: advance; real: just wait). */
  run<T>(promise: Promise<T>): Promise<T>;
}

function virtualWorld(): World {
  const clock = new VirtualClock();
  return {
    clock,
    async run(promise) {
      let settled = false;
      void promise.finally(() => (settled = true));
      await clock.advanceUntil(() => settled, 60_000, 1);
      return promise;
    },
  };
}

const realWorld: World = { clock: realClock, run: (promise) => promise };

const leadsNow = (locker: LeaseLocker) =>
  firstValueFrom(locker.state$.pipe(filter((s) => s.context.lastRenewAt !== null && ['leading', 'renewing'].includes(String(s.value)))));

async function measure(world: World, runs: number, latency: number, crash: boolean) {
  const { clock } = world;
  const store = new MemoryLeaseStore(clock);
  store.setLatency(latency);
  const ref = { namespace: 'default', name: 'bench' };
  const samples: number[] = [];
  let holder = new LeaseLocker(store, ref, 'p0', TIMING, { clock });
  await world.run(holder.lock());
  for (let i = 1; i <= runs; i++) {
    const candidate = new LeaseLocker(store, ref, `p${i}`, TIMING, { clock });
    const led = leadsNow(candidate);
    const watching = firstValueFrom(candidate.state$.pipe(filter((s) => s.matches({ acquiring: 'waiting' }))));
    candidate.lock().catch(() => undefined); // the bench stops lockers without unlocking
    await world.run(watching);
    if (crash) await world.run(new Promise<void>((resolve) => clock.setTimeout(resolve, TIMING.retryPeriod))); // a renew or two
    let from: number;
    if (crash) {
      from = store.peek(ref)!.record.renewTime!; // failover is measured from the last renew
      holder.actor.stop();
    } else {
      from = clock.now();
      void holder.unlock();
    }
    await world.run(led);
    samples.push(clock.now() - from - (crash ? TIMING.leaseDuration : 0));
    holder.actor.stop();
    holder = candidate;
  }
  holder.actor.stop();
  return samples;
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
console.log(`lease ${TIMING.leaseDuration} ms, renew deadline ${TIMING.renewDeadline} ms, retry ${TIMING.retryPeriod} ms; memory store`);
printTable(rows);
process.exit(0);
