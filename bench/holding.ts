/**
 * Holds leases in this process for `--cpu-seconds` (after a 3 s warm-up) and prints, as JSON, the
 * CPU share of one core, the RSS and how many leases are still held. Run by compare.bench.ts in a
 * fresh process per mode:
 *   manager  N leases through one LeaseManager, each extended every 2 s (a client-go leader's renew rate)
 *   pollers  one LeaseLocker per lease with the watch off (client-go semantics), renewing every 2 s
 *
 *   npm run build && node dist/bench/holding.js manager|pollers [--leases 10000] [--cpu-seconds 30]
 */
import { LeaseLocker } from '../src/api/leaseLocker.js';
import { LeaseManager } from '../src/api/leaseManager.js';
import { MemoryLeaseStore } from '../src/memory/leaseStore.js';
import { MemoryManagedLeaseStore } from '../src/memory/managedLeaseStore.js';
import { realClock } from '../src/time/realClock.js';
import { DEFAULT_TIMING, sleep } from './handover.js';
import { option } from './stats.js';

const mode = process.argv[2];
const LEASES = option('leases', 10_000);
const CPU_SECONDS = option('cpu-seconds', 30);

async function holdThroughManager(): Promise<() => number> {
  const manager = new LeaseManager({ store: new MemoryManagedLeaseStore(realClock), clock: realClock });
  const claimer = manager.claimer('leases', 'bench');
  const names = Array.from({ length: LEASES }, (_, i) => `lease-${i}`);
  await Promise.all(names.map((name) => claimer.claim(name, 'holder', DEFAULT_TIMING.leaseDuration)));
  // Staggered in 100 slices so extends arrive evenly, every lease once per retryPeriod.
  let slice = 0;
  const extend = () => {
    for (let i = slice++ % 100; i < LEASES; i += 100) claimer.claim(names[i]!, 'holder', DEFAULT_TIMING.leaseDuration).catch(() => undefined);
    timer = realClock.setTimeout(extend, DEFAULT_TIMING.retryPeriod / 100);
  };
  let timer = realClock.setTimeout(extend, DEFAULT_TIMING.retryPeriod / 100);
  return () => {
    realClock.clearTimeout(timer);
    const held = manager.report().leases;
    manager.stop();
    return held;
  };
}

async function holdThroughPollers(): Promise<() => number> {
  const store = new MemoryLeaseStore(realClock);
  const lockers = Array.from(
    { length: LEASES },
    (_, i) => new LeaseLocker({ locks: store, lease: { namespace: 'default', name: `lease-${i}` }, owner: 'holder', ...DEFAULT_TIMING, watch: false }),
  );
  await Promise.all(lockers.map((locker) => locker.lock()));
  return () => {
    const held = lockers.filter((locker) => locker.isLeader()).length;
    for (const locker of lockers) locker.actor.stop();
    return held;
  };
}

if (mode !== 'manager' && mode !== 'pollers') {
  console.error('usage: bench/holding.ts manager|pollers [--leases N] [--cpu-seconds S]');
  process.exit(2);
}
const release = await (mode === 'manager' ? holdThroughManager() : holdThroughPollers());
await sleep(3_000);
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
await sleep(CPU_SECONDS * 1000);
const used = process.cpuUsage(cpuBefore);
const cpu = (used.user + used.system) / 1000 / (performance.now() - wallBefore);
const rssMiB = process.memoryUsage().rss / 2 ** 20;
const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
console.log(JSON.stringify({ cpu, rssMiB, heapMiB, held: release() }));
process.exit(0);
