/**
 * Malformed Lease objects are read as client-go reads them (zero values) and never crash an actor;
 * a holder with an unusable duration still holds the lease for the candidate's own leaseDuration.
 */
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { leaseSpecToLockRecord, lockRecordToLeaseSpec } from '../../src/lease/spec.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

const callbacks = { onStartedLeading: () => {}, onStoppedLeading: () => {} };

describe('malformed leases', () => {
  const elector = (world: ReturnType<typeof leaseWorld>) =>
    new LeaderElector({
      lock: world.lock('a'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      callbacks,
      clock: world.clock,
    });

  // Omitted fields are legal (read as zero values); the others are malformed and also counted.
  it.each([
    ['missing spec', undefined, false],
    ['empty spec', {}, false],
    ['null holder', { holderIdentity: null, leaseDurationSeconds: 15 }, false],
    ['holder of the wrong type', { holderIdentity: 7, leaseDurationSeconds: 15 }, true],
    ['negative transitions', { holderIdentity: '', leaseTransitions: -3 }, true],
    ['not an object', 'lease', true],
  ])('%s: read as free and taken at once', async (_, spec, malformed) => {
    const world = leaseWorld();
    world.store.putRaw(world.ref, spec);
    const le = elector(world);
    track(le.run());
    await world.clock.advance(0);
    expect(le.isLeader()).toBe(true);
    expect(world.record().holderIdentity).toBe('a');
    expect(world.record().leaseTransitions).toBeGreaterThanOrEqual(1);
    expect(le.actor.getSnapshot().context.counters.malformedReads > 0).toBe(malformed);
  });

  // A holder with an unusable duration is still a holder: the candidate waits its own leaseDuration.
  it.each([
    ['no duration', { holderIdentity: 'ghost' }, false],
    ['zero duration', { holderIdentity: 'ghost', leaseDurationSeconds: 0 }, true],
    ['negative duration', { holderIdentity: 'ghost', leaseDurationSeconds: -5 }, true],
    ['fractional duration', { holderIdentity: 'ghost', leaseDurationSeconds: 1.5 }, true],
    ['huge duration', { holderIdentity: 'ghost', leaseDurationSeconds: 1e300 }, true],
    ['string duration', { holderIdentity: 'ghost', leaseDurationSeconds: '15' }, true],
    ['unparsable times and no duration', { holderIdentity: 'ghost', renewTime: 'yesterday', acquireTime: 42 }, true],
  ])("%s: a held lease is taken only after the candidate's own leaseDuration unchanged", async (_, spec, malformed) => {
    const world = leaseWorld();
    world.store.putRaw(world.ref, spec);
    const le = elector(world);
    track(le.run());
    await world.clock.advance(14_999);
    expect(le.isLeader()).toBe(false);
    expect(world.record().holderIdentity).toBe('ghost');
    await world.clock.advance(1);
    expect(le.isLeader()).toBe(true);
    expect(world.record().holderIdentity).toBe('a');
    expect(le.actor.getSnapshot().context.counters.malformedReads > 0).toBe(malformed);
  });

  it('reads zero values for unusable fields and writes MicroTime with six fractional digits', () => {
    expect(leaseSpecToLockRecord({ holderIdentity: null, leaseDurationSeconds: -1, renewTime: 'x' })).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 0,
      acquireTime: null,
      renewTime: null,
      leaseTransitions: 0,
    });
    const spec = lockRecordToLeaseSpec({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: Date.UTC(2026, 10, 23, 17, 49, 12, 704) + 0.123,
      renewTime: Date.UTC(2026, 10, 23, 17, 49, 12, 5),
      leaseTransitions: 2,
    });
    expect(spec.acquireTime).toBe('2026-11-23T17:49:12.704123Z');
    expect(spec.renewTime).toBe('2026-11-23T17:49:12.005000Z');
    expect(leaseSpecToLockRecord(spec).renewTime).toBe(Date.UTC(2026, 10, 23, 17, 49, 12, 5));
  });
});
