/**
 * What one participant costs: N LeaseLockers each holding its own lease on the memory store, on a
 * virtual clock. Prints heap per participant once they hold their leases and after a minute of
 * renewals, and how many renewals per wall second, and per second of the process's own CPU time
 * (steadier than wall time on a shared machine), the process gets through.
 *
 *   node --expose-gc --import tsx bench/footprint.bench.ts [--participants 2000]
 */
import { LeaseLocker } from '../src/api/leaseLocker.js';
import { MemoryLeaseStore } from '../src/memory/leaseStore.js';
import { VirtualClock } from '../src/time/virtualClock.js';
import { DEFAULT_TIMING } from './handover.js';
import { option, printTable } from './stats.js';

const PARTICIPANTS = option('participants', 2_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (see the command at the top of this file)');
  process.exit(2);
}
const heapUsed = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const clock = new VirtualClock();
const store = new MemoryLeaseStore(clock);
const before = heapUsed();
const lockers = Array.from(
  { length: PARTICIPANTS },
  (_, i) => new LeaseLocker({ locks: store, lease: { namespace: 'default', name: `lease-${i}` }, owner: 'holder', ...DEFAULT_TIMING, clock }),
);
await Promise.all(lockers.map((locker) => locker.lock()));
const held = heapUsed();
const started = performance.now();
const cpuBefore = process.cpuUsage();
await clock.advance(60_000);
const cpu = process.cpuUsage(cpuBefore);
const seconds = (performance.now() - started) / 1000;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const renewed = heapUsed();
const renewals = lockers.reduce((sum, locker) => sum + locker.actor.getSnapshot().context.counters.renewals, 0);

const kib = (bytes: number) => `${(bytes / PARTICIPANTS / 1024).toFixed(1)} KiB`;
printTable([
  {
    participants: PARTICIPANTS,
    'heap each, holding': kib(held - before),
    'heap each, after 60 s': kib(renewed - before),
    'renewals in 60 virtual s': renewals,
    'renewals per wall second': Math.round(renewals / seconds),
    'renewals per CPU second': Math.round(renewals / cpuSeconds),
  },
]);
process.exit(0);
