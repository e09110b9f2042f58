/**
 * Targeted hand-over (issue 15) through the public facades on the virtual clock: the leader's
 * window closes before its hand-over write is sent, the write names the target in one conditional
 * update, the target's window opens only when its own renew lands, and every way it can go wrong
 * rejects with a HandOverError whose reason says what happened, without reopening the old window.
 */
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { LeaseLocker } from '../../src/api/leaseLocker.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { HandOverError, LeadershipError } from '../../src/lease/errors.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

type World = ReturnType<typeof leaseWorld>;

/** pod-1 leads (renewed just now), pod-2 is a candidate waiting on its watch. */
async function twoPrimaries(world: World, transitions = 4) {
  world.put({ holderIdentity: '', leaseTransitions: transitions });
  const leader = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
  await leader.acquire();
  const target = new PrimaryLease({ lock: world.lock('pod-2'), clock: world.clock });
  const targetAcquired = track(target.acquire());
  await world.clock.advance(2_000); // a renew; pod-2 watches, waiting
  expect(target.actor.getSnapshot().matches({ acquiring: 'waiting' })).toBe(true);
  return { leader, target, targetAcquired };
}

/** pod-1 leads alone and hands over to "gone", which no participant is. */
async function handingOverToNobody() {
  const world = leaseWorld();
  world.put({ holderIdentity: '', leaseTransitions: 1 });
  const leader = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
  await leader.acquire();
  return { world, leader, handed: track(leader.handOver('gone')) };
}

async function rejection(promise: Promise<unknown>): Promise<HandOverError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HandOverError);
  return error as HandOverError;
}

