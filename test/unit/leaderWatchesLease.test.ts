/**
 * A leader keeps watching its lease (issue 13): a third-party write that removes it — a forced
 * release (holder "") or takeover — ends its window at the watch delivery, not at its next renew,
 * and PrimaryLease's fatal preemption fires then. Through the public facades on the virtual clock;
 * the same over HTTP is in test/integration/leaderWatchesLeaseOverHttp.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import { isLeading, leaseParticipantMachine, type LeaseCallInput, type LeaseCallOutput, type ParticipantEvent } from '../../machines/leaseParticipant.js';
import { BASE_DEFAULTS } from '../../src/lease/config.js';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { LeaseLocker } from '../../src/api/leaseLocker.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { leaseApiError, type LeadershipError } from '../../src/lease/errors.js';
import type { ObservedLease } from '../../src/lease/record.js';
import { MemoryLeaseStore } from '../../src/memory/leaseStore.js';
import { participantImplementations } from '../../src/runtime/participantImplementations.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

type World = ReturnType<typeof leaseWorld>;

const version = (holder: string, resourceVersion: number): ObservedLease => ({
  record: { holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: 0, renewTime: 0, leaseTransitions: 1 },
  resourceVersion: String(resourceVersion),
});

/** A leading PrimaryLease that last renewed just now, with its fatal errors collected. */
async function leadingPrimary(world: World) {
  world.put({ holderIdentity: '', leaseTransitions: 4 });
  const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
  const fatal: LeadershipError[] = [];
  primary.onFatal((error) => fatal.push(error));
  await primary.acquire();
  await world.clock.advance(2_000); // one renew: the next is 2 s away
  return { primary, fatal, signal: primary.leadershipSignal! };
}

