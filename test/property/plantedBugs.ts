/**
 * Deliberately broken variants of the participant, swapped in through `implementations` (XState's
 * .provide()): the fault simulation must catch every one of them, each as the invariant it breaks
 * (`invariant`), within `within` generated schedules. Every invariant of src/sim/invariants.ts has
 * at least one (safety.test.ts checks that too), so each check is seen to fire.
 */
import { fromPromise } from 'xstate';
import type { LeaseCallInput, LeaseCallOutput, ParticipantContext } from '../../machines/leaseParticipant.js';
import { claimedRecord, releasedRecord, renewedRecord } from '../../src/lease/records.js';
import type { ParticipantRuntimeOptions } from '../../src/runtime/participant.js';
import type { InvariantName } from '../../src/sim/invariants.js';
import type { Clock } from '../../src/time/clock.js';
import { MAX_TIMER_DELAY } from '../../src/time/clock.js';

type Override = NonNullable<ParticipantRuntimeOptions['implementations']>;

/** A delay until local time `at`, as the runtime's delays are. */
const until = (clock: { now(): number }, at: number) => Math.min(MAX_TIMER_DELAY, Math.max(0, at - clock.now()));

/** Resolves after `ms` on the participant's own clock. */
const dawdle = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimeout(() => resolve(), ms));

export interface PlantedBug {
  /** The invariant that must catch it. */
  invariant: InvariantName;
  /** It must be caught within this many generated schedules (fast-check seed 7). */
  within: number;
  override: Override;
}

export const plantedBugs: Record<string, PlantedBug> = {
  /** Judges expiry by the holder's renewTime against the local clock: wrong under clock offset. */
  'trusts the remote renewTime': {
    invariant: 'overlap',
    within: 10,
    override: (defaults, { clock }) => ({
      ...defaults,
      delays: {
        ...defaults.delays,
        untilObservedExpiry: ({ context }: { context: ParticipantContext }) => {
          const record = context.observed?.record;
          if (!record || record.renewTime === null) return defaults.delays.untilObservedExpiry({ context });
          return until(clock, record.renewTime + record.leaseDurationSeconds * 1000);
        },
      },
    }),
  },
  /** Keeps acting as leader however long its renewals fail. */
  'keeps acting past renewDeadline': {
    invariant: 'overlap',
    within: 20,
    override: (defaults) => ({
      ...defaults,
      guards: { ...defaults.guards, pastRenewDeadline: () => false },
      delays: { ...defaults.delays, untilRenewDeadline: () => MAX_TIMER_DELAY },
    }),
  },
  /** A leader that stops watching its lease: another client's write reaches it only at its next renew. */
  'ignores its lease while leading': {
    invariant: 'removal',
    within: 20,
    override: (defaults) => ({
      ...defaults,
      guards: { ...defaults.guards, removedByNewerWrite: () => false },
    }),
  },
  /** Waits only the record's own duration: a holder without one counts as expired at once. */
  "waits only the record's duration": {
    invariant: 'overlap',
    within: 100,
    override: (defaults, { clock }) => ({
      ...defaults,
      delays: {
        ...defaults.delays,
        untilObservedExpiry: ({ context }: { context: ParticipantContext }) => {
          const { observed, observedAt } = context;
          return observed && observedAt !== null ? until(clock, observedAt + observed.record.leaseDurationSeconds * 1000) : MAX_TIMER_DELAY;
        },
      },
    }),
  },
  /** Counts leaseTransitions past the int32 maximum instead of saturating. */
  'overflows the term': {
    invariant: 'malformedWrite',
    within: 30,
    override: (defaults, { lock, clock }) => ({
      ...defaults,
      actors: {
        ...defaults.actors,
        claimLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input }) => {
          const at = clock.now();
          const observed = input.observed!;
          const record = { ...claimedRecord(observed.record, lock.identity, input.config, at), leaseTransitions: observed.record.leaseTransitions + 1 };
          return { lease: await lock.update(record, observed.resourceVersion), at };
        }),
      },
    }),
  },
  /** Releases with whatever resourceVersion is current instead of the one it holds the lease at. */
  'releases without the conditional update': {
    invariant: 'nonHolderWrite',
    within: 400,
    override: (defaults, { lock, clock }) => ({
      ...defaults,
      actors: {
        ...defaults.actors,
        releaseLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input }) => {
          const at = clock.now();
          const current = await lock.get();
          return { lease: await lock.update(releasedRecord(current.record, input.config, at), current.resourceVersion), at };
        }),
      },
    }),
  },
  /** A target that dawdles a second before its confirming renew (any renew of a record just claimed or handed over). */
  'confirms a hand-over late': {
    invariant: 'handOverTarget',
    within: 10,
    override: (defaults, { lock, clock }) => ({
      ...defaults,
      actors: {
        ...defaults.actors,
        renewLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input }) => {
          const observed = input.observed!;
          if (observed.record.acquireTime === observed.record.renewTime) await dawdle(clock, 1_000);
          const at = clock.now();
          return { lease: await lock.update(renewedRecord(observed.record, lock.identity, input.config, at), observed.resourceVersion), at };
        }),
      },
    }),
  },
  /** Writes leaseTransitions 0 when it hands the lease back, as if the count started over. */
  'resets the term when it releases': {
    invariant: 'transitions',
    within: 10,
    override: (defaults, { lock, clock }) => ({
      ...defaults,
      actors: {
        ...defaults.actors,
        releaseLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input }) => {
          const at = clock.now();
          const observed = input.observed!;
          const record = { ...releasedRecord(observed.record, input.config, at), leaseTransitions: 0 };
          return { lease: await lock.update(record, observed.resourceVersion), at };
        }),
      },
    }),
  },
  /** Never takes over a lease another holds, however long it stays unchanged: safe, but a lost holder is never replaced. */
  'never takes over an expired lease': {
    invariant: 'liveness',
    within: 60,
    override: (defaults) => ({
      ...defaults,
      delays: { ...defaults.delays, untilObservedExpiry: () => MAX_TIMER_DELAY },
    }),
  },
  /** Dawdles a second (on its own clock) between ending its window and sending its release. */
  'releases a second late': {
    invariant: 'handOver',
    within: 10,
    override: (defaults, { lock, clock }) => ({
      ...defaults,
      actors: {
        ...defaults.actors,
        releaseLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input }) => {
          await dawdle(clock, 1_000);
          const at = clock.now();
          const observed = input.observed!;
          return { lease: await lock.update(releasedRecord(observed.record, input.config, at), observed.resourceVersion), at };
        }),
      },
    }),
  },
};