describe('handOver', () => {
  it('closes the leader window before the write, writes holder, transitions + 1, fresh times, our duration, and resolves when the target leads', async () => {
    const world = leaseWorld();
    const { leader, target, targetAcquired } = await twoPrimaries(world);
    const signal = leader.leadershipSignal!;
    const before = world.current()!;
    // What the store sees when the hand-over write arrives: the old window must be closed by then.
    let abortedWhenSent: boolean | undefined;
    let targetLeadingWhenSent: boolean | undefined;
    world.store.setLatency((call) => {
      if (call.verb === 'update' && call.identity === 'pod-1') {
        abortedWhenSent = signal.aborted;
        targetLeadingWhenSent = target.isLeader();
      }
      return 10;
    });
    const handed = track(leader.handOver('pod-2'));
    expect(signal.aborted).toBe(true); // at once, in the same tick as the call
    expect(leader.isLeader()).toBe(false);
    expect(leader.actor.getSnapshot().matches('handingOver')).toBe(true);
    await world.clock.advance(5); // the write is in flight
    expect(abortedWhenSent).toBe(true);
    expect(targetLeadingWhenSent).toBe(false);
    await world.clock.advance(5); // landed; the target sees itself named (watch delivery 5 ms later)
    const written = world.record();
    expect(written).toMatchObject({ holderIdentity: 'pod-2', leaseTransitions: 6, leaseDurationSeconds: 15 });
    expect(written.acquireTime).toBe(world.clock.now() - 10);
    expect(written.renewTime).toBe(written.acquireTime);
    expect(Number(world.current()!.resourceVersion)).toBe(Number(before.resourceVersion) + 1);
    expect(target.isLeader()).toBe(false); // named, not yet confirmed by its own renew
    await world.clock.advance(5);
    expect(target.actor.getSnapshot().matches({ renewing: 'attempt' })).toBe(true);
    expect(target.isLeader()).toBe(false);
    await world.clock.advance(10); // its renew landed
    expect(target.isLeader()).toBe(true);
    expect(target.term).toBe(6);
    expect(targetAcquired.settled).toBe(true);
    // Its renew committed 5 ms ago; our watch delivered it as the renew's answer reached the target.
    expect(handed).toMatchObject({ settled: true, error: undefined });
    // The old leader goes on as a candidate (PrimaryLease): it reads, then waits on the target; not fatal.
    await world.clock.advance(10);
    expect(leader.actor.getSnapshot().matches({ acquiring: 'waiting' })).toBe(true);
    expect(world.record().holderIdentity).toBe('pod-2');
  });

  it('a target backing off after a failed read re-adopts at its next read, and leads only after its renew', async () => {
    const world = leaseWorld();
    const { leader, target } = await twoPrimaries(world);
    world.store.setLatency(10);
    world.store.failNext(1, { kind: 'Unavailable', match: (call) => call.identity === 'pod-2' });
    world.store.dropWatches((identity) => identity === 'pod-2'); // down: it reads, and that read fails
    await world.clock.advance(20);
    expect(target.actor.getSnapshot().matches({ acquiring: 'backoff' })).toBe(true);
    const handed = track(leader.handOver('pod-2'));
    await world.clock.advance(20);
    expect(world.record().holderIdentity).toBe('pod-2');
    expect(target.isLeader()).toBe(false);
    await world.clock.advance(3_000); // its watch is back after 1 s, its back-off ends after 2 s
    expect(target.isLeader()).toBe(true);
    expect(target.term).toBe(6);
    expect(handed).toMatchObject({ settled: true, error: undefined });
  });

  it('rejects without writing when not leading, for "" or our own identity, and when the signal aborted already', async () => {
    const world = leaseWorld();
    const { leader, target } = await twoPrimaries(world);
    const updates = () => world.store.requestCount(undefined, 'update');
    const written = updates();
    expect((await rejection(target.handOver('pod-1'))).reason).toBe('notLeading');
    const empty = await rejection(leader.handOver(''));
    expect(empty).toMatchObject({ reason: 'invalidTarget', target: '', lease: 'default/cluster-example', identity: 'pod-1' });
    expect(empty.message).toContain("expected another participant's identity");
    expect((await rejection(leader.handOver('pod-1'))).reason).toBe('invalidTarget');
    const aborted = await rejection(leader.handOver('pod-2', { signal: AbortSignal.abort() }));
    expect(aborted.reason).toBe('aborted');
    expect(aborted).toBeInstanceOf(LeadershipError);
    expect(updates()).toBe(written);
    expect(leader.isLeader()).toBe(true);
  });

  it('a conflicting write (someone wrote first) rejects, and the old window does not reopen without a fresh renew', async () => {
    const world = leaseWorld();
    const { leader } = await twoPrimaries(world);
    const opened: number[] = [];
    leader.state$.subscribe(() => leader.isLeader() && opened.push(world.clock.now()));
    opened.length = 0;
    world.store.setLatency(10);
    world.store.failNext(1, { kind: 'Conflict', match: (call) => call.identity === 'pod-1' && call.verb === 'update' });
    const handed = track(leader.handOver('pod-2'));
    await world.clock.advance(5);
    const error = handed.error as HandOverError;
    expect(error.reason).toBe('conflict');
    expect(error.message).toContain('someone else wrote the lease first');
    expect(leader.isLeader()).toBe(false);
    // The lease still names pod-1: it re-reads, re-adopts, and leads only once that renew landed.
    await world.clock.advance(15);
    expect(leader.actor.getSnapshot().matches('renewing')).toBe(true);
    expect(leader.isLeader()).toBe(false);
    expect(opened).toEqual([]);
    await world.clock.advance(10);
    expect(leader.isLeader()).toBe(true);
    expect(opened[0]).toBe(world.record().renewTime! + 10); // when that renew, sent after the failed write, landed
    expect(world.record().holderIdentity).toBe('pod-1');
  });

  it('a failed write (store unavailable) rejects with the store error; re-adopting waits for a renew sent after it', async () => {
    const world = leaseWorld();
    const { leader } = await twoPrimaries(world);
    world.store.failNext(1, { kind: 'Unavailable', match: (call) => call.identity === 'pod-1' && call.verb === 'update' });
    const error = await rejection(leader.handOver('pod-2'));
    expect(error.reason).toBe('failed');
    expect(error.message).toContain('injected Unavailable');
    expect(leader.isLeader()).toBe(false);
    await world.clock.advance(100);
    expect(leader.isLeader()).toBe(true);
    expect(world.record().holderIdentity).toBe('pod-1');
  });

  it('a hand-over whose response was lost still hands over (the write landed): it is reported failed, the target leads', async () => {
    const world = leaseWorld();
    const { leader, target } = await twoPrimaries(world);
    world.store.failNext(1, { kind: 'Unavailable', afterApply: true, match: (call) => call.identity === 'pod-1' && call.verb === 'update' });
    expect((await rejection(leader.handOver('pod-2'))).reason).toBe('failed');
    await world.clock.advance(100);
    expect(target.isLeader()).toBe(true);
    expect(leader.isLeader()).toBe(false);
  });

  it('a target that never renews: rejects after leaseDuration, and the lease is taken over by expiry', async () => {
    const { world, leader, handed } = await handingOverToNobody();
    await world.clock.advance(14_999);
    expect(handed.settled).toBe(false);
    expect(world.record().holderIdentity).toBe('gone');
    await world.clock.advance(1);
    expect((handed.error as HandOverError).reason).toBe('timeout');
    expect((handed.error as HandOverError).message).toContain('an ordinary takeover follows');
    // The old leader, a candidate again, takes the expired lease over as anyone would.
    await world.clock.advance(100);
    expect(leader.isLeader()).toBe(true);
    expect(world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseTransitions: 4 });
  });

  it('another write after the hand-over (not the target renewing) rejects as overtaken', async () => {
    const { world, leader, handed } = await handingOverToNobody();
    await world.clock.advance(1_000);
    world.put({ holderIdentity: 'intruder', leaseTransitions: 3 });
    await world.clock.advance(0);
    expect((handed.error as HandOverError).reason).toBe('overtaken');
    expect((handed.error as HandOverError).message).toContain('"intruder"');
  });

  it('an abort after the write was sent rejects as abandoned; the hand-over goes on', async () => {
    const world = leaseWorld();
    const { leader, target } = await twoPrimaries(world);
    world.store.setLatency(10);
    const controller = new AbortController();
    const handed = track(leader.handOver('pod-2', { signal: controller.signal }));
    await world.clock.advance(1);
    controller.abort();
    await world.clock.advance(0);
    expect((handed.error as HandOverError).reason).toBe('abandoned');
    await world.clock.advance(100);
    expect(target.isLeader()).toBe(true);
  });

  it('waits for a renew in flight, then hands over from it', async () => {
    const world = leaseWorld();
    const { leader, target } = await twoPrimaries(world);
    world.store.setLatency(100);
    await world.clock.advance(2_050); // the next renew was sent 50 ms ago, it lands in 50
    expect(leader.actor.getSnapshot().matches('renewing')).toBe(true);
    const handed = track(leader.handOver('pod-2'));
    await world.clock.advance(0);
    expect(leader.isLeader()).toBe(true); // still leading until its renew landed
    await world.clock.advance(1_000);
    expect(handed).toMatchObject({ settled: true, error: undefined });
    expect(target.isLeader()).toBe(true);
    expect(world.store.requestCount('pod-1', 'update')).toBeGreaterThan(0);
  });

  it("an elector's run() returns after its hand-over; a LeaseLocker goes on as a candidate", async () => {
    const world = leaseWorld();
    const stopped: string[] = [];
    const elector = new LeaderElector({
      lock: world.lock('a'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      clock: world.clock,
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => stopped.push('a') },
    });
    const ran = track(elector.run());
    await world.clock.advance(0);
    expect(elector.isLeader()).toBe(true);
    const locker = new LeaseLocker({ locks: world.store, lease: world.ref, owner: 'b', clock: world.clock });
    const locked = track(locker.lock());
    await world.clock.advance(100);
    const handedToB = track(elector.handOver("b"));
    await world.clock.advance(100);
    expect(handedToB).toMatchObject({ settled: true, error: undefined });
    expect(locked.settled).toBe(true);
    expect(locker.isLeader()).toBe(true);
    await world.clock.advance(0);
    expect(ran.settled).toBe(true);
    expect(stopped).toEqual(['a']);
    expect(elector.actor.getSnapshot().context.stopReason).toBe('handedOver');
    // And back: the locker hands over to a new elector; it goes on as a candidate.
    const next = new LeaderElector({
      lock: world.lock('c'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      clock: world.clock,
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
    });
    track(next.run());
    await world.clock.advance(100);
    const handedToC = track(locker.handOver("c"));
    await world.clock.advance(100);
    expect(handedToC).toMatchObject({ settled: true, error: undefined });
    expect(next.isLeader()).toBe(true);
    expect(locker.actor.getSnapshot().matches({ acquiring: 'waiting' })).toBe(true);
  });

  it('a request on the lease (memory store: annotation, preferredHolder) makes the leader hand over; the write clears it', async () => {
    const world = leaseWorld();
    const { leader, target } = await twoPrimaries(world);
    world.store.requestHandOver(world.ref, 'pod-2', 'preferredHolder');
    await world.clock.advance(0);
    expect(leader.isLeader()).toBe(false);
    expect(target.isLeader()).toBe(true);
    expect(world.store.handOverRequestFields(world.ref)).toEqual({});
    // Back by annotation; one naming the holder itself is void and cleared by its next renew.
    world.store.requestHandOver(world.ref, 'pod-2', 'annotation');
    await world.clock.advance(0);
    expect(world.current()!.handOverTo).toBe('pod-2');
    expect(target.isLeader()).toBe(true);
    await world.clock.advance(2_000);
    expect(world.store.handOverRequestFields(world.ref)).toEqual({});
    world.store.requestHandOver(world.ref, 'pod-1', 'annotation');
    await world.clock.advance(0);
    expect(leader.isLeader()).toBe(true);
    expect(world.record().holderIdentity).toBe('pod-1');
  });

  it('between polling electors (watch: false, as client-go): the target adopts at its next poll, the leader learns by reading', async () => {
    const world = leaseWorld();
    const elector = (identity: string) =>
      new LeaderElector({
        lock: world.lock(identity),
        leaseDuration: 15_000,
        renewDeadline: 10_000,
        retryPeriod: 2_000,
        watch: false,
        clock: world.clock,
        random: () => 0.5,
        callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
      });
    const a = elector('a');
    track(a.run());
    await world.clock.advance(0);
    expect(a.isLeader()).toBe(true);
    const b = elector('b');
    track(b.run());
    await world.clock.advance(100);
    const handed = track(a.handOver('b'));
    await world.clock.advance(0);
    expect(world.record().holderIdentity).toBe('b');
    expect(b.isLeader()).toBe(false); // it has not looked yet
    await world.clock.advance(2 * 2_000 * 1.6); // b's next jittered poll, then a's
    expect(b.isLeader()).toBe(true);
    expect(handed).toMatchObject({ settled: true, error: undefined });
    expect(a.actor.getSnapshot().value).toBe('stopped');
  });
});
