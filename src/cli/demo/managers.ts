/**
 * The managers' part of `leasehold demo --ui`: a RolloutManager spacing the rollouts of two
 * clusters, and a LeaseManager whose two units take turns holding an application lease (claim,
 * extend, revoke; a waiter blocked meanwhile), so the live view shows both machines deciding next
 * to the participants. Runs on the real clock until `signal` aborts.
 */
import { LeaseManager } from '../../api/leaseManager.js';
import { RolloutManager } from '../../api/rolloutManager.js';
import { MemoryManagedLeaseStore } from '../../memory/managedLeaseStore.js';
import type { Inspector } from '../../runtime/options.js';
import type { Clock } from '../../time/clock.js';

export interface DemoManagers {
  rollout: RolloutManager;
  leases: LeaseManager;
}

const NAMESPACE = 'application-leadership';
const MODEL = 'demo';
const STEP_MS = 1_500;

export function startDemoManagers(clock: Clock, inspect: Inspector, signal: AbortSignal, onStarted: (managers: DemoManagers) => void): void {
  const rollout = new RolloutManager({ clusterRolloutDelay: 6_000, instanceRolloutDelay: 3_000, clock, inspect });
  const leases = new LeaseManager({ store: new MemoryManagedLeaseStore(clock), clock, maxSleep: 10_000, inspect });
  onStarted({ rollout, leases });
  const claimer = leases.claimer(NAMESPACE, MODEL);
  const units = ['web/0', 'web/1'];
  let step = 0;
  let timer = clock.setTimeout(function tick() {
    const cluster = { namespace: 'default', name: step % 4 < 2 ? 'cluster-a' : 'cluster-b' };
    rollout.coordinateRollout(cluster, `${cluster.name}-${step % 3}`);
    const holder = units[Math.floor(step / 4) % 2]!;
    // Every fourth step the holder steps down; the other unit, blocked until then, takes over.
    const act = step % 4 === 3 ? leases.revoker(NAMESPACE, MODEL).revoke('web', holder) : claimer.claim('web', holder, 5_000);
    act.catch(() => claimer.waitUntilExpired('web', { signal })).catch(() => undefined);
    step++;
    timer = clock.setTimeout(tick, STEP_MS);
  }, STEP_MS);
  signal.addEventListener(
    'abort',
    () => {
      clock.clearTimeout(timer);
      rollout.stop();
      leases.stop();
    },
    { once: true },
  );
}
