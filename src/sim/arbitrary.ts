/**
 * fast-check generators for simulation schedules: 2-4 participants of both kinds on clocks with any
 * offset and rates within the safe tolerance, per-call faults, latency, a fault schedule, and
 * writes by third parties (forced releases and takeovers, malformed records, odd durations).
 * Shrinking drops events and lowers rates, so a failing schedule shrinks to a short story.
 */
import fc from 'fast-check';
import type { LeaseTiming } from '../lease/config.js';
import type { HandOverStory, SimAction, SimSchedule, ThirdPartyWrite } from './schedule.js';

const TIMINGS: LeaseTiming[] = [
  { leaseDuration: 6_000, renewDeadline: 4_000, retryPeriod: 1_000 },
  { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 },
];
const ACTIONS: SimAction[] = ['crash', 'restart', 'release', 'upgrade', 'partition', 'heal', 'dropWatch'];

/** Whole-second durations a third party writes reach 1.5 leaseDuration: the liveness bound allows for that. */
export const LONGEST_THIRD_PARTY_DURATION = 1.5;

const thirdPartyWrite: fc.Arbitrary<ThirdPartyWrite> = fc.record({
    holder: fc.constantFrom('nobody' as const, 'intruder' as const, 'same' as const, 'wrongType' as const),
    duration: fc.oneof(
      fc.constantFrom('missing' as const, 'zero' as const, 'string' as const),
      fc.integer({ min: 1, max: Math.floor((LONGEST_THIRD_PARTY_DURATION * Math.max(...TIMINGS.map((t) => t.leaseDuration))) / 1000) }),
    ),
    transitions: fc.constantFrom('kept' as const, 'next' as const, 'string' as const, 'fraction' as const, 'max' as const),
  });

const handOverVia = fc.constantFrom<HandOverStory['via']>('call', 'annotation', 'preferredHolder');
const handOverStory: fc.Arbitrary<HandOverStory> = fc.record({
  via: handOverVia,
  target: fc.constantFrom<HandOverStory['target']>('alive', 'dead', 'partitioned', 'competingRelease'),
});

/** Whole seconds a third party writes, at most LONGEST_THIRD_PARTY_DURATION times the lease's. */
const withinLongest = (write: ThirdPartyWrite, timing: LeaseTiming): ThirdPartyWrite =>
  typeof write.duration === 'number'
    ? { ...write, duration: Math.min(write.duration, Math.floor((LONGEST_THIRD_PARTY_DURATION * timing.leaseDuration) / 1000)) }
    : write;

export interface ScheduleLimits {
  /** Longest faulty phase, ms. */
  maxDuration: number;
  maxEvents: number;
  /** Largest clock rate spread: max/min rate. Safe below leaseDuration / renewDeadline (1.5). */
  maxRateRatio: number;
}

export const DEFAULT_LIMITS: ScheduleLimits = { maxDuration: 60_000, maxEvents: 12, maxRateRatio: 1.45 };

export function scheduleArbitrary(limits: ScheduleLimits = DEFAULT_LIMITS): fc.Arbitrary<SimSchedule> {
  const low = 1 / Math.sqrt(limits.maxRateRatio);
  const high = Math.sqrt(limits.maxRateRatio);
  return fc
    .record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      timing: fc.constantFrom(...TIMINGS),
      participants: fc.array(
        fc.record({
          kind: fc.constantFrom('primary' as const, 'elector' as const),
          offset: fc.integer({ min: -3_600_000, max: 3_600_000 }),
          rate: fc.double({ min: low, max: high, noNaN: true }),
        }),
        { minLength: 2, maxLength: 4 },
      ),
      faults: fc.record({
        unavailableRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
        timeoutAfterCommitRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
        conflictRate: fc.double({ min: 0, max: 0.05, noNaN: true }),
        latency: fc.record({ min: fc.integer({ min: 0, max: 20 }), spread: fc.integer({ min: 0, max: 200 }) }),
      }),
      events: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: limits.maxDuration }),
          action: fc.constantFrom(...ACTIONS),
          target: fc.nat(3),
        }),
        { maxLength: limits.maxEvents },
      ),
      // Stories: the leader is cut off long enough to be replaced, comes back, and at once does
      // something that must not hurt its successor (release, upgrade, crash) or loses its watch.
      stories: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: limits.maxDuration }),
          cutOffFor: fc.integer({ min: 2_000, max: 20_000 }),
          then: fc.constantFrom<SimAction>('release', 'upgrade', 'crash', 'dropWatch'),
          after: fc.integer({ min: 0, max: 1_500 }),
        }),
        { maxLength: 3 },
      ),
      thirdParty: fc.array(fc.record({ at: fc.integer({ min: 0, max: limits.maxDuration }), write: thirdPartyWrite }), {
        maxLength: 4,
      }),
      handOvers: fc.array(fc.record({ at: fc.integer({ min: 0, max: limits.maxDuration }), target: fc.nat(3), story: handOverStory }), {
        maxLength: 3,
      }),
      duration: fc.integer({ min: 10_000, max: limits.maxDuration }),
      quietHandOver: fc.option(fc.record({ after: fc.integer({ min: 0, max: 60_000 }), via: handOverVia }), { nil: undefined }),
      quietRelease: fc.option(fc.record({ after: fc.integer({ min: 0, max: 60_000 }) }), { nil: undefined }),
    })
    .map(({ participants, faults, events, stories, thirdParty, handOvers, timing, quietHandOver, quietRelease, ...rest }) => ({
      timing,
      ...rest,
      participants: participants.map((p, i) => ({ ...p, identity: `pod-${i + 1}` })),
      faults: {
        unavailableRate: faults.unavailableRate,
        timeoutAfterCommitRate: faults.timeoutAfterCommitRate,
        conflictRate: faults.conflictRate,
        latency: { min: faults.latency.min, max: faults.latency.min + faults.latency.spread },
      },
      events: [
        ...events,
        ...stories.map(({ at, ...story }) => ({ at, action: 'isolateLeader' as const, target: 0, story })),
        ...thirdParty.map(({ at, write }) => ({ at, action: 'thirdParty' as const, target: 0, write: withinLongest(write, timing) })),
        ...handOvers.map(({ at, target, story }) => ({ at, action: 'handOver' as const, target, handOver: story })),
      ].map((e) => ({ ...e, target: e.target % participants.length })),
      ...(quietHandOver ? { quietHandOver: { ...quietHandOver, after: quietHandOver.after % (2 * timing.leaseDuration) } } : {}),
      ...(quietRelease ? { quietRelease: { after: quietRelease.after % (2 * timing.leaseDuration) } } : {}),
    }));
}
