/**
 * The implementations behind the participant machine's named actors and clock-dependent delays,
 * bound to one LeaseLock and one Clock. Reads are stamped when the answer arrives (that is when the
 * record was seen); writes are stamped when sent (that is the renewTime they carry, and the moment
 * our leadership window is measured from).
 */
import { NEVER, map } from 'rxjs';
import { fromEventObservable, fromPromise } from 'xstate';
import {
  type LeaseCallInput,
  type LeaseCallOutput,
  type ParticipantContext,
  type ParticipantEvent,
  windowCloses,
} from '../../machines/leaseParticipant.js';
import type { ParticipantConfig } from '../lease/config.js';
import { LeaseUnavailableError } from '../lease/errors.js';
import type { ObservedLease } from '../lease/record.js';
import { claimedRecord, createdRecord, releasedRecord, renewedRecord } from '../lease/records.js';
import type { LeaseLock } from '../lock/leaseLock.js';
import { type Clock, MAX_TIMER_DELAY } from '../time/clock.js';

const clampDelay = (ms: number) => Math.min(MAX_TIMER_DELAY, Math.max(0, ms));

/** A write of the lease we observed: needs the observed record and its resourceVersion. */
function mustHaveObserved(input: LeaseCallInput): ObservedLease {
  if (!input.observed) throw new Error('no observed lease to write over');
  return input.observed;
}

/** Every store call is bounded: max(1 s, renewDeadline / 2), so one hung call cannot eat the deadline. */
export const requestTimeout = (config: ParticipantConfig) => Math.max(1000, config.renewDeadline / 2);

export function participantImplementations(lock: LeaseLock, clock: Clock, random: () => number = Math.random) {
  /** `signal` (the invoke's: aborts when its state exits) plus the request timeout, on our clock. */
  async function bounded<T>(signal: AbortSignal, config: ParticipantConfig, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeout = requestTimeout(config);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = clock.setTimeout(
      () =>
        controller.abort(
          new LeaseUnavailableError(`the lease store did not answer within ${timeout} ms`, {
            lease: lock.describe(),
            identity: lock.identity,
          }),
        ),
      timeout,
    );
    try {
      return await call(controller.signal);
    } finally {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  const write = (send: (input: LeaseCallInput, at: number, signal: AbortSignal) => Promise<ObservedLease>) =>
    fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input, signal }) => {
      const at = clock.now();
      return { lease: await bounded(signal, input.config, (bound) => send(input, at, bound)), at };
    });

  return {
    actors: {
      readLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input, signal }) => {
        const lease = await bounded(signal, input.config, (bound) => lock.get(bound));
        return { lease, at: clock.now() };
      }),
      createLease: write(({ config }, at, signal) => lock.create(createdRecord(lock.identity, config, at), signal)),
      claimLease: write((input, at, signal) => {
        const observed = mustHaveObserved(input);
        return lock.update(claimedRecord(observed.record, lock.identity, input.config, at), observed.resourceVersion, signal);
      }),
      renewLease: write((input, at, signal) => {
        const observed = mustHaveObserved(input);
        return lock.update(renewedRecord(observed.record, lock.identity, input.config, at), observed.resourceVersion, signal);
      }),
      releaseLease: write((input, at, signal) => {
        const observed = mustHaveObserved(input);
        return lock.update(releasedRecord(observed.record, input.config, at), observed.resourceVersion, signal);
      }),
      watchLease: fromEventObservable<ParticipantEvent, LeaseCallInput>(({ input }) =>
        input.config.watch
          ? lock.watch().pipe(
              map((event): ParticipantEvent =>
                event.type === 'observed'
                  ? { type: 'LEASE_OBSERVED', lease: event.lease, at: clock.now() }
                  : { type: 'WATCH_DOWN', reason: event.error.message, at: clock.now() },
              ),
            )
          : NEVER,
      ),
    },
    guards: {
      pastRenewDeadline: ({ context }: { context: ParticipantContext }) => windowCloses(context) <= clock.now(),
    },
    delays: {
      untilObservedExpiry: ({ context }: { context: ParticipantContext }) => {
        const { observed, observedAt } = context;
        if (!observed || observedAt === null) return MAX_TIMER_DELAY;
        return clampDelay(observedAt + observed.record.leaseDurationSeconds * 1000 - clock.now());
      },
      untilRenewDeadline: ({ context }: { context: ParticipantContext }) => clampDelay(windowCloses(context) - clock.now()),
      pollInterval: ({ context }: { context: ParticipantContext }) =>
        context.config.retryPeriod * (1 + random() * context.config.jitterFactor),
    },
  };
}

export type ParticipantImplementations = ReturnType<typeof participantImplementations>;
