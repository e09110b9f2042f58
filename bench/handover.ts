/** Hand-over and crash-failover measurement shared by the benchmarks: two LeaseLockers at a time. */
import { filter, firstValueFrom } from 'rxjs';
import { LeaseLocker, type LeaseLockerOptions } from '../src/api/leaseLocker.js';
import type { LeaseFacade } from '../src/api/leaseFacade.js';
import type { LeaseTiming } from '../src/lease/config.js';
import type { LeaseLockFactory } from '../src/ports/leaseLock.js';
import type { Clock } from '../src/time/clock.js';
import { VirtualClock } from '../src/time/virtualClock.js';
import { realClock } from '../src/time/realClock.js';

export interface BenchWorld {
  clock: Clock;
  /** Lets time pass until `promise` settles (virtual: advance; real: just wait). */
  run<T>(promise: Promise<T>): Promise<T>;
}

export function virtualWorld(): BenchWorld & { clock: VirtualClock } {
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

export const realWorld: BenchWorld = { clock: realClock, run: (promise) => promise };

/** Short timings for hand-over measurements, and client-go's defaults for steady-state ones. */
export const FAST_TIMING = { leaseDuration: 1_000, renewDeadline: 800, retryPeriod: 500 };
export const DEFAULT_TIMING = { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 };

/** Waits on the real clock: benchmarks measure real time. */
export const sleep = (ms: number) => new Promise<void>((resolve) => realClock.setTimeout(resolve, ms));

/** Resolves once `facade` leads (it has renewed, and is leading or renewing). */
export const leadsNow = (facade: LeaseFacade) =>
  firstValueFrom(facade.state$.pipe(filter((s) => s.context.lastRenewAt !== null && ['leading', 'renewing'].includes(String(s.value)))));

/** Resolves once `facade` waits on the lease as a candidate (it has read it and watches). */
export const watchingNow = (facade: LeaseFacade) => firstValueFrom(facade.state$.pipe(filter((s) => s.matches({ acquiring: 'waiting' }))));

/**
 * `runs` times: a candidate starts watching, then the holder releases (or crashes). Returns, per run,
 * the time from the release to the candidate leading, or for crashes from the holder's last renew to
 * the candidate leading minus leaseDuration.
 */
export async function measureHandOvers(
  world: BenchWorld,
  locks: LeaseLockFactory,
  timing: LeaseTiming & Pick<LeaseLockerOptions, 'watch' | 'unlockWithRetryPeriod' | 'releaseOnCancel'>,
  runs: number,
  crash: boolean,
  lastRenew: () => Promise<number>,
): Promise<number[]> {
  const { clock } = world;
  const ref = { namespace: 'default', name: `bench-${crash ? 'crash' : 'release'}${timing.watch === false ? '-poll' : ''}` };
  const samples: number[] = [];
  const options = { clock };
  let holder = new LeaseLocker({ locks, lease: ref, owner: 'p0', ...timing, ...options });
  await world.run(holder.lock());
  for (let i = 1; i <= runs; i++) {
    const candidate = new LeaseLocker({ locks, lease: ref, owner: `p${i}`, ...timing, ...options });
    const led = leadsNow(candidate);
    const watching = watchingNow(candidate);
    candidate.lock().catch(() => undefined); // the bench stops lockers without unlocking
    await world.run(watching);
    let from: number;
    if (crash) {
      await world.run(new Promise<void>((resolve) => clock.setTimeout(resolve, timing.retryPeriod))); // a renew or two
      holder.actor.stop();
      from = await lastRenew(); // failover is measured from the last renew
    } else {
      from = clock.now();
      void holder.unlock();
    }
    await world.run(led);
    samples.push(clock.now() - from - (crash ? timing.leaseDuration : 0));
    holder.actor.stop();
    holder = candidate;
  }
  holder.actor.stop();
  return samples;
}
