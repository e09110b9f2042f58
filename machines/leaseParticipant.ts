/**
 * The lease participant: one process competing for one lease under one identity.
 *
 * What it guarantees, and what it does not. There is no fencing at the storage layer: a leader
 * that keeps acting after it lost the lease would act alongside its successor. The participant
 * prevents that by ending its leadership window (the guarded work's AbortSignal fires) when
 * `renewDeadline` has passed since the *start* of its last successful write, while a candidate
 * takes over only after it has seen no change of the record for `leaseDuration` on its *own* clock,
 * starting from when it saw the change. Both measure elapsed time locally, so clock offsets do not
 * matter; clock *rates* do: the scheme is safe while the clocks' rates differ by less than
 * leaseDuration / renewDeadline (1.5 with the defaults 15 s / 10 s). The remote renewTime is never
 * compared with the local clock. The term (leaseTransitions at acquisition) is exposed as a fencing
 * token for stores that can check one.
 *
 * States (their names are public vocabulary: diagrams, the inspector, metrics, tests):
 *   idle          created, not competing
 *   acquiring     observe the lease and take it when allowed (watch-driven, timer at exact expiry)
 *   leading       holds the lease; renews every retryPeriod
 *   renewing      one conditional update with the cached resourceVersion; retried until renewDeadline
 *   upgradingHeld about to be replaced in place: keeps renewing, ignores RELEASE, STOP keeps the lease
 *   releasing     hands the lease back (holder "", short duration, transitions kept)
 *   stopped       final
 *
 * Everything that touches the world is named here and implemented in src/runtime via .provide():
 * actors (readLease, createLease, claimLease, renewLease, releaseLease, watchLease) and the delays
 * that need the clock (untilObservedExpiry, untilRenewDeadline, pollInterval).
 */
import { and, assign, fromEventObservable, fromPromise, setup } from 'xstate';
import type { ParticipantConfig } from '../src/lease/config.js';
import type { LeaseRecord, ObservedLease } from '../src/lease/record.js';

/** Result of a store call: the lease as written or read, and the local time the call was sent. */
export interface LeaseCallOutput {
  lease: ObservedLease;
  at: number;
}

export interface LeaseCallInput {
  observed: ObservedLease | null;
  config: ParticipantConfig;
  /** The runtime's handle (lock, clock), passed through untouched. */
  runtime: unknown;
}

export type ParticipantEvent =
  /** Start competing; the config is applied by the first ACQUIRE only (CloudNativePG). */
  | { type: 'ACQUIRE'; config?: ParticipantConfig }
  /** Hand the lease back if we hold it (no-op otherwise, and while upgrading). */
  | { type: 'RELEASE' }
  /** Stop at once, without releasing (a crash, or the end of an in-place upgrade). */
  | { type: 'STOP' }
  | { type: 'UPGRADE_STARTED' }
  | { type: 'UPGRADE_ABORTED' }
  /** From the watch: the lease as it is now (null: missing), stamped with the local time. */
  | { type: 'LEASE_OBSERVED'; lease: ObservedLease | null; at: number }
  /** From the watch: it is down; poll every retryPeriod until it is back. */
  | { type: 'WATCH_DOWN'; reason: string; at: number };

export type LossReason = 'deadline' | 'preempted';

export interface ParticipantCounters {
  acquisitions: number;
  renewals: number;
  failedRenewals: number;
  conflicts: number;
  errors: number;
  malformedReads: number;
  losses: number;
}