describe('a leader watching its lease', () => {
  it('a forced release (holder "") aborts the signal at the watch delivery and is fatal for PrimaryLease', async () => {
    const world = leaseWorld();
    const { primary, fatal, signal } = await leadingPrimary(world);
    const updates = world.store.requestCount('pod-1', 'update');
    world.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 5 });
    expect(signal.aborted).toBe(false); // delivery is asynchronous, as over a network
    await world.clock.advance(0);
    expect(signal.aborted).toBe(true);
    expect(primary.isLeader()).toBe(false);
    expect(fatal.map((e) => e.message)).toEqual([expect.stringContaining('held by nobody ("") after we lost it')]);
    expect(primary.actor.getSnapshot().value).toBe('stopped');
    expect(world.store.requestCount('pod-1', 'update')).toBe(updates); // it never wrote again
    expect(world.record().holderIdentity).toBe('');
  });

  it('a forced takeover ends an elector\'s leadership at once: signal aborted, onStoppedLeading, run() returns', async () => {
    const world = leaseWorld();
    const stopped: string[] = [];
    let signal: AbortSignal | undefined;
    const elector = new LeaderElector({
      lock: world.lock('a'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      callbacks: { onStartedLeading: (s) => void (signal = s), onStoppedLeading: () => stopped.push('stopped') },
      clock: world.clock,
    });
    const ran = track(elector.run());
    await world.clock.advance(3_000);
    expect(elector.isLeader()).toBe(true);
    world.put({ holderIdentity: 'intruder', leaseTransitions: 9 });
    await world.clock.advance(0);
    expect(signal!.aborted).toBe(true);
    expect((signal!.reason as Error).message).toContain('another holder took the lease');
    expect(elector.isLeader()).toBe(false);
    expect(ran.settled).toBe(true);
    expect(stopped).toEqual(['stopped']);
    expect(world.record().holderIdentity).toBe('intruder');
  });

  it('a LeaseLocker loses its lock signal at the delivery and competes again', async () => {
    const world = leaseWorld();
    const locker = new LeaseLocker({ locks: world.store, lease: world.ref, owner: 'worker-1', clock: world.clock });
    await locker.lock();
    const signal = locker.leadershipSignal!;
    world.put({ holderIdentity: 'worker-2', leaseDurationSeconds: 60, leaseTransitions: 3 });
    await world.clock.advance(0);
    expect(signal.aborted).toBe(true);
    expect(locker.actor.getSnapshot().matches('acquiring')).toBe(true);
  });

  it('a write that keeps us as holder (another client touched the record) is adopted: the next renew needs no conflict', async () => {
    const world = leaseWorld();
    const { primary, signal } = await leadingPrimary(world);
    const current = world.record();
    world.put({ ...current, leaseDurationSeconds: 30 });
    await world.clock.advance(0);
    expect(signal.aborted).toBe(false);
    await world.clock.advance(2_000);
    expect(primary.isLeader()).toBe(true);
    expect(primary.actor.getSnapshot().context.counters.conflicts).toBe(0);
    expect(world.record()).toMatchObject({ holderIdentity: 'pod-1', leaseDurationSeconds: 15 });
  });

  it('its own renewals echoed back by the watch change nothing', async () => {
    const world = leaseWorld();
    const { primary, signal, fatal } = await leadingPrimary(world);
    const reads = world.store.requestCount('pod-1', 'get');
    await world.clock.advance(10 * 60_000);
    expect(signal.aborted).toBe(false);
    expect(fatal).toEqual([]);
    expect(primary.actor.getSnapshot().context.counters).toMatchObject({ losses: 0, conflicts: 0 });
    expect(world.store.requestCount('pod-1', 'get')).toBe(reads); // no read: the watch and the cache suffice
  });

  it('an echo of the version it already holds costs no machine step; another client\'s write still arrives', async () => {
    const world = leaseWorld();
    world.store.setLatency((call) => (call.verb === 'get' ? 20 : 2)); // each echo lands after its renew's answer
    world.put({ holderIdentity: '', leaseTransitions: 4 });
    const delivered: { state: string; version: string | undefined; held: string | undefined }[] = [];
    const primary: PrimaryLease = new PrimaryLease({
      lock: world.lock('pod-1'),
      clock: world.clock,
      inspect: (inspection) => {
        if (inspection.type !== '@xstate.event' || inspection.event.type !== 'LEASE_OBSERVED') return;
        const before = primary.actor.getSnapshot(); // the participant as the delivery finds it
        delivered.push({
          state: typeof before.value === 'string' ? before.value : Object.keys(before.value)[0]!,
          version: (inspection.event as ParticipantEvent & { type: 'LEASE_OBSERVED' }).lease?.resourceVersion,
          held: before.context.observed?.resourceVersion,
        });
      },
    });
    const acquired = track(primary.acquire());
    await world.clock.advance(60_000);
    expect(acquired.settled).toBe(true);
    expect(primary.actor.getSnapshot().context.counters.renewals).toBeGreaterThanOrEqual(25);
    expect(delivered.filter((d) => /leading|renewing/.test(d.state) && d.version === d.held)).toEqual([]);
    world.store.dropWatches(); // the watch comes back announcing the version held: that one says it is up
    await world.clock.advance(world.store.watchReconnectDelay + 20);
    expect(primary.actor.getSnapshot().context.watchUp).toBe(true);
    const intruder = world.put({ holderIdentity: 'intruder', leaseTransitions: 9 });
    await world.clock.advance(20);
    expect(delivered.at(-1)).toMatchObject({ version: intruder.resourceVersion });
    expect(primary.isLeader()).toBe(false);
  });

  it('a claim another client overwrote before its answer came opens no window, even if our own write is delivered after that one', async () => {
    const clock = new VirtualClock();
    let answer: ((output: LeaseCallOutput) => void) | undefined;
    const real = participantImplementations(new MemoryLeaseStore(clock).lockFor({ namespace: 'd', name: 'l' }, 'me'), clock, () => 0);
    const machine = leaseParticipantMachine.provide({
      ...real,
      actors: {
        ...real.actors,
        readLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async () => ({ lease: version('', 1), at: clock.now() })),
        claimLease: fromPromise<LeaseCallOutput, LeaseCallInput>(() => new Promise((resolve) => (answer = resolve))),
      },
    });
    const actor = createActor(machine, { input: { identity: 'me', config: { ...BASE_DEFAULTS, watch: false } }, clock }).start();
    actor.send({ type: 'ACQUIRE' });
    await clock.advance(0);
    expect(actor.getSnapshot().matches({ acquiring: 'claiming' })).toBe(true);
    actor.send({ type: 'LEASE_OBSERVED', lease: version('', 3), at: clock.now() }); // another client freed it after our claim (version 2)
    actor.send({ type: 'LEASE_OBSERVED', lease: version('me', 2), at: clock.now() }); // our claim, delivered late
    answer!({ lease: version('me', 2), at: clock.now() });
    await clock.advance(0);
    expect(isLeading(actor.getSnapshot())).toBe(false);
    expect(actor.getSnapshot().context.observed?.resourceVersion).toBe('3');
    actor.stop();
  });

  it('a claim whose lease another client deleted before its answer came opens no window; a create over nothing still leads', async () => {
    const clock = new VirtualClock();
    const answers: ((output: LeaseCallOutput) => void)[] = [];
    const real = participantImplementations(new MemoryLeaseStore(clock).lockFor({ namespace: 'd', name: 'l' }, 'me'), clock, () => 0);
    const held = () => new Promise<LeaseCallOutput>((resolve) => answers.push(resolve));
    const start = (read: ObservedLease | null) => {
      const machine = leaseParticipantMachine.provide({
        ...real,
        actors: {
          ...real.actors,
          readLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async () => {
            if (read === null) throw leaseApiError('NotFound', 'no lease yet');
            return { lease: read, at: clock.now() };
          }),
          claimLease: fromPromise<LeaseCallOutput, LeaseCallInput>(held),
          createLease: fromPromise<LeaseCallOutput, LeaseCallInput>(held),
        },
      });
      return createActor(machine, { input: { identity: 'me', config: { ...BASE_DEFAULTS, watch: false } }, clock }).start();
    };
    const claimer = start(version('', 1));
    claimer.send({ type: 'ACQUIRE' });
    await clock.advance(0);
    expect(claimer.getSnapshot().matches({ acquiring: 'claiming' })).toBe(true);
    claimer.send({ type: 'LEASE_OBSERVED', lease: null, at: clock.now() }); // deleted after our claim (version 2) landed
    answers.shift()!({ lease: version('me', 2), at: clock.now() });
    await clock.advance(0);
    expect(isLeading(claimer.getSnapshot())).toBe(false);
    expect(claimer.getSnapshot().matches({ acquiring: 'claiming' })).toBe(true); // it read again (this read says free) and claims anew
    expect(answers).toHaveLength(1);
    claimer.stop();

    const creator = start(null);
    creator.send({ type: 'ACQUIRE' });
    await clock.advance(0);
    expect(creator.getSnapshot().matches({ acquiring: 'creating' })).toBe(true);
    creator.send({ type: 'LEASE_OBSERVED', lease: null, at: clock.now() }); // still missing, as when the create was sent
    answers.pop()!({ lease: version('me', 1), at: clock.now() });
    await clock.advance(0);
    expect(isLeading(creator.getSnapshot())).toBe(true);
    creator.stop();
  });
});
