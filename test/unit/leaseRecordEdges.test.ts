/**
 * The edges of the lease record, one test per rule, through the public facades on the virtual
 * clock (issue 13; the same rules over HTTP are in test/integration/leaseRecordEdgesOverHttp.test.ts):
 * a held lease without a usable duration, leaseTransitions at the int32 maximum, and stored
 * transitions that are not integers.
 */
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { INT32_MAX } from '../../src/lease/record.js';
import { lockRecordToLeaseSpec } from '../../src/lease/spec.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

type World = ReturnType<typeof leaseWorld>;

const elector = (world: World, identity: string) => {
  const le = new LeaderElector({
    lock: world.lock(identity),
    leaseDuration: 15_000,
    renewDeadline: 10_000,
    retryPeriod: 2_000,
    callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
    clock: world.clock,
  });
  track(le.run());
  return le;
};

/** Another client holding the lease that writes no leaseDurationSeconds, renewing every 2 s. */
function peerWithoutDuration(world: World, identity: string) {
  const renew = () => {
    const { leaseDurationSeconds: _, ...spec } = lockRecordToLeaseSpec({
      holderIdentity: identity,
      leaseDurationSeconds: 0,
      acquireTime: world.clock.now(),
      renewTime: world.clock.now(),
      leaseTransitions: 1,
    });
    world.store.putRaw(world.ref, spec);
  };
  renew();
  let timer = world.clock.setTimeout(function again() {
    renew();
    timer = world.clock.setTimeout(again, 2_000);
  }, 2_000);
  return { stop: () => world.clock.clearTimeout(timer) };
}

describe('a held lease without a usable leaseDurationSeconds', () => {
  it('is never taken from a holder that keeps renewing, and is taken own-leaseDuration after the holder stops', async () => {
    const world = leaseWorld();
    const peer = peerWithoutDuration(world, 'peer');
    const candidate = elector(world, 'a');
    await world.clock.advance(5 * 60_000);
    expect(candidate.isLeader()).toBe(false);
    expect(world.record().holderIdentity).toBe('peer');
    expect(world.store.requestCount('a', 'update')).toBe(0);

    peer.stop();
    const lastRenew = world.record().renewTime!;
    const waited = await world.clock.advanceUntil(() => candidate.isLeader(), 60_000);
    expect(world.clock.now() - lastRenew).toBe(15_000);
    expect(waited).toBeLessThanOrEqual(15_000);
    expect(world.record()).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 2 });
  });

  it('waits the larger of the two: a record of 1 s waits our 15 s, a record of 30 s waits 30 s', async () => {
    for (const [recordSeconds, expected] of [
      [1, 15_000],
      [30, 30_000],
    ] as const) {
      const world = leaseWorld();
      world.put({ holderIdentity: 'peer', leaseDurationSeconds: recordSeconds });
      const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
      const acquired = track(primary.acquire());
      const start = world.clock.now();
      await world.clock.advanceUntil(() => acquired.settled, 120_000);
      expect(world.clock.now() - start).toBe(expected);
      expect(world.record().holderIdentity).toBe('pod-1');
      primary.stop();
    }
  });
});

describe('leaseTransitions at the int32 maximum', () => {
  it('saturates: every takeover writes 2147483647 and keeps working, the term stays 2147483647', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '', leaseTransitions: INT32_MAX - 1 });
    const first = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    await first.acquire();
    expect(first.term).toBe(INT32_MAX);
    expect(world.record().leaseTransitions).toBe(INT32_MAX);

    for (const identity of ['pod-2', 'pod-3']) {
      await first.release().catch(() => undefined);
      const next = new PrimaryLease({ lock: world.lock(identity), clock: world.clock });
      const acquired = track(next.acquire());
      await world.clock.advanceUntil(() => acquired.settled, 60_000);
      expect(acquired.error).toBeUndefined();
      expect(next.term).toBe(INT32_MAX);
      expect(world.record()).toMatchObject({ holderIdentity: identity, leaseTransitions: INT32_MAX });
      expect(world.current()!.malformed).toBeUndefined();
      await next.release();
      next.stop();
    }
  });

  it('an elector taking over an expired holder at the maximum writes the maximum, never 0', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'gone', leaseTransitions: INT32_MAX });
    const le = elector(world, 'a');
    await world.clock.advanceUntil(() => le.isLeader(), 60_000);
    expect(world.record().leaseTransitions).toBe(INT32_MAX);
    expect(le.actor.getSnapshot().context.term).toBe(INT32_MAX);
  });
});

describe('leaseTransitions that are not integers', () => {
  it.each([
    ['7', 8],
    [7.5, 9],
    ['7.5', 9],
    [1e12, INT32_MAX],
  ])('stored %j: the next holder writes %i, never a lower term', async (stored, written) => {
    const world = leaseWorld();
    world.store.putRaw(world.ref, { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: stored });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    await primary.acquire();
    expect(world.record().leaseTransitions).toBe(written);
    expect(primary.term).toBe(written);
    expect(world.current()!.malformed).toBeUndefined();
  });

  it('a holder renewing a lease stored with 7.5 writes 8, not 7 or 0', async () => {
    const world = leaseWorld();
    world.store.putRaw(world.ref, { holderIdentity: 'pod-1', leaseDurationSeconds: 15, leaseTransitions: 7.5 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    await primary.acquire();
    expect(world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseTransitions: 8 });
    expect(world.store.requestCount('pod-1', 'update')).toBe(1);
  });
});