export interface ParticipantContext {
  identity: string;
  /** "namespace/name". */
  lease: string;
  config: ParticipantConfig;
  /** The first ACQUIRE's config has been applied; later ones are ignored. */
  configApplied: boolean;
  /** The lease as last seen (null: missing or not read yet), with its resourceVersion. */
  observed: ObservedLease | null;
  /** Local time the observed record last changed (client-go's observedTime). */
  observedAt: number | null;
  /** Local time of the latest observation, changed or not. */
  seenAt: number | null;
  watchUp: boolean;
  /** Holder last seen ("" none). */
  leader: string;
  /** Fencing token: leaseTransitions of the lease while we hold it, null otherwise. */
  term: number | null;
  /** Local time our leadership window opened (first successful write of this tenure). */
  heldSince: number | null;
  /** Local time our last successful write as holder was sent; the window closes renewDeadline later. */
  lastRenewAt: number | null;
  upgrading: boolean;
  /** Why we last lost leadership; cleared when we lead again. */
  lastLoss: LossReason | null;
  lastRelease: 'released' | 'notHeld' | 'failed' | null;
  stopReason: 'requested' | 'lost' | 'preempted' | null;
  lastError: { kind: string; message: string } | null;
  counters: ParticipantCounters;
  /**
   * An opaque handle for the implementations the runtime provides (its lock and clock): the machine
   * never reads it, only hands it to its actors. One provided machine then serves every participant.
   */
  runtime: unknown;
}

export interface ParticipantInput {
  identity: string;
  lease: string;
  config: ParticipantConfig;
  runtime?: unknown;
}

export interface ParticipantOutput {
  stopReason: ParticipantContext['stopReason'];
}

const notProvided = (name: string) => () => {
  throw new Error(`${name} must be provided by the runtime (it needs the clock or the lock)`);
};

/** What every store call is given: the lease as last seen, the config and the runtime's handle. */
const callInput = ({ context }: { context: ParticipantContext }): LeaseCallInput => ({
  observed: context.observed,
  config: context.config,
  runtime: context.runtime,
});

const errorKindOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'kind' in error ? String((error as { kind: unknown }).kind) : undefined;

const describeError = (error: unknown) => ({
  kind: errorKindOf(error) ?? 'Unknown',
  message: error instanceof Error ? error.message : String(error),
});

/** client-go's "changed" test: compare the record itself, not metadata. */
function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** What seeing `lease` at local time `at` does to the context (pure). */
function observation(context: ParticipantContext, lease: ObservedLease | null, at: number): Partial<ParticipantContext> {
  const previous = context.observed;
  const changed = previous === null || lease === null ? previous !== lease : !sameRecord(previous.record, lease.record);
  return {
    observed: lease,
    observedAt: changed || context.observedAt === null ? at : context.observedAt,
    seenAt: at,
    leader: lease?.record.holderIdentity ?? '',
    counters: lease?.malformed
      ? { ...context.counters, malformedReads: context.counters.malformedReads + 1 }
      : context.counters,
  };
}

const endOfTenure = { term: null, heldSince: null, lastRenewAt: null } as const;

