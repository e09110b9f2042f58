/**
 * The participant's context stays narrow. XState builds a new context on every assign with
 * Object.assign({}, context, update); V8 gives such a copy of an object wider than 19 fields slow
 * (dictionary-mode) properties, and every later assign and read on it pays for that: one field
 * more made the fault simulation 1.5x slower (bench/soak.ts). New state belongs in an existing
 * field or a nested object.
 */
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

describe('participant context', () => {
  it('has at most 19 fields, before and after leading', async () => {
    const world = leaseWorld();
    const elector = new LeaderElector({
      lock: world.lock('a'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
      clock: world.clock,
    });
    expect(Object.keys(elector.actor.getSnapshot().context).length).toBeLessThanOrEqual(19);
    track(elector.run());
    await world.clock.advance(20_000);
    expect(elector.isLeader()).toBe(true);
    expect(Object.keys(elector.actor.getSnapshot().context).length).toBeLessThanOrEqual(19);
  });
});
