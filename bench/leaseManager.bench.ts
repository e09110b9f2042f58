/**
 * 10,000 leases held through one LeaseManager over 10 virtual minutes (memory store, virtual clock):
 * every holder claims once, then extends every `extend-every` seconds, staggered so extends arrive
 * evenly. Prints claims+extends per wall second, the most timers ever armed at once (must be 1),
 * and heap per lease.
 *
 *   node --expose-gc --import tsx bench/leaseManager.bench.ts [--leases 10000] [--minutes 10] [--duration-seconds 60] [--extend-every 30]
 */
import { LeaseManager } from '../src/api/leaseManager.js';
import { MemoryManagedLeaseStore } from '../src/memory/managedLeaseStore.js';
import { VirtualClock } from '../src/time/virtualClock.js';
import { option, printTable } from './stats.js';

const LEASES = option('leases', 10_000);
const MINUTES = option('minutes', 10);
const DURATION = option('duration-seconds', 60) * 1000;
const EXTEND_EVERY = option('extend-every', 30) * 1000;

const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

const clock = new VirtualClock();
const store = new MemoryManagedLeaseStore(clock);
const heapBefore = heapUsed();
const manager = new LeaseManager({ store, clock });
const claimer = manager.claimer('leases', 'bench');
const names = Array.from({ length: LEASES }, (_, i) => `lease-${i}`);
let maxTimers = 0;
let requests = 0;
const watchTimers = () => (maxTimers = Math.max(maxTimers, clock.pendingTimers));

const wallStart = performance.now();
await Promise.all(names.map((name) => claimer.claim(name, `holder-${name}`, DURATION)));
requests += LEASES;
watchTimers();
const heapPerLease = (heapUsed() - heapBefore) / LEASES;

// One virtual second at a time, the slice of holders whose turn it is extends.
const slices = EXTEND_EVERY / 1000;
for (let second = 1; second <= MINUTES * 60; second++) {
  await clock.advance(1000);
  watchTimers();
  const slice = names.filter((_, i) => i % slices === second % slices);
  await Promise.all(slice.map((name) => claimer.claim(name, `holder-${name}`, DURATION)));
  requests += slice.length;
  watchTimers();
}
const wallSeconds = (performance.now() - wallStart) / 1000;
const report = manager.report();
manager.stop();

console.log(`\n${LEASES} leases through one LeaseManager over ${MINUTES} virtual minutes (duration ${DURATION / 1000} s, extended every ${EXTEND_EVERY / 1000} s):`);
printTable([
  {
    'claims+extends': requests,
    'per wall second': Math.round(requests / wallSeconds),
    'wall time': `${wallSeconds.toFixed(1)} s`,
    'max live timers': maxTimers,
    'heap per lease': gc ? `${Math.round(heapPerLease)} B` : 'run with --expose-gc',
    'still held': report.leases,
    expired: report.counters.expired,
    'wake-ups': report.counters.wakeUps,
  },
]);