export const leaseParticipantMachine = setup({
  types: {
    context: {} as ParticipantContext,
    events: {} as ParticipantEvent,
    input: {} as ParticipantInput,
    output: {} as ParticipantOutput,
  },
  actors: {
    readLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('readLease')),
    createLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('createLease')),
    claimLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('claimLease')),
    renewLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('renewLease')),
    releaseLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('releaseLease')),
    watchLease: fromEventObservable<ParticipantEvent, LeaseCallInput>(notProvided('watchLease')),
  },
  delays: {
    /** Renew this often while leading. */
    renewInterval: ({ context }) => context.config.retryPeriod,
    /** Give up a release after this long. */
    releaseTimeout: ({ context }) => context.config.unlockWithRetryPeriod,
    /** Until observedAt + the record's leaseDurationSeconds on the local clock. */
    untilObservedExpiry: notProvided('untilObservedExpiry'),
    /** Until windowCloses(context): when our leadership window closes. */
    untilRenewDeadline: notProvided('untilRenewDeadline'),
    /** retryPeriod, jittered by jitterFactor: polls and retries. */
    pollInterval: notProvided('pollInterval'),
  },
  guards: {
    leaseMissing: ({ context }) => context.observed === null,
    shouldCreate: ({ context }) => context.observed === null && context.config.createIfMissing,
    heldBySelf: ({ context }) => context.observed?.record.holderIdentity === context.identity,
    heldByOther: ({ context }) => {
      const holder = context.observed?.record.holderIdentity;
      return holder !== undefined && holder !== '' && holder !== context.identity;
    },
    holderEmpty: ({ context }) => context.observed?.record.holderIdentity === '',
    /** CloudNativePG: after losing the lease, any other holder (even "") is fatal. */
    preemptedAfterLoss: ({ context }) => context.config.fatalOnPreemption && context.lastLoss !== null,
    watchDown: ({ context }) => !context.watchUp,
    notUpgrading: ({ context }) => !context.upgrading,
    readHeldBySelf: ({ context, event }) =>
      (event as unknown as { output: LeaseCallOutput }).output.lease.record.holderIdentity === context.identity,
    isConflict: ({ event }) => errorKindOf((event as { error?: unknown }).error) === 'Conflict',
    isNotFound: ({ event }) => errorKindOf((event as { error?: unknown }).error) === 'NotFound',
    isAlreadyExists: ({ event }) => errorKindOf((event as { error?: unknown }).error) === 'AlreadyExists',
    /**
     * Our window has closed already: a paused process (GC, suspended VM) wakes with its renew timer
     * overdue. It must not renew and carry on as if nothing happened; leadership ends first.
     */
    pastRenewDeadline: notProvided('pastRenewDeadline'),
    /** The renew that just landed was sent while our window was still open. */
    renewSentInTime: ({ context, event }) =>
      (event as unknown as { output: LeaseCallOutput }).output.at <= windowCloses(context),
    stopsAfterLoss: ({ context }, params: { reason: LossReason }) =>
      context.config.afterLoss === 'stop' || (params.reason === 'preempted' && context.config.fatalOnPreemption),
  },
  actions: {
    applyConfig: assign(({ context, event }) => {
      if (event.type !== 'ACQUIRE' || context.configApplied) return {};
      return { config: event.config ?? context.config, configApplied: true };
    }),
    observe: assign(({ context, event }) => {
      if (event.type !== 'LEASE_OBSERVED') return {};
      return { ...observation(context, event.lease, event.at), watchUp: true };
    }),
    observeRead: assign(({ context, event }) => {
      const { lease, at } = (event as unknown as { output: LeaseCallOutput }).output;
      return observation(context, lease, at);
    }),
    observeMissing: assign(({ context }) => ({
      observed: null,
      observedAt: context.observed === null ? context.observedAt : null,
      leader: '',
    })),
    markWatchDown: assign({ watchUp: false }),
    /** Our claim or create landed: the leadership window opens at the moment the write was sent. */
    acquired: assign(({ context, event }) => {
      const { lease, at } = (event as unknown as { output: LeaseCallOutput }).output;
      return {
        observed: lease,
        observedAt: at,
        seenAt: at,
        leader: context.identity,
        term: lease.record.leaseTransitions,
        heldSince: at,
        lastRenewAt: at,
        lastLoss: null,
        counters: { ...context.counters, acquisitions: context.counters.acquisitions + 1 },
      };
    }),
    /**
     * The lease already names us (a process replaced in place). No transition and no claim; the
     * window opens only after the first renew lands, because nothing tells us when our predecessor
     * last wrote, and so when others may legally take over.
     */
    adopt: assign(({ context }) => ({
      leader: context.identity,
      term: context.observed?.record.leaseTransitions ?? null,
      heldSince: null,
      lastRenewAt: null,
    })),
    renewed: assign(({ context, event }) => {
      const { lease, at } = (event as unknown as { output: LeaseCallOutput }).output;
      const first = context.heldSince === null;
      return {
        observed: lease,
        observedAt: at,
        seenAt: at,
        lastRenewAt: at,
        heldSince: context.heldSince ?? at,
        lastLoss: first ? null : context.lastLoss,
        counters: {
          ...context.counters,
          renewals: context.counters.renewals + 1,
          acquisitions: context.counters.acquisitions + (first ? 1 : 0),
        },
      };
    }),
    recordError: assign(({ context, event }) => ({
      lastError: describeError((event as { error?: unknown }).error),
      counters: { ...context.counters, errors: context.counters.errors + 1 },
    })),
    recordRenewError: assign(({ context, event }) => ({
      lastError: describeError((event as { error?: unknown }).error),
      counters: {
        ...context.counters,
        errors: context.counters.errors + 1,
        failedRenewals: context.counters.failedRenewals + 1,
      },
    })),
    countConflict: assign(({ context }) => ({
      counters: { ...context.counters, conflicts: context.counters.conflicts + 1 },
    })),
    recordLoss: assign(({ context }, params: { reason: LossReason }) => ({
      ...endOfTenure,
      lastLoss: params.reason,
      counters: { ...context.counters, losses: context.counters.losses + 1 },
    })),
    recordStop: assign(({ context }, params: { reason: 'lost' | 'preempted' }) => ({
      stopReason: context.stopReason ?? params.reason,
    })),
    recordStopRequested: assign(({ context }) => ({ ...endOfTenure, stopReason: context.stopReason ?? 'requested' })),
    releaseDone: assign((_, params: { outcome: 'released' | 'notHeld' | 'failed' }) => ({
      ...endOfTenure,
      lastRelease: params.outcome,
    })),
    releaseWritten: assign(({ event }) => {
      const { lease } = (event as unknown as { output: LeaseCallOutput }).output;
      return { ...endOfTenure, observed: lease, leader: '', lastRelease: 'released' as const };
    }),
    markUpgrading: assign({ upgrading: true }),
    clearUpgrading: assign({ upgrading: false }),
  },
}).createMachine({
  id: 'lease',
  context: ({ input }) => ({
    identity: input.identity,
    lease: input.lease,
    config: input.config,
    runtime: input.runtime ?? null,
    configApplied: false,
    observed: null,
    observedAt: null,
    seenAt: null,
    watchUp: false,
    leader: '',
    term: null,
    heldSince: null,
    lastRenewAt: null,
    upgrading: false,
    lastLoss: null,
    lastRelease: null,
    stopReason: null,
    lastError: null,
    counters: {
      acquisitions: 0,
      renewals: 0,
      failedRenewals: 0,
      conflicts: 0,
      errors: 0,
      malformedReads: 0,
      losses: 0,
    },
  }),
  initial: 'idle',
  output: ({ context }) => ({ stopReason: context.stopReason }),
  on: {
    STOP: { target: '.stopped', actions: 'recordStopRequested' },
    UPGRADE_STARTED: { actions: 'markUpgrading' },
    UPGRADE_ABORTED: { actions: 'clearUpgrading' },
  },
  states: {
    idle: {
      on: {
        ACQUIRE: { target: 'acquiring', actions: 'applyConfig' },
        RELEASE: { guard: 'notUpgrading', target: 'releasing' },
      },
    },

    acquiring: {
      invoke: {
        id: 'watchLease',
        src: 'watchLease',
        input: callInput,
      },
      initial: 'reading',
      on: {
        LEASE_OBSERVED: { actions: 'observe' },
        WATCH_DOWN: { actions: 'markWatchDown' },
        RELEASE: { guard: 'notUpgrading', target: 'releasing' },
      },
      states: {
        reading: {
          invoke: {
            id: 'readLease',
            src: 'readLease',
            input: callInput,
            onDone: { target: 'deciding', actions: 'observeRead' },
            onError: [
              { guard: 'isNotFound', target: 'deciding', actions: 'observeMissing' },
              { target: 'backoff', actions: 'recordError' },
            ],
          },
        },
        deciding: {
          always: [
            { guard: 'shouldCreate', target: 'creating' },
            { guard: 'leaseMissing', target: 'waiting' },
            { guard: 'heldBySelf', target: '#lease.renewing', actions: 'adopt' },
            {
              guard: 'preemptedAfterLoss',
              target: '#lease.stopped',
              actions: { type: 'recordStop', params: { reason: 'preempted' } },
            },
            { guard: 'holderEmpty', target: 'claiming' },
            { target: 'waiting' },
          ],
        },
        waiting: {
          on: {
            LEASE_OBSERVED: { target: 'deciding', actions: 'observe' },
            WATCH_DOWN: { target: 'reading', actions: 'markWatchDown' },
          },
          after: {
            untilObservedExpiry: { guard: 'heldByOther', target: 'claiming' },
            pollInterval: { guard: 'watchDown', target: 'reading' },
          },
        },
        claiming: {
          invoke: {
            id: 'claimLease',
            src: 'claimLease',
            input: callInput,
            onDone: { target: '#lease.leading', actions: 'acquired' },
            onError: [
              { guard: 'isConflict', target: 'reading', actions: 'countConflict' },
              { target: 'backoff', actions: 'recordError' },
            ],
          },
        },
        creating: {
          invoke: {
            id: 'createLease',
            src: 'createLease',
            input: callInput,
            onDone: { target: '#lease.leading', actions: 'acquired' },
            onError: [
              { guard: 'isAlreadyExists', target: 'reading', actions: 'countConflict' },
              { target: 'backoff', actions: 'recordError' },
            ],
          },
        },
        backoff: {
          after: { pollInterval: 'reading' },
        },
      },
    },

    leading: {
      after: { renewInterval: [...loseLeadership('deadline', 'pastRenewDeadline'), { target: 'renewing' }] },
      on: {
        RELEASE: { guard: 'notUpgrading', target: 'releasing' },
        UPGRADE_STARTED: { target: 'upgradingHeld', actions: 'markUpgrading' },
      },
    },

    renewing: {
      initial: 'attempt',
      after: { untilRenewDeadline: loseLeadership('deadline') },
      on: {
        RELEASE: { guard: 'notUpgrading', target: 'releasing' },
        UPGRADE_STARTED: { target: 'upgradingHeld', actions: 'markUpgrading' },
      },
      states: renewCycle('#lease.leading'),
    },

    upgradingHeld: {
      initial: 'waiting',
      after: { untilRenewDeadline: loseLeadership('deadline') },
      on: {
        UPGRADE_ABORTED: { target: 'leading', actions: 'clearUpgrading' },
        // The lease stays ours: the successor with the same identity re-adopts it, no free window.
        RELEASE: { description: 'no-op while upgrading in place' },
      },
      states: {
        waiting: { after: { renewInterval: [...loseLeadership('deadline', 'pastRenewDeadline'), { target: 'renewing' }] } },
        renewing: { initial: 'attempt', states: renewCycle('#lease.upgradingHeld.waiting') },
      },
    },

    releasing: {
      initial: 'deciding',
      after: {
        releaseTimeout: { target: 'idle', actions: { type: 'releaseDone', params: { outcome: 'failed' } } },
      },
      states: {
        deciding: {
          // Our cached record lets the release go out at once (no GET); a conflict re-reads.
          always: [{ guard: 'heldBySelf', target: 'writing' }, { target: 'reading' }],
        },
        reading: {
          invoke: {
            id: 'readForRelease',
            src: 'readLease',
            input: callInput,
            onDone: [
              { guard: 'readHeldBySelf', target: 'writing', actions: 'observeRead' },
              {
                target: '#lease.idle',
                actions: ['observeRead', { type: 'releaseDone', params: { outcome: 'notHeld' } }],
              },
            ],
            onError: [
              { guard: 'isNotFound', target: '#lease.idle', actions: { type: 'releaseDone', params: { outcome: 'notHeld' } } },
              { target: 'retrying', actions: 'recordError' },
            ],
          },
        },
        writing: {
          invoke: {
            id: 'releaseLease',
            src: 'releaseLease',
            input: callInput,
            onDone: { target: '#lease.idle', actions: 'releaseWritten' },
            onError: [
              { guard: 'isConflict', target: 'reading', actions: 'countConflict' },
              { target: 'retrying', actions: 'recordError' },
            ],
          },
        },
        retrying: { after: { pollInterval: 'reading' } },
      },
    },

    stopped: { type: 'final' },
  },
});

