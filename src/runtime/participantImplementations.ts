/**
 * The implementations behind the participant machine's named actors and clock-dependent delays,
 * acting through a ParticipantRuntime (one LeaseLock, one Clock). Reads are stamped when the answer arrives (that is when the
 * record was seen); writes are stamped when sent (that is the renewTime they carry, and the moment
 * our leadership window is measured from).
 */
import { NEVER, filter, map } from 'rxjs';
import { type SnapshotFrom, fromEventObservable, fromPromise } from 'xstate';
import {
  type LeaseCallInput,
  type LeaseCallOutput,
  type ParticipantContext,
  type ParticipantEvent,
  leaseParticipantMachine,
  takeoverAllowedAt,
  windowCloses,
} from '../../machines/leaseParticipant.js';
import { type ParticipantConfig, requestTimeout } from '../lease/config.js';
import { LeaseUnavailableError } from '../lease/errors.js';
import type { ObservedLease } from '../lease/record.js';
import { claimedRecord, createdRecord, releasedRecord, renewedRecord } from '../lease/records.js';
import { boundedCall } from '../time/boundedCall.js';
import type { LeaseLock } from '../ports/leaseLock.js';
import { type Clock, clampDelay } from '../time/clock.js';

/** A write of the lease we observed: needs the observed record and its resourceVersion. */
function mustHaveObserved(input: LeaseCallInput): ObservedLease {
  if (!input.observed) throw new Error('no observed lease to write over');
  return input.observed;
}

/**
 * A watch delivery that cannot change a participant holding the lease: the version it already
 * holds (its own write's answer, echoed back by its own watch) while it leads or renews with the
 * watch up. The machine would only note that the watch is up (observeIfNewer); removedByNewerWrite
 * and claimOvertaken act only on a newer version, so every foreign write still reaches them. (An
 * echo arriving before the write's answer is newer than what is held: it still goes through.)
 */
function repeatsHeldVersion(snapshot: SnapshotFrom<typeof leaseParticipantMachine>, lease: ObservedLease | null): boolean {
  const { observed, watchUp } = snapshot.context;
  return (
    lease !== null &&
    observed !== null &&
    watchUp &&
    lease.resourceVersion === observed.resourceVersion &&
    snapshot.status === 'active' &&
    (snapshot.matches('leading') || snapshot.matches('renewing'))
  );
}

/** Answers the protocol expects (the store was reached and said no): not a failure of the store. */
const ANSWERS = new Set(['NotFound', 'Conflict', 'AlreadyExists']);

/** The store call an actor makes, for reporting its outcome. */
export type StoreVerb = 'get' | 'create' | 'update';

/** Told the outcome of every store call (the participant's outage log listens). */
export interface StoreCallListener {
  answered(verb: StoreVerb): void;
  failed(verb: StoreVerb, error: unknown): void;
}

const NOBODY: StoreCallListener = { answered: () => {}, failed: () => {} };

/** What the implementations act with: one participant's lock, clock and randomness. */
export class ParticipantRuntime {
  constructor(
    readonly lock: LeaseLock,
    readonly clock: Clock,
    readonly random: () => number = Math.random,
    readonly calls: StoreCallListener = NOBODY,
  ) {}

  /** Snapshots carry the handle in their context; inspectors serialise it as this, not the lock. */
  toJSON(): string {
    return `runtime of ${this.lock.identity} on ${this.lock.describe()}`;
  }
}

/**
 * The implementations, finding the runtime to act with through `resolve` (given the handle in the
 * machine's context): sharedParticipantMachine passes each participant's own, while
 * participantImplementations binds one for tests that replace some implementations.
 */
