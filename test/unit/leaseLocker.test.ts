/** Swisscom leaselocker behaviour through LeaseLocker (ANCHORS §3). */
import { describe, expect, it } from 'vitest';
import { LeaseLocker } from '../../src/api/leaseLocker.js';
import { LeadershipError } from '../../src/lease/errors.js';
import type { LeaseRef } from '../../src/lease/record.js';
import type { MemoryLeaseLock } from '../../src/memory/leaseLock.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

type World = ReturnType<typeof leaseWorld>;

function locker(world: World, owner: string, config = {}) {
  return new LeaseLocker({ locks: world.store, lease: { namespace: 'default', name: 'Cluster-Example' }, owner, ...config, clock: world.clock });
}

describe('LeaseLocker', () => {
  it('lowercases the lease name and creates the lease with the 60 s default duration', async () => {
    const world = leaseWorld();
    const a = locker(world, 'a');
    const locked = track(a.lock());
    await world.clock.advance(0);
    expect(locked.settled && !locked.error).toBe(true);
    expect(a.ref.name).toBe('cluster-example');
    expect(world.record()).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 60, leaseTransitions: 0 });
    expect(a.isLeader()).toBe(true);
  });

  it('unlock releases (holder "", duration 1, transitions kept) and returns true', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '', leaseTransitions: 4 });
    const a = locker(world, 'a');
    track(a.lock());
    await world.clock.advance(0);
    const signal = a.leadershipSignal!;
    expect(await a.unlock()).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(world.record()).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 5 });
    expect(a.isLeader()).toBe(false);
  });

  it('records "acquired lock" and "lost lock" events', async () => {
    const world = leaseWorld();
    const locks: MemoryLeaseLock[] = [];
    const source = { lockFor: (ref: LeaseRef, owner: string) => locks[locks.push(world.store.lockFor(ref, owner) as MemoryLeaseLock) - 1]! };
    const a = new LeaseLocker({ locks: source, lease: world.ref, owner: 'a', clock: world.clock });
    track(a.lock());
    await world.clock.advance(0);
    await a.unlock();
    expect(locks[0]!.events).toEqual(['acquired lock', 'lost lock']);
  });

  it('lock blocks while another owner renews, and wins at once after its unlock', async () => {
    const world = leaseWorld();
    const a = locker(world, 'a');
    const b = locker(world, 'b');
    track(a.lock());
    await world.clock.advance(0);
    const bLocked = track(b.lock());
    await world.clock.advance(5 * 60_000);
    expect(bLocked.settled).toBe(false);
    await a.unlock();
    await world.clock.advance(0);
    expect(bLocked.settled && !bLocked.error).toBe(true);
    expect(world.record().holderIdentity).toBe('b');
  });

  it('tryLock gives up after the lease duration + 1 s when the holder keeps renewing', async () => {
    const world = leaseWorld();
    const a = locker(world, 'a');
    track(a.lock());
    await world.clock.advance(0);
    const b = locker(world, 'b');
    const attempt = track(b.tryLock());
    const start = world.clock.now();
    await world.clock.advanceUntil(() => attempt.settled, 120_000, 100);
    expect(world.clock.now() - start).toBe(61_000);
    expect(attempt.error).toBeInstanceOf(LeadershipError);
    expect(b.actor.getSnapshot().value).toBe('idle');
    expect(world.record().holderIdentity).toBe('a');
  });

  it('tryLock wins a lease whose holder died, once unchanged for its duration', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'dead', leaseDurationSeconds: 60 });
    const b = locker(world, 'b');
    const attempt = track(b.tryLock());
    await world.clock.advanceUntil(() => attempt.settled, 120_000, 100);
    expect(attempt.error).toBeUndefined();
    expect(world.record().holderIdentity).toBe('b');
  });

  it('lock signal aborting stops renewing; with releaseOnCancel the lease is released', async () => {
    const world = leaseWorld();
    const a = locker(world, 'a', { releaseOnCancel: true });
    const controller = new AbortController();
    track(a.lock({ signal: controller.signal }));
    await world.clock.advance(0);
    controller.abort();
    await world.clock.advance(0);
    expect(world.record().holderIdentity).toBe('');
    // And the locker can lock again afterwards.
    const again = track(a.lock());
    await world.clock.advance(0);
    expect(again.settled && !again.error).toBe(true);
  });

  it('check fails only when locked and not renewed for leaseDuration + tolerance', async () => {
    const world = leaseWorld();
    const a = locker(world, 'a');
    track(a.lock());
    await world.clock.advance(0);
    expect(a.check(10_000)).toBeNull();
    world.clock.stall(70_001);
    expect(a.check(10_000)?.message).toBe(
      'failed locking attempt to renew leadership on lease cluster-example (lease default/cluster-example, identity a)',
    );
  });

  it("takes the lease's lock, as the other single-lease facades do, and locks again after unlock with the same lock", async () => {
    const world = leaseWorld();
    const a = new LeaseLocker({ lock: world.store.lockFor(world.ref, 'a'), clock: world.clock });
    expect([a.ref, a.owner]).toEqual([world.ref, 'a']);
    track(a.lock());
    await world.clock.advance(0);
    expect(world.record()).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 60 });
    expect(await a.unlock()).toBe(true);
    a.stop();
    const again = track(a.lock());
    await world.clock.advance(0);
    expect(again.settled && !again.error).toBe(true);
    expect(world.record()).toMatchObject({ holderIdentity: 'a' });
  });

  it('refuses, before anything starts, both a lock and locks, neither, and locks without lease or owner', () => {
    const world = leaseWorld();
    const lock = world.store.lockFor(world.ref, 'a');
    expect(() => new LeaseLocker({ lock, locks: world.store, clock: world.clock })).toThrow('give either lock, or locks with lease and owner');
    expect(() => new LeaseLocker({ clock: world.clock })).toThrow('give either lock, or locks with lease and owner');
    expect(() => new LeaseLocker({ locks: world.store, owner: 'a' })).toThrow('lease must name a namespace and a name');
    expect(() => new LeaseLocker({ locks: world.store, lease: world.ref })).toThrow('owner must not be empty');
    expect(world.store.peek(world.ref)).toBeNull();
  });
});