/**
 * Leadership ends: stop (one-shot, or fatal preemption) or compete again. With `when`, only if
 * that guard holds too (the caller appends what happens otherwise).
 */
function loseLeadership(reason: LossReason, when?: 'pastRenewDeadline') {
  const stops = { type: 'stopsAfterLoss', params: { reason } } as const;
  return [
    {
      guard: when ? and([when, stops]) : stops,
      target: '#lease.stopped',
      actions: [
        { type: 'recordLoss', params: { reason } },
        { type: 'recordStop', params: { reason: reason === 'preempted' ? 'preempted' : 'lost' } },
      ],
    },
    { guard: when, target: '#lease.acquiring', actions: { type: 'recordLoss', params: { reason } } },
  ] as const;
}

/**
 * One renewal: a conditional update with the cached resourceVersion (no GET). On conflict, re-read:
 * still ours (someone touched metadata) -> try again with the fresh version; anyone else -> we were
 * preempted, so leadership ends now rather than at the deadline. Other errors retry every
 * pollInterval until the enclosing state's renewDeadline fires.
 */
function renewCycle(onRenewed: string) {
  return {
    attempt: {
      invoke: {
        id: 'renewLease',
        src: 'renewLease',
        input: callInput,
        onDone: [{ guard: 'renewSentInTime', target: onRenewed, actions: 'renewed' }, ...loseLeadership('deadline')],
        onError: [
          { guard: 'isConflict', target: 'rereading', actions: 'countConflict' },
          { target: 'retrying', actions: 'recordRenewError' },
        ],
      },
    },
    rereading: {
      invoke: {
        id: 'rereadLease',
        src: 'readLease',
        input: callInput,
        onDone: [
          { guard: 'readHeldBySelf', target: 'attempt', actions: 'observeRead' },
          { actions: 'observeRead', target: 'preempted' },
        ],
        onError: [
          { guard: 'isNotFound', target: 'preempted', actions: 'observeMissing' },
          { target: 'retrying', actions: 'recordRenewError' },
        ],
      },
    },
    preempted: { always: loseLeadership('preempted') },
    retrying: { after: { pollInterval: [...loseLeadership('deadline', 'pastRenewDeadline'), { target: 'attempt' }] } },
  } as const;
}

/**
 * When the current leadership window closes: renewDeadline after our last landed write was sent.
 * While adopting (no write yet, the window is not open) it bounds the adoption attempt instead:
 * renewDeadline after we last saw the lease.
 */
export function windowCloses(context: ParticipantContext): number {
  const base = context.lastRenewAt ?? context.seenAt ?? Number.NEGATIVE_INFINITY;
  return base + context.config.renewDeadline;
}

/**
 * True while the machine holds leadership: a held state and a write of this tenure landed. The
 * runtime also requires the window to be open on the clock (see Participant.leading).
 */
export function isLeading(snapshot: { value: unknown; context: ParticipantContext; status: string }): boolean {
  if (snapshot.status !== 'active' || snapshot.context.lastRenewAt === null) return false;
  const top = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value as object)[0];
  return top === 'leading' || top === 'renewing' || top === 'upgradingHeld';
}

export type LeaseParticipantMachine = typeof leaseParticipantMachine;
