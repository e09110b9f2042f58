/**
 * Time from another client's write that removes the leader (a forced takeover: holder "intruder")
 * to the leader's signal aborting: on the virtual clock (memory store, API latency uniform in
 * 0-20 ms, as the fault simulation draws it) and over HTTP on loopback (embedded server,
 * KubernetesLeaseLock on @kubernetes/client-node, real time). Beside it, the same with watch: false,
 * which learns of the write as client-go does: at its next renew.
 *
 *   npx tsx bench/removal.bench.ts [--runs 100]
 */
import { LeaderElector } from '../src/api/leaderElector.js';
import { errorKind } from '../src/lease/errors.js';
import type { LeaseRecord } from '../src/lease/record.js';
import type { LeaseLockFactory } from '../src/ports/leaseLock.js';
import { MemoryLeaseStore } from '../src/memory/leaseStore.js';
import type { Clock } from '../src/time/clock.js';
import { realClock } from '../src/time/realClock.js';
import { VirtualClock } from '../src/time/virtualClock.js';
import { startAttributedServer } from './attributedServer.js';
import { FAST_TIMING, sleep } from './handover.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 100);
const ref = { namespace: 'default', name: 'bench-removal' };
const takeover = (now: number): LeaseRecord => ({ holderIdentity: 'intruder', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: 0 });

interface Rig {
  clock: Clock;
  locks: LeaseLockFactory;
  /** Writes `record` over whatever is stored, as another client; resolves with when the write was sent. */
  write(record: LeaseRecord): Promise<number>;
  /** Lets time pass until `done` holds. */
  until(done: () => boolean): Promise<void>;
}

/** `runs` times: an elector leads, then the lease is taken from it; ms until its signal aborted. */
async function measure(rig: Rig, watch: boolean, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await rig.write({ ...takeover(rig.clock.now()), holderIdentity: '' });
    let signal: AbortSignal | undefined;
    const elector = new LeaderElector({
      lock: rig.locks.lockFor(ref, `leader-${watch}-${i}`),
      ...FAST_TIMING,
      watch,
      callbacks: { onStartedLeading: (s) => void (signal = s), onStoppedLeading: () => {} },
      clock: rig.clock,
    });
    void elector.run();
    await rig.until(() => signal !== undefined);
    // Somewhere in the renew cycle, as a write from outside would land.
    const offset = Math.random() * FAST_TIMING.retryPeriod;
    const later = rig.clock.now() + offset;
    await rig.until(() => rig.clock.now() >= later);
    let abortedAt: number | undefined;
    signal!.addEventListener('abort', () => (abortedAt = rig.clock.now()), { once: true });
    const writtenAt = await rig.write(takeover(rig.clock.now()));
    await rig.until(() => abortedAt !== undefined);
    samples.push(abortedAt! - writtenAt);
    elector.actor.stop();
  }
  return samples;
}

function virtualRig(): Rig {
  const clock = new VirtualClock();
  const store = new MemoryLeaseStore(clock);
  store.setLatency(() => Math.random() * 20);
  return {
    clock,
    locks: store,
    write: async (record) => {
      store.put(ref, record);
      return clock.now();
    },
    until: async (done) => void (await clock.advanceUntil(done, 60_000, 0.05)),
  };
}

async function httpRig() {
  const { server, locksFor } = await startAttributedServer();
  const locks = locksFor('bench');
  const writer = locks.lockFor(ref, 'intruder');
  const rig: Rig = {
    clock: realClock,
    locks,
    // As kubectl does: read, replace, and again if the leader renewed in between (409).
    write: async (record) => {
      for (;;) {
        const current = await writer.get().catch(() => undefined);
        const sentAt = realClock.now();
        try {
          await (current ? writer.update(record, current.resourceVersion) : writer.create(record));
          return sentAt;
        } catch (error) {
          if (errorKind(error) !== 'Conflict') throw error;
        }
      }
    },
    until: async (done) => {
      while (!done()) await sleep(0.2);
    },
  };
  return { rig, close: () => server.close() };
}

const row = (what: string, samples: number[]) => ({
  what,
  runs: samples.length,
  p50: ms(percentile(samples, 50)),
  p99: ms(percentile(samples, 99)),
  max: ms(Math.max(...samples)),
});

const http = await httpRig();
const rows = [
  row('virtual clock, API latency 0-20 ms: watching leader', await measure(virtualRig(), true, RUNS)),
  row('virtual clock, API latency 0-20 ms: watch: false (client-go)', await measure(virtualRig(), false, RUNS)),
  row('HTTP on loopback: watching leader', await measure(http.rig, true, RUNS)),
  row('HTTP on loopback: watch: false (client-go)', await measure(http.rig, false, RUNS)),
];
await http.close();
console.log(
  `another client's takeover -> the leader's signal aborts; lease ${FAST_TIMING.leaseDuration} ms, renew deadline ${FAST_TIMING.renewDeadline} ms, retry ${FAST_TIMING.retryPeriod} ms`,
);
printTable(rows);
process.exit(0);
