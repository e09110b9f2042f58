/**
 * The facade scenarios over real HTTP, one table for every server: KubernetesLeaseLock on
 * @kubernetes/client-node against the embedded server (test/integration/facadesOverHttp.test.ts) or
 * a real kube-apiserver (test/real/facades.test.ts), time on a VirtualClock that waits for the wire
 * to go quiet.
 */
import { expect, type it as vitestIt } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { LeaseLocker } from '../../src/api/leaseLocker.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import type { WorldTarget } from './httpWorld.js';
import { type HttpWorld, httpWorldPerTest } from './httpWorldPerTest.js';
import { track } from './leaseWorld.js';

/** Declares the scenarios with `it` against `target`. */
export function facadeScenarios(target: WorldTarget, it: typeof vitestIt): void {
  const { open: httpWorld, stopping } = httpWorldPerTest(target);
  let world: HttpWorld;

  const primary = (identity: string) => {
    const lease = new PrimaryLease({ lock: world.lock(identity), clock: world.clock });
    return stopping(lease);
  };

  it('PrimaryLease: takes an empty holder at once (transitions + 1, duration written)', async () => {
    world = await httpWorld();
    await world.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 6 });
    const acquired = track(primary('pod-1').acquire());
    await world.clock.advance(0);
    expect(acquired.settled && !acquired.error).toBe(true);
    expect(await world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseDurationSeconds: 15, leaseTransitions: 7 });
  });

  it('PrimaryLease: refuses another holder on first sight, takes over after leaseDuration unchanged', async () => {
    world = await httpWorld();
    await world.put({ holderIdentity: 'pod-2', leaseDurationSeconds: 20, leaseTransitions: 3 });
    const acquired = track(primary('pod-1').acquire({ leaseDuration: 15_000 }));
    await world.clock.advance(19_999);
    expect(acquired.settled).toBe(false);
    expect(world.requestCount('pod-1', 'update')).toBe(0);
    await world.clock.advance(1);
    expect(acquired.settled && !acquired.error).toBe(true);
    expect(await world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseDurationSeconds: 15, leaseTransitions: 4 });
  });

  it('PrimaryLease: never preempts a renewing holder', async () => {
    world = await httpWorld();
    await world.put({ holderIdentity: '' });
    const held = track(primary('pod-2').acquire());
    await world.clock.advance(0);
    expect(held.settled).toBe(true);
    const candidate = track(primary('pod-1').acquire());
    await world.clock.advance(2 * 60_000);
    expect(candidate.settled).toBe(false);
    expect((await world.record()).holderIdentity).toBe('pod-2');
    expect(world.requestCount('pod-1', 'update')).toBe(0);
  });

  it('PrimaryLease: release hands over at once (duration 1, transitions kept); upgrading keeps the lease', async () => {
    world = await httpWorld();
    await world.put({ holderIdentity: '', leaseTransitions: 2 });
    const first = primary('pod-1');
    const second = primary('pod-2');
    track(first.acquire());
    await world.clock.advance(0);
    const secondHeld = track(second.acquire());
    await world.clock.advance(1_000);
    const releasedAt = world.clock.now();
    await first.release();
    await world.clock.advance(0);
    expect(secondHeld.settled && !secondHeld.error).toBe(true);
    expect(world.clock.now() - releasedAt).toBe(0);
    expect(await world.record()).toMatchObject({ holderIdentity: 'pod-2', leaseTransitions: 4 });

    second.setUpgrading(true);
    const before = await world.current();
    await second.release();
    expect(await world.current()).toEqual(before);
  });

  it('PrimaryLease: a successor with the same identity re-adopts without a transition', async () => {
    world = await httpWorld();
    await world.put({ holderIdentity: 'pod-1', leaseTransitions: 5 });
    const acquired = track(primary('pod-1').acquire());
    await world.clock.advance(0);
    expect(acquired.settled && !acquired.error).toBe(true);
    expect(await world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseTransitions: 5 });
  });

  it('PrimaryLease: never creates the lease; the watch wakes it when the operator does', async () => {
    world = await httpWorld();
    const acquired = track(primary('pod-1').acquire());
    await world.clock.advance(30_000);
    expect(acquired.settled).toBe(false);
    expect(await world.current()).toBeNull();
    await world.put({ holderIdentity: '' });
    expect(acquired.settled && !acquired.error).toBe(true);
  });

  it('LeaderElector: creates a missing lease, renews with no GET on the fast path, hands over on release', async () => {
    world = await httpWorld();
    const controller = new AbortController();
    const log: string[] = [];
    const elector = (identity: string, signal?: AbortSignal) => {
      const le = new LeaderElector({
        lock: world.lock(identity),
        leaseDuration: 15_000,
        renewDeadline: 10_000,
        retryPeriod: 2_000,
        releaseOnCancel: true,
        clock: world.clock,
        callbacks: {
          onStartedLeading: () => void log.push(`${identity} leads`),
          onStoppedLeading: () => void log.push(`${identity} stops`),
        },
      });
      void le.run({ signal });
      stopping({ stop: () => le.actor.getSnapshot().status === 'active' && le.actor.send({ type: 'STOP' }) });
      return le;
    };
    const a = elector('a', controller.signal);
    await world.clock.advance(0);
    expect(a.isLeader()).toBe(true);
    expect(await world.record()).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });
    const reads = world.requestCount('a', 'get');
    await world.clock.advance(20_000);
    expect(world.requestCount('a', 'get')).toBe(reads);
    expect(world.requestCount('a', 'update')).toBe(10);
    const b = elector('b');
    await world.clock.advance(1_000);
    controller.abort();
    await world.clock.advance(0);
    expect(b.isLeader()).toBe(true);
    expect(log).toEqual(['a leads', 'a stops', 'b leads']);
  });

  it('LeaseLocker from a kubeconfig: lock, unlock', async () => {
    world = await httpWorld();
    const locker = new LeaseLocker({ locks: world.kubeConfig, lease: world.ref, owner: 'worker', clock: world.clock });
    stopping({ stop: () => locker.actor.getSnapshot().status === 'active' && locker.actor.send({ type: 'STOP' }) });
    const locked = locker.lock();
    // The locker builds its own KubernetesLeaseLock, which the world's clock does not track: its
    // first attempt needs no lease time, so wait for the call itself.
    await world.clock.advance(0);
    await locked;
    expect(await world.record()).toMatchObject({ holderIdentity: 'worker', leaseDurationSeconds: 60 });
    expect(await locker.unlock()).toBe(true);
    expect(await world.record()).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });
}
