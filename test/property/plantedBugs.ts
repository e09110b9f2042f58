/**
 * Deliberately broken variants of the participant, swapped in through `implementations` (XState's
 * .provide()): the fault simulation must catch every one of them.
 */
import { fromPromise } from 'xstate';
import type { LeaseCallInput, LeaseCallOutput, ParticipantContext } from '../../machines/leaseParticipant.js';
import { claimedRecord, releasedRecord, renewedRecord } from '../../src/lease/records.js';
import type { RuntimeOptions } from '../../src/runtime/participant.js';
import { MAX_TIMER_DELAY } from '../../src/time/clock.js';

type Override = NonNullable<RuntimeOptions['implementations']>;

/** A delay until local time `at`, as the runtime's delays are. */
const until = (clock: { now(): number }, at: number) => Math.min(MAX_TIMER_DELAY, Math.max(0, at - clock.now()));

export const plantedBugs: Record<string, { override: Override; expect: string[] }> = {
  /** Judges expiry by the holder's renewTime against the local clock: wrong under clock offset. */
  'trusts the remote renewTime': {
    expect: ['overlap', 'nonHolderWrite'],
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
    expect: ['overlap', 'nonHolderWrite'],
    override: (defaults) => ({
      ...defaults,
      guards: { ...defaults.guards, pastRenewDeadline: () => false },
      delays: { ...defaults.delays, untilRenewDeadline: () => MAX_TIMER_DELAY },
    }),
  },
  /** A leader that stops watching its lease: another client's write reaches it only at its next renew. */
  'ignores its lease while leading': {
    expect: ['removal', 'nonHolderWrite', 'overlap'],
    override: (defaults) => ({
      ...defaults,
      guards: { ...defaults.guards, removedByNewerWrite: () => false },
    }),
  },
  /** Waits only the record's own duration: a holder without one counts as expired at once. */
  "waits only the record's duration": {
    expect: ['overlap', 'nonHolderWrite'],
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
    expect: ['malformedWrite'],
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
    expect: ['nonHolderWrite', 'overlap'],
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
    expect: ['handOverTarget'],
    override: (defaults, { lock, clock }) => ({
      ...defaults,
      actors: {
        ...defaults.actors,
        renewLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input }) => {
          const observed = input.observed!;
          if (observed.record.acquireTime === observed.record.renewTime) await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 1_000));
          const at = clock.now();
          return { lease: await lock.update(renewedRecord(observed.record, lock.identity, input.config, at), observed.resourceVersion), at };
        }),
      },
    }),
  },
};