function implementationsFor(resolve: (handle: unknown) => ParticipantRuntime) {
  /** `signal` (the invoke's: aborts when its state exits) plus the request timeout, on our clock. */
  function bounded<T>(
    { lock, clock, calls }: ParticipantRuntime,
    verb: StoreVerb,
    signal: AbortSignal,
    config: ParticipantConfig,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const timeout = requestTimeout(config);
    return boundedCall(clock, timeout, call, {
      signal,
      timedOut: () =>
        new LeaseUnavailableError(`the lease store did not answer within ${timeout} ms`, { lease: lock.describe(), identity: lock.identity }),
    }).then(
      (value) => {
        calls.answered(verb);
        return value;
      },
      (error: unknown) => {
        if (ANSWERS.has((error as { kind?: string }).kind ?? '')) calls.answered(verb);
        else if (!signal.aborted) calls.failed(verb, error);
        throw error;
      },
    );
  }

  const write = (verb: StoreVerb, send: (lock: LeaseLock, input: LeaseCallInput, at: number, signal: AbortSignal) => Promise<ObservedLease>) =>
    fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input, signal }) => {
      const runtime = resolve(input.runtime);
      const at = runtime.clock.now();
      return { lease: await bounded(runtime, verb, signal, input.config, (bound) => send(runtime.lock, input, at, bound)), at };
    });

  const clockOf = (context: ParticipantContext) => resolve(context.runtime).clock;

  return {
    actors: {
      readLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input, signal }) => {
        const runtime = resolve(input.runtime);
        const lease = await bounded(runtime, 'get', signal, input.config, (bound) => runtime.lock.get(bound));
        return { lease, at: runtime.clock.now() };
      }),
      createLease: write('create', (lock, { config }, at, signal) => lock.create(createdRecord(lock.identity, config, at), signal)),
      claimLease: write('update', (lock, input, at, signal) => {
        const observed = mustHaveObserved(input);
        return lock.update(claimedRecord(observed.record, lock.identity, input.config, at), observed.resourceVersion, signal);
      }),
      renewLease: write('update', (lock, input, at, signal) => {
        const observed = mustHaveObserved(input);
        return lock.update(renewedRecord(observed.record, lock.identity, input.config, at), observed.resourceVersion, signal);
      }),
      releaseLease: write('update', (lock, input, at, signal) => {
        const observed = mustHaveObserved(input);
        return lock.update(releasedRecord(observed.record, input.config, at), observed.resourceVersion, signal);
      }),
      handOverLease: write('update', async (lock, input, at, signal) => {
        const observed = mustHaveObserved(input);
        if (!input.to) throw new Error('no hand-over target');
        // XState starts an invoked actor before it tells the actor's observers of the transition,
        // and the leadership window closes in an observer (followLeadership): one turn lets the
        // guarded work's signal abort before the write is sent. A claim in the target's name.
        await Promise.resolve();
        return lock.update(claimedRecord(observed.record, input.to, input.config, at), observed.resourceVersion, signal);
      }),
      watchLease: fromEventObservable<ParticipantEvent, LeaseCallInput>(({ input, self }) => {
        const { lock, clock } = resolve(input.runtime);
        const participant = self._parent;
        return input.config.watch
          ? lock.watch().pipe(
              filter((event) => !(event.type === 'observed' && participant && repeatsHeldVersion(participant.getSnapshot(), event.lease))),
              map((event): ParticipantEvent =>
                event.type === 'observed'
                  ? { type: 'LEASE_OBSERVED', lease: event.lease, at: clock.now() }
                  : { type: 'WATCH_DOWN', reason: event.error.message, at: clock.now() },
              ),
            )
          : NEVER;
      }),
    },
    guards: {
      pastRenewDeadline: ({ context }: { context: ParticipantContext }) => windowCloses(context) <= clockOf(context).now(),
    },
    delays: {
      untilObservedExpiry: ({ context }: { context: ParticipantContext }) =>
        clampDelay(takeoverAllowedAt(context) - clockOf(context).now()),
      untilRenewDeadline: ({ context }: { context: ParticipantContext }) => clampDelay(windowCloses(context) - clockOf(context).now()),
      pollInterval: ({ context }: { context: ParticipantContext }) =>
        context.config.retryPeriod * (1 + resolve(context.runtime).random() * context.config.jitterFactor),
    },
  };
}

/** Implementations bound to one lock and clock, for tests and simulations that replace some of them. */
export function participantImplementations(lock: LeaseLock, clock: Clock, random: () => number = Math.random) {
  const runtime = new ParticipantRuntime(lock, clock, random);
  return implementationsFor(() => runtime);
}

/**
 * The participant machine provided once for every participant: each finds its lock and clock
 * through the ParticipantRuntime in its context. Providing a machine copies its whole definition
 * (~67 KiB), which per participant was most of a participant's memory.
 */
export const sharedParticipantMachine = leaseParticipantMachine.provide(
  implementationsFor((handle) => {
    if (!(handle instanceof ParticipantRuntime)) throw new Error('a participant started without its ParticipantRuntime');
    return handle;
  }),
);

export type ParticipantImplementations = ReturnType<typeof participantImplementations>;
