/** CloudNativePG's primary-lease rules, one test per rule (ANCHORS §1). */
import { describe, expect, it } from 'vitest';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { ConfigError, LeadershipError } from '../../src/lease/errors.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

describe('PrimaryLease', () => {
  it('release is a no-op when the lease does not exist', async () => {
    const world = leaseWorld();
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    await primary.release();
    expect(world.current()).toBeNull();
    expect(world.store.requestCount('pod-1', 'update') + world.store.requestCount('pod-1', 'create')).toBe(0);
  });

  it('release is a no-op when another instance holds the lease', async () => {
    const world = leaseWorld();
    const before = world.put({ holderIdentity: 'pod-2', leaseTransitions: 2 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    await primary.release();
    expect(world.current()).toEqual(before);
  });

  it('releases a lease it holds even if never acquired in this process', async () => {
    const world = leaseWorld();
    const before = world.put({ holderIdentity: 'pod-1', leaseTransitions: 7 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    await world.clock.advance(1000);
    await primary.release();
    const after = world.current()!;
    expect(after.record).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: world.clock.now(),
      renewTime: world.clock.now(),
      leaseTransitions: 7,
    });
    expect(after.resourceVersion).not.toBe(before.resourceVersion);
  });

  it('writes the configured released duration (5 s) and preserves transitions 7 -> 7', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '', leaseTransitions: 6 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire({ releasedLeaseDuration: 5000 }));
    await world.clock.advance(0);
    expect(acquired.settled && !acquired.error).toBe(true);
    expect(world.record().leaseTransitions).toBe(7);
    await primary.release();
    expect(world.record()).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 5, leaseTransitions: 7 });
    expect(primary.isLeader()).toBe(false);
  });

  it('releases with the releasedLeaseDuration given at construction (5 s), even if never acquired in this process', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'pod-1', leaseTransitions: 7 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock, releasedLeaseDuration: 5_000 });
    await primary.release();
    expect(world.record()).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 5, leaseTransitions: 7 });
  });

  it('the first acquire config overrides the constructor releasedLeaseDuration; an invalid one is refused at construction', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock, releasedLeaseDuration: 5_000 });
    await primary.acquire({ releasedLeaseDuration: 3_000 });
    await primary.release();
    expect(world.record().leaseDurationSeconds).toBe(3);
    const invalid = () => new PrimaryLease({ lock: world.lock('pod-2'), clock: world.clock, releasedLeaseDuration: 1_500 });
    expect(invalid).toThrow(ConfigError);
    expect(invalid).toThrow('releasedLeaseDuration must be a whole number of seconds');
  });

  it('keeps the lease on release while upgrading in place', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire());
    await world.clock.advance(0);
    expect(acquired.settled).toBe(true);
    primary.setUpgrading(true);
    const before = world.current()!;
    await primary.release();
    expect(world.current()).toEqual(before);
    expect(primary.isLeader()).toBe(true);
    expect(primary.actor.getSnapshot().value).toBe('leading');
    expect(primary.actor.getSnapshot().context.upgrading).toBe(true);
  });

  it('applies the config of the first acquire only', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const first = track(primary.acquire({ leaseDuration: 20_000 }));
    const second = track(primary.acquire({ leaseDuration: 30_000 }));
    await world.clock.advance(0);
    expect(first.settled && second.settled).toBe(true);
    expect(world.record().leaseDurationSeconds).toBe(20);
    await world.clock.advance(10_000);
    expect(world.record().leaseDurationSeconds).toBe(20);
  });

  it('re-adopts its own lease without a transition, holder never empty', async () => {
    const world = leaseWorld();
    const acquireTime = world.clock.now() - 60_000;
    world.put({ holderIdentity: 'pod-1', leaseTransitions: 4, acquireTime });
    const holders: string[] = [];
    world.store.changes$.subscribe((change) => holders.push(change.after?.record.holderIdentity ?? '(deleted)'));
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire());
    await world.clock.advance(0);
    expect(acquired.settled && !acquired.error).toBe(true);
    expect(world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseTransitions: 4, acquireTime });
    expect(primary.term).toBe(4);
    expect(world.store.requestCount('pod-1', 'create')).toBe(0);
    // The one write is the first renew (the window opens only once it lands); never a claim.
    expect(holders).toEqual(['pod-1']);
  });

  it('refuses a lease held by another instance on first sight', async () => {
    const world = leaseWorld();
    const before = world.put({ holderIdentity: 'pod-2', leaseDurationSeconds: 15, leaseTransitions: 3 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire());
    await world.clock.advance(14_999);
    expect(acquired.settled).toBe(false);
    expect(world.current()).toEqual(before);
    expect(world.store.requestCount('pod-1', 'update')).toBe(0);
  });

  it("takes over after the record's leaseDuration unchanged: transitions 3 -> 4, duration rewritten", async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'pod-2', leaseDurationSeconds: 20, leaseTransitions: 3 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire({ leaseDuration: 15_000 }));
    const start = world.clock.now();
    await world.clock.advanceUntil(() => acquired.settled, 60_000);
    expect(world.clock.now() - start).toBe(20_000);
    expect(world.record()).toEqual({
      holderIdentity: 'pod-1',
      leaseDurationSeconds: 15,
      acquireTime: world.clock.now(),
      renewTime: world.clock.now(),
      leaseTransitions: 4,
    });
  });

  it('never preempts a renewing holder', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    const holder = new PrimaryLease({ lock: world.lock('pod-2'), clock: world.clock });
    const held = track(holder.acquire());
    await world.clock.advance(0);
    expect(held.settled).toBe(true);
    const candidate = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(candidate.acquire());
    await world.clock.advance(10 * 60_000);
    expect(acquired.settled).toBe(false);
    expect(world.record().holderIdentity).toBe('pod-2');
    expect(world.store.requestCount('pod-1', 'update')).toBe(0);
  });

  it('takes an empty holder at once', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 1 });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire());
    await world.clock.advance(0);
    expect(acquired.settled).toBe(true);
    expect(world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseDurationSeconds: 15, leaseTransitions: 2 });
  });

  it('treats a 409 on the claim as not acquired, then re-reads and retries', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    world.store.failNext(1, { kind: 'Conflict', match: (call) => call.verb === 'update' });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire());
    await world.clock.advance(0);
    expect(primary.actor.getSnapshot().context.counters.conflicts).toBe(1);
    expect(acquired.settled).toBe(true);
    expect(world.store.requestCount('pod-1', 'update')).toBe(2);
  });

  it('never creates a missing lease (the operator does)', async () => {
    const world = leaseWorld();
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const acquired = track(primary.acquire());
    await world.clock.advance(60_000);
    expect(acquired.settled).toBe(false);
    expect(world.current()).toBeNull();
    expect(world.store.requestCount('pod-1', 'create')).toBe(0);
    // The operator creates it: the watch wakes the instance at once.
    world.put({ holderIdentity: '' });
    await world.clock.advance(0);
    expect(acquired.settled).toBe(true);
  });

  it('stops acting at renewDeadline and treats another holder afterwards as fatal', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const fatal: LeadershipError[] = [];
    primary.onFatal((error) => fatal.push(error));
    const acquired = track(primary.acquire());
    await world.clock.advance(0);
    expect(acquired.settled).toBe(true);
    const heldSignal = primary.leadershipSignal!;
    const lastRenew = world.clock.now();
    world.store.setPartitioned('pod-1', true);
    let abortedAt = 0;
    heldSignal.addEventListener('abort', () => (abortedAt = world.clock.now()));
    const successor = new PrimaryLease({ lock: world.lock('pod-2'), clock: world.clock });
    const succeeded = track(successor.acquire());
    await world.clock.advanceUntil(() => succeeded.settled, 60_000);
    expect(abortedAt - lastRenew).toBe(10_000);
    expect(world.clock.now() - lastRenew).toBeGreaterThanOrEqual(15_000);
    world.store.setPartitioned('pod-1', false);
    await world.clock.advance(5_000);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(LeadershipError);
    expect(fatal[0]!.message).toContain('"pod-2"');
    expect(primary.actor.getSnapshot().status).toBe('done');
  });

  it('rejects a bad config on the first acquire with a typed error', async () => {
    const world = leaseWorld();
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    await expect(primary.acquire({ leaseDuration: 10_000, renewDeadline: 10_000 })).rejects.toThrow(ConfigError);
    await expect(primary.acquire({ retryPeriod: 500, renewDeadline: 1500, leaseDuration: 2000 })).rejects.toThrow(
      'retryPeriod must be at least 1s',
    );
  });
});
