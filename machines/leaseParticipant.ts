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
 * token for stores that can check one; it saturates at 2147483647 (src/lease/records.ts: nextTerm).
 * leaseTransitions are never written lower than the stored value, whatever its type (src/lease/spec.ts).
 *
 * States (their names are public vocabulary: diagrams, the inspector, metrics, tests):
 *   idle       created, not competing
 *   acquiring  observe the lease and take it when allowed (watch-driven, timer at exact expiry)
 *   leading    holds the lease; renews every retryPeriod; watches the lease
 *   renewing   one conditional update with the cached resourceVersion; retried until renewDeadline
 *   handingOver  gives the lease to a chosen identity in one write, then waits for its confirming renew
 *   releasing  hands the lease back (holder "", short duration, transitions kept)
 *   stopped    final
 * An in-place upgrade is not a state but the `upgrading` flag of the context (UPGRADE_STARTED,
 * UPGRADE_ABORTED): while it is set RELEASE is a no-op, so STOP leaves the lease to the successor
 * with the same identity.
 *
 * What it tells the world, where it happens (emitted events, heard with `actor.on`):
 *   leadershipStarted {term, at}  a write of this tenure landed: the leadership window opens
 *   leadershipEnded {why}     the window closes, in the transition that ends it (before any write
 *                             that follows): deadline, preempted, handingOver, released, stopped
 *   renewed {sentAt}          a renew landed in time
 *   storeCallFailed {kind, message}  a store call failed (conflicts are counted, not reported)
 *   slowPath                  a read the renew fast path could not avoid (client-go's slowpath)
 *   releaseSettled {outcome}  a release ended: released, notHeld, or failed (unlockWithRetryPeriod passed)
 *   handOverStarted {to}      a hand-over begins (asked by HAND_OVER or by the lease), before the window closes
 *   handOverSettled {to, outcome, holder, written}  it ended: handedOver, overtaken, conflict,
 *                             failed, timeout, or stopped (STOP or RELEASE came first)
 *
 * The rules, each named once below (guards and delays) and implemented in src/runtime where it
 * needs the clock:
 *   untilObservedExpiry  take over another's lease only after no change for the larger of its
 *                        leaseDurationSeconds and our own leaseDuration (takeoverWait: a record
 *                        without a usable duration waits our own); a change seen meanwhile moves the takeover later
 *                        (waitGoesOn), and a timer armed for an earlier instant re-arms (armedTakeoverHolds)
 *   holderEmpty          a lease held by "" is taken at once
 *   heldBySelf           a lease naming us is re-adopted without a transition; the window opens
 *                        only after the first renew lands
 *   preemptedAfterLoss   after losing the lease, seeing another holder (even "") stops us (fatalOnPreemption)
 *   pastRenewDeadline    a process that wakes past its window's end stops leading before it writes
 *   renewSentInTime      a renew that lands counts only if it was sent while the window was open
 *   removedByNewerWrite  a leader watching its lease ends its window on the first delivery of a
 *                        newer write that names another holder ("" included) or deletes the lease
 *                        (resourceVersions order writes: src/lease/resourceVersion.ts)
 *   claimOvertaken       a claim whose lease the watch already shows overwritten or deleted opens no
 *                        window (it reads again, as after a conflict); createOvertaken: the same for
 *                        a create that another client's write overtook
 *   stopsAfterLoss       after a loss: stop (one-shot, fatal preemption) or compete again
 *   handOverRequested    a lease asking its holder (annotation or spec.preferredHolder) to hand over
 *                        to someone else is handed over; a request naming us is void
 *   newerWriteSeen       after our hand-over write, the first newer write (the target's renew) settles it
 *   stopsAfterHandOver   after a hand-over: stop (one-shot) or compete again, as a candidate
 *
 * Everything that touches the world is named here and implemented in src/runtime via .provide():
 * actors (readLease, createLease, claimLease, renewLease, releaseLease, handOverLease, watchLease) and the delays
 * and guards that need the clock (untilObservedExpiry, untilRenewDeadline, pollInterval,
 * pastRenewDeadline). The watch is a child spawned by ACQUIRE and stopped in `idle`, so it keeps
 * running from `acquiring` through `leading` and `renewing` without reconnecting.
 *
 * Layering (ARCHITECTURE.md): machines/ import only types from src/, plus pure leaf modules of
 * src/lease/ and src/ports/ — modules with no run-time imports, no I/O and no clock (errorKind.ts,
 * resourceVersion.ts), so one rule is written once for the machine and the adapters alike.
 * test/unit/layering.test.ts checks it.
 */
import { and, assign, emit, enqueueActions, fromEventObservable, fromPromise, setup, spawnChild, stopChild } from 'xstate';
import type { ParticipantConfig } from '../src/lease/config.js';
import { errorKind } from '../src/lease/errorKind.js';
import type { LeaseRecord, ObservedLease } from '../src/lease/record.js';
import { compareResourceVersions } from '../src/lease/resourceVersion.js';

/** Result of a store call: the lease as written or read, and the local time the call was sent. */
export interface LeaseCallOutput {
  lease: ObservedLease;
  at: number;
}

export interface LeaseCallInput {
  observed: ObservedLease | null;
  config: ParticipantConfig;
  /** For handOverLease: who the lease is handed to. */
  to?: string;
  /** The runtime's handle (lock, clock), passed through untouched. */
  runtime: unknown;
}

/** The lease as seen at a local time (null: missing). */
export interface Sighting {
  lease: ObservedLease | null;
  at: number;
}

export type ParticipantEvent =
  /** Start competing; the config is applied by the first ACQUIRE only (CloudNativePG). */
  | { type: 'ACQUIRE'; config?: ParticipantConfig }
  /** Hand the lease back if we hold it (no-op otherwise, and while upgrading). */
  | { type: 'RELEASE' }
  /** Stop at once, without releasing (a crash, or the end of an in-place upgrade). */
  | { type: 'STOP' }
  /** Hand the lease to `to` while leading (ignored otherwise, and for "" or our own identity). */
  | { type: 'HAND_OVER'; to: string }
  | { type: 'UPGRADE_STARTED' }
  | { type: 'UPGRADE_ABORTED' }
  /** From the watch: the lease as it is now (null: missing), stamped with the local time. */
  | ({ type: 'LEASE_OBSERVED' } & Sighting)
  /** From the watch: it is down; poll every retryPeriod until it is back. */
  | { type: 'WATCH_DOWN'; reason: string; at: number };

export type LossReason = 'deadline' | 'preempted';

/** How a release ended: written, not ours (missing or held by another), or given up after unlockWithRetryPeriod. */
export type ReleaseOutcome = 'released' | 'notHeld' | 'failed';

/** Why a leadership window closed. */
export type LeadershipEnd = LossReason | 'handingOver' | 'released' | 'stopped';

/** How a hand-over ended: the target leads, or why not. */
export type HandOverOutcome = 'handedOver' | 'overtaken' | 'conflict' | 'failed' | 'timeout' | 'stopped';

/** What the participant tells its listeners (`actor.on(type, listener)`), at the transition that knows it. */
export type ParticipantEmitted =
  /** `at`: when the write that opened the window was sent; the window closes renewDeadline after the last such write. */
  | { type: 'leadershipStarted'; term: number; at: number }
  | { type: 'leadershipEnded'; why: LeadershipEnd }
  | { type: 'renewed'; sentAt: number }
  | { type: 'storeCallFailed'; kind: string; message: string }
  | { type: 'slowPath' }
  | { type: 'releaseSettled'; outcome: ReleaseOutcome }
  | { type: 'handOverStarted'; to: string }
  /** `holder`: who the lease names as it settles (null: gone); `written`: our write had landed. */
  | { type: 'handOverSettled'; to: string; outcome: HandOverOutcome; holder: string | null; written: boolean };

/** A hand-over under way: to whom, whether our write landed, and (once known) how it ended. */
export interface HandOverProgress {
  to: string;
  written: boolean;
  outcome: HandOverOutcome | null;
}

export interface ParticipantCounters {
  acquisitions: number;
  renewals: number;
  failedRenewals: number;
  conflicts: number;
  errors: number;
  malformedReads: number;
  losses: number;
  /** Hand-over writes that landed. */
  handOvers: number;
}

/** Everything a test or the inspector needs (the lease itself is named by the runtime handle). */
export interface ParticipantContext {
  identity: string;
  config: ParticipantConfig;
  /** The first ACQUIRE's config has been applied; later ones are ignored. */
  configApplied: boolean;
  /** The lease as last seen (null: missing or not read yet), with its resourceVersion. */
  observed: ObservedLease | null;
  /** Local time the observed record last changed (client-go's observedTime). */
  observedAt: number | null;
  /** Local time of the latest observation, changed or not. */
  seenAt: number | null;
  /** The takeover instant (takeoverAllowedAt) the waiting timer was armed for; null when not waiting. */
  takeoverArmedFor: number | null;
  watchUp: boolean;
  /** Holder last seen ("" none). */
  leader: string;
  /** Fencing token: leaseTransitions of the lease while we hold it, null otherwise. */
  term: number | null;
  /** Local time our leadership window opened (first successful write of this tenure). */
  heldSince: number | null;
  /** Local time our last successful write as holder was sent; the window closes renewDeadline later. */
  lastRenewAt: number | null;
  /** Being replaced in place: RELEASE is a no-op, so STOP leaves the lease to the successor. */
  upgrading: boolean;
  /** Why we last lost leadership; cleared when we lead again. */
  lastLoss: LossReason | null;
  stopReason: 'requested' | 'lost' | 'preempted' | 'handedOver' | null;
  lastError: { kind: string; message: string } | null;
  /** The hand-over under way (handingOver); null otherwise. */
  handOver: HandOverProgress | null;
  /** For the inspector: what happened so far, counted. Listeners hear it as emitted events. */
  counters: ParticipantCounters;
  /**
   * An opaque handle for the implementations the runtime provides (its lock and clock): the machine
   * never reads it, only hands it to its actors. One provided machine then serves every participant.
   */
  runtime: unknown;
}

export interface ParticipantInput {
  identity: string;
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

// Parameters of guards and actions, taken from the event that carries them: an invoke's done event
// (its output), its error event, or a watch delivery. Typed by XState from the transition's event.
// (Guards reading one of the machine's own events narrow `event` by its type instead.)
const output = ({ event }: { event: { output: LeaseCallOutput } }): LeaseCallOutput => event.output;
const failure = ({ event }: { event: { error: unknown } }): unknown => event.error;
const sighting = ({ event }: { event: Sighting }): Sighting => ({ lease: event.lease, at: event.at });

/** The hand-over write's input: the target, as the hand-over began with it. */
const handOverInput = ({ context }: { context: ParticipantContext }): LeaseCallInput => ({
  ...callInput({ context }),
  to: context.handOver?.to,
});

/** Who the lease names now: the target after a newer write means it leads; anyone else overtook us. */
const outcomeSeen = (context: ParticipantContext): HandOverOutcome =>
  context.handOver !== null && context.observed?.record.holderIdentity === context.handOver.to ? 'handedOver' : 'overtaken';

/** A hand-over target is someone else: not "" (nobody) and not us. */
const isOtherIdentity = (context: ParticipantContext, to: string | undefined): boolean => to !== undefined && to !== '' && to !== context.identity;

const describeError = (error: unknown) => ({
  kind: errorKind(error) ?? 'Unknown',
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

/** `lease` is a later version than `than` (a deletion is later than anything); false when not comparable. */
function isNewer(lease: ObservedLease | null, than: ObservedLease | null): boolean {
  if (than === null) return lease !== null;
  return lease === null || compareResourceVersions(lease.resourceVersion, than.resourceVersion) === 1;
}

/** A write of ours counts only if it was sent while the window was still open. */
const sentInTime = (context: ParticipantContext, write: LeaseCallOutput): boolean => write.at <= windowCloses(context);

/** The watch already delivered a later write than the one of ours that just landed. */
const overtaken = (context: ParticipantContext, write: LeaseCallOutput): boolean => context.observed !== null && isNewer(context.observed, write.lease);

/** The later of two versions of the lease, keeping `b` when they cannot be ordered. */
const newest = (a: ObservedLease | null, b: ObservedLease): ObservedLease => (a !== null && isNewer(a, b) ? a : b);

/**
 * What seeing `lease` at local time `at` does to the context (pure). An older version than the one
 * known (a read answered before a write the watch already delivered) only says when we last heard.
 */
function observation(context: ParticipantContext, { lease, at }: Sighting): Partial<ParticipantContext> {
  const previous = context.observed;
  if (lease !== null && previous !== null && compareResourceVersions(lease.resourceVersion, previous.resourceVersion) === -1) return { seenAt: at };
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

/** Leadership holds exactly while a write of this tenure has landed (lastRenewAt) in leading or renewing. */
const holdsLeadership = (context: ParticipantContext) => context.lastRenewAt !== null;

export const leaseParticipantMachine = setup({
  types: {
    context: {} as ParticipantContext,
    events: {} as ParticipantEvent,
    input: {} as ParticipantInput,
    output: {} as ParticipantOutput,
    emitted: {} as ParticipantEmitted,
  },
  actors: {
    readLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('readLease')),
    createLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('createLease')),
    claimLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('claimLease')),
    renewLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('renewLease')),
    releaseLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('releaseLease')),
    handOverLease: fromPromise<LeaseCallOutput, LeaseCallInput>(notProvided('handOverLease')),
    watchLease: fromEventObservable<ParticipantEvent, LeaseCallInput>(notProvided('watchLease')),
  },
  delays: {
    /** Renew this often while leading. */
    renewInterval: ({ context }) => context.config.retryPeriod,
    /** Give up a release after this long. */
    releaseTimeout: ({ context }) => context.config.unlockWithRetryPeriod,
    /** A target that has not renewed this long after our hand-over is not coming: others take over by expiry. */
    handOverTimeout: ({ context }) => context.config.leaseDuration,
    /** Until takeoverAllowedAt(context) on the local clock. */
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
    heldByOther: ({ context }) => heldByAnother(context, context.observed),
    holderEmpty: ({ context }) => context.observed?.record.holderIdentity === '',
    /**
     * Waiting on another holder, a delivery that still shows another holder and does not shorten
     * the wait needs no new decision: it only moves the takeover later (the armed timer re-arms).
     */
    waitGoesOn: ({ context, event }) =>
      event.type === 'LEASE_OBSERVED' &&
      heldByAnother(context, context.observed) &&
      heldByAnother(context, event.lease) &&
      takeoverWait(context, event.lease!.record) >= takeoverWait(context, context.observed!.record),
    /** The record has not changed since the takeover timer was armed: its instant is the takeover's. */
    armedTakeoverHolds: ({ context }) => context.takeoverArmedFor === takeoverAllowedAt(context),
    /** CloudNativePG: after losing the lease, any other holder (even "") is fatal. */
    preemptedAfterLoss: ({ context }) => context.config.fatalOnPreemption && context.lastLoss !== null,
    watchDown: ({ context }) => !context.watchUp,
    notUpgrading: ({ context }) => !context.upgrading,
    readHeldBySelf: ({ context }, read: LeaseCallOutput) => read.lease.record.holderIdentity === context.identity,
    isConflict: (_, error: unknown) => errorKind(error) === 'Conflict',
    isNotFound: (_, error: unknown) => errorKind(error) === 'NotFound',
    isAlreadyExists: (_, error: unknown) => errorKind(error) === 'AlreadyExists',
    /**
     * Our window has closed already: a paused process (GC, suspended VM) wakes with its renew timer
     * overdue. It must not renew and carry on as if nothing happened; leadership ends first.
     */
    pastRenewDeadline: notProvided('pastRenewDeadline'),
    /** The renew that just landed was sent while our window was still open. */
    renewSentInTime: ({ context }, renew: LeaseCallOutput) => sentInTime(context, renew),
    /** The same, for the first renew of a re-adopted lease (none of ours had landed): it opens the window. */
    adoptingRenewSentInTime: ({ context }, renew: LeaseCallOutput) => context.heldSince === null && sentInTime(context, renew),
    /** A newer write names another holder ("" included) or deleted the lease: someone removed us. */
    removedByNewerWrite: ({ context, event }) =>
      event.type === 'LEASE_OBSERVED' && isNewer(event.lease, context.observed) && event.lease?.record.holderIdentity !== context.identity,
    /**
     * The watch already delivered a write made after our claim landed: that write decides, not the
     * claim. A claim wrote over a lease that existed, so its deletion delivered meanwhile overtakes it too.
     */
    claimOvertaken: ({ context }, claim: LeaseCallOutput) => context.observed === null || overtaken(context, claim),
    /** The watch already delivered another client's write made after our create landed. */
    createOvertaken: ({ context }, created: LeaseCallOutput) => overtaken(context, created),
    /** The watch already delivered a write made after our hand-over landed (the target's renew, say): it settles it. */
    handOverOvertaken: ({ context }, write: LeaseCallOutput) => overtaken(context, write),
    stopsAfterLoss: ({ context }, params: { reason: LossReason }) =>
      context.config.afterLoss === 'stop' || (params.reason === 'preempted' && context.config.fatalOnPreemption),
    /** HAND_OVER names someone else ("" and our own identity are refused). */
    validHandOverTarget: ({ context, event }) => event.type === 'HAND_OVER' && isOtherIdentity(context, event.to),
    /** The lease we hold asks us to hand it over to someone else (a request naming us is void). */
    handOverRequested: ({ context }) => isOtherIdentity(context, context.observed?.handOverTo),
    /** After our hand-over write: a newer write (the target's confirming renew, or anyone else's) settles it. */
    newerWriteSeen: ({ context, event }) => event.type === 'LEASE_OBSERVED' && isNewer(event.lease, context.observed),
    readNewerWrite: ({ context }, read: LeaseCallOutput) => isNewer(read.lease, context.observed),
    /** One-shot participants (client-go's Run) stop once their hand-over is settled; the others compete on. */
    stopsAfterHandOver: ({ context }) => context.config.afterLoss === 'stop',
  },
  actions: {
    applyConfig: assign(({ context, event }) => {
      if (event.type !== 'ACQUIRE' || context.configApplied) return {};
      return { config: event.config ?? context.config, configApplied: true };
    }),
    startWatching: spawnChild('watchLease', { id: 'watchLease', input: callInput }),
    stopWatching: stopChild('watchLease'),
    observe: assign(({ context }, seen: Sighting) => observation(context, seen)),
    /** A watch delivery: what it shows, and that the watch is up. */
    observeWatch: assign(({ context }, seen: Sighting) => ({ ...observation(context, seen), watchUp: true })),
    /**
     * While holding: a newer version (naming us) becomes the one we renew from; our own writes
     * echoed back and late deliveries of older versions only say that the watch is up.
     */
    observeIfNewer: assign(({ context }, seen: Sighting) => ({
      ...(isNewer(seen.lease, context.observed) ? observation(context, seen) : {}),
      watchUp: true,
    })),
    observeMissing: assign(({ context }) => ({
      observed: null,
      observedAt: context.observed === null ? context.observedAt : null,
      leader: '',
    })),
    armTakeover: assign(({ context }) => ({ takeoverArmedFor: takeoverAllowedAt(context) })),
    disarmTakeover: assign({ takeoverArmedFor: null }),
    markWatchDown: assign({ watchUp: false }),
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
    announceSlowPath: emit({ type: 'slowPath' } as const),
    /** A renew landed in time (the first of a re-adopted lease also opens the window: announceAdopted). */
    renewed: assign(({ context }, { lease, at }: LeaseCallOutput) => {
      const first = context.heldSince === null;
      return {
        // A newer version the watch delivered while the renew was in flight stays the one we know.
        observed: newest(context.observed, lease),
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
    announceRenewed: emit((_, { at }: LeaseCallOutput) => ({ type: 'renewed', sentAt: at }) as const),
    /** The first renew of a lease that already named us landed: the window opens. */
    announceAdopted: emit(({ context }, { at }: LeaseCallOutput) => ({ type: 'leadershipStarted', term: context.term ?? 0, at }) as const),
    countConflict: assign(({ context }) => ({
      counters: { ...context.counters, conflicts: context.counters.conflicts + 1 },
    })),
    recordStop: assign(({ context }, params: { reason: 'lost' | 'preempted' }) => ({
      stopReason: context.stopReason ?? params.reason,
    })),
    /** A release ended (the window closed already, on entering releasing). */
    releaseDone: emit((_, params: { outcome: ReleaseOutcome }) => ({ type: 'releaseSettled', outcome: params.outcome }) as const),

    /** The hand-over landed: the lease names the target, unchanged as of the moment it was sent. */
    handedOver: assign(({ context }, { lease, at }: LeaseCallOutput) => ({
      observed: lease,
      observedAt: at,
      seenAt: at,
      leader: lease.record.holderIdentity,
      handOver: context.handOver && { ...context.handOver, written: true },
      counters: { ...context.counters, handOvers: context.counters.handOvers + 1 },
    })),
    /** It landed, but the watch had delivered a later write already: that write settles it. */
    countHandOver: assign(({ context }) => ({
      handOver: context.handOver && { ...context.handOver, written: true, outcome: outcomeSeen(context) },
      counters: { ...context.counters, handOvers: context.counters.handOvers + 1 },
    })),
    /** The write did not land: someone wrote first, or it failed. */
    handOverRefused: assign(({ context }, params: { outcome: 'conflict' | 'failed' }) => ({
      handOver: context.handOver && { ...context.handOver, outcome: params.outcome },
    })),
    /** A newer write than ours settles it: the target's renew, or anyone else's write. */
    handOverSeen: assign(({ context }) => ({ handOver: context.handOver && { ...context.handOver, outcome: outcomeSeen(context) } })),
    /** leaseDuration passed: a target that did not renew is not coming; a write without an answer failed. */
    handOverTimedOut: assign(({ context }) => ({
      handOver: context.handOver && { ...context.handOver, outcome: context.handOver.written ? ('timeout' as const) : ('failed' as const) },
    })),
    recordHandedOverStop: assign(({ context }) => ({ stopReason: context.stopReason ?? ('handedOver' as const) })),
    releaseWritten: assign((_, { lease }: LeaseCallOutput) => ({ observed: lease, leader: '' })),
    markUpgrading: assign({ upgrading: true }),
    clearUpgrading: assign({ upgrading: false }),
  },
})
  // The actions that tell listeners what happened (emit) as they change the context.
  .extend({
    actions: {
      /** Our claim or create landed: the leadership window opens at the moment the write was sent. */
      acquired: enqueueActions(({ context, enqueue }, { lease, at }: LeaseCallOutput) => {
        enqueue.assign({
          observed: lease,
          observedAt: at,
          seenAt: at,
          leader: context.identity,
          term: lease.record.leaseTransitions,
          heldSince: at,
          lastRenewAt: at,
          lastLoss: null,
          counters: { ...context.counters, acquisitions: context.counters.acquisitions + 1 },
        });
        enqueue.emit({ type: 'leadershipStarted', term: lease.record.leaseTransitions, at });
      }),
      recordError: enqueueActions(({ context, enqueue }, error: unknown) => {
        const lastError = describeError(error);
        enqueue.assign({ lastError, counters: { ...context.counters, errors: context.counters.errors + 1 } });
        enqueue.emit({ type: 'storeCallFailed', ...lastError });
      }),
      recordRenewError: enqueueActions(({ context, enqueue }, error: unknown) => {
        const lastError = describeError(error);
        const { counters } = context;
        enqueue.assign({ lastError, counters: { ...counters, errors: counters.errors + 1, failedRenewals: counters.failedRenewals + 1 } });
        enqueue.emit({ type: 'storeCallFailed', ...lastError });
      }),
      recordLoss: enqueueActions(({ context, enqueue }, params: { reason: LossReason }) => {
        if (holdsLeadership(context)) enqueue.emit({ type: 'leadershipEnded', why: params.reason });
        enqueue.assign({ ...endOfTenure, lastLoss: params.reason, counters: { ...context.counters, losses: context.counters.losses + 1 } });
      }),
      recordStopRequested: enqueueActions(({ context, enqueue }) => {
        if (holdsLeadership(context)) enqueue.emit({ type: 'leadershipEnded', why: 'stopped' });
        enqueue.assign({ ...endOfTenure, stopReason: context.stopReason ?? 'requested' });
      }),
      /**
       * The window closes on entering handingOver or releasing: the tenure ends, so nothing reopens it
       * but a fresh write.
       */
      endTenure: enqueueActions(({ context, enqueue }, params: { why: 'handingOver' | 'released' }) => {
        if (holdsLeadership(context)) enqueue.emit({ type: 'leadershipEnded', why: params.why });
        enqueue.assign(endOfTenure);
      }),
      /** The target: the HAND_OVER's, or else the one the lease asks for (the annotation or spec.preferredHolder). */
      beginHandOver: enqueueActions(({ context, event, enqueue }) => {
        const to = (event.type === 'HAND_OVER' ? event.to : context.observed?.handOverTo) ?? '';
        enqueue.assign({ handOver: { to, written: false, outcome: null } });
        enqueue.emit({ type: 'handOverStarted', to });
      }),
      /** Leaving handingOver, settled or interrupted (STOP, RELEASE): tell how it ended. */
      settleHandOver: enqueueActions(({ context, enqueue }) => {
        const { handOver, observed } = context;
        if (handOver === null) return;
        const { to, outcome, written } = handOver;
        enqueue.emit({ type: 'handOverSettled', to, outcome: outcome ?? 'stopped', holder: observed?.record.holderIdentity ?? null, written });
        enqueue.assign({ handOver: null });
      }),
    },
  })
  .createMachine({
  id: 'lease',
  context: ({ input }) => ({
    identity: input.identity,
    config: input.config,
    runtime: input.runtime ?? null,
    configApplied: false,
    observed: null,
    observedAt: null,
    seenAt: null,
    takeoverArmedFor: null,
    watchUp: false,
    leader: '',
    term: null,
    heldSince: null,
    lastRenewAt: null,
    upgrading: false,
    lastLoss: null,
    stopReason: null,
    lastError: null,
    handOver: null,
    counters: {
      acquisitions: 0,
      renewals: 0,
      failedRenewals: 0,
      conflicts: 0,
      errors: 0,
      malformedReads: 0,
      losses: 0,
      handOvers: 0,
    },
  }),
  initial: 'idle',
  output: ({ context }) => ({ stopReason: context.stopReason }),
  on: {
    STOP: { target: '.stopped', actions: 'recordStopRequested' },
    UPGRADE_STARTED: { actions: 'markUpgrading' },
    UPGRADE_ABORTED: { actions: 'clearUpgrading' },
    RELEASE: [
      { guard: 'notUpgrading', target: '.releasing' },
      // The lease stays ours: the successor with the same identity re-adopts it, no free window.
      { description: 'no-op while upgrading in place' },
    ],
    WATCH_DOWN: { actions: 'markWatchDown' },
  },
  states: {
    idle: {
      entry: ['stopWatching', 'markWatchDown'],
      on: {
        ACQUIRE: { target: 'acquiring', actions: ['applyConfig', 'startWatching'] },
      },
    },

    acquiring: {
      initial: 'reading',
      on: {
        LEASE_OBSERVED: { actions: { type: 'observeWatch', params: sighting } },
      },
      states: {
        reading: {
          entry: 'announceSlowPath',
          invoke: {
            id: 'readLease',
            src: 'readLease',
            input: callInput,
            onDone: { target: 'deciding', actions: { type: 'observe', params: output } },
            onError: [
              { guard: { type: 'isNotFound', params: failure }, target: 'deciding', actions: 'observeMissing' },
              { target: 'backoff', actions: { type: 'recordError', params: failure } },
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
          entry: 'armTakeover',
          exit: 'disarmTakeover',
          on: {
            LEASE_OBSERVED: [
              { guard: 'waitGoesOn', actions: { type: 'observeWatch', params: sighting } },
              { target: 'deciding', actions: { type: 'observeWatch', params: sighting } },
            ],
            WATCH_DOWN: { target: 'reading', actions: 'markWatchDown' },
          },
          after: {
            untilObservedExpiry: [
              { guard: and(['heldByOther', 'armedTakeoverHolds']), target: 'claiming' },
              { guard: 'heldByOther', target: 'waiting', reenter: true, description: 'changed since armed: wait again' },
            ],
            pollInterval: { guard: 'watchDown', target: 'reading' },
          },
        },
        claiming: acquiringWrite('claimLease', 'isConflict'),
        creating: acquiringWrite('createLease', 'isAlreadyExists'),
        backoff: {
          after: { pollInterval: 'reading' },
        },
      },
    },

    leading: {
      // A request on the lease (annotation or spec.preferredHolder) naming someone else: hand over.
      always: { guard: 'handOverRequested', target: 'handingOver' },
      after: { renewInterval: [...loseLeadership('deadline', 'pastRenewDeadline'), { target: 'renewing' }] },
      on: {
        LEASE_OBSERVED: watchedWhileHeld(),
        HAND_OVER: [{ guard: 'validHandOverTarget', target: 'handingOver' }, { description: 'refused: "" or our own identity' }],
      },
    },

    /**
     * One renewal: a conditional update with the cached resourceVersion (no GET). On conflict,
     * re-read: still ours (someone touched metadata) -> try again with the fresh version; anyone
     * else -> we were preempted, so leadership ends now rather than at the deadline. Other errors
     * retry every pollInterval until renewDeadline.
     */
    renewing: {
      initial: 'attempt',
      after: { untilRenewDeadline: loseLeadership('deadline') },
      on: { LEASE_OBSERVED: watchedWhileHeld() },
      states: {
        attempt: {
          invoke: {
            id: 'renewLease',
            src: 'renewLease',
            input: callInput,
            onDone: [
              {
                guard: { type: 'adoptingRenewSentInTime', params: output },
                target: '#lease.leading',
                actions: [
                  { type: 'renewed', params: output },
                  { type: 'announceAdopted', params: output },
                  { type: 'announceRenewed', params: output },
                ],
              },
              {
                guard: { type: 'renewSentInTime', params: output },
                target: '#lease.leading',
                actions: [
                  { type: 'renewed', params: output },
                  { type: 'announceRenewed', params: output },
                ],
              },
              ...loseLeadership('deadline'),
            ],
            onError: [
              { guard: { type: 'isConflict', params: failure }, target: 'rereading', actions: 'countConflict' },
              { target: 'retrying', actions: { type: 'recordRenewError', params: failure } },
            ],
          },
        },
        rereading: {
          entry: 'announceSlowPath',
          invoke: {
            id: 'rereadLease',
            src: 'readLease',
            input: callInput,
            onDone: [
              { guard: { type: 'readHeldBySelf', params: output }, target: 'attempt', actions: { type: 'observe', params: output } },
              { target: 'preempted', actions: { type: 'observe', params: output } },
            ],
            onError: [
              { guard: { type: 'isNotFound', params: failure }, target: 'preempted', actions: 'observeMissing' },
              { target: 'retrying', actions: { type: 'recordRenewError', params: failure } },
            ],
          },
        },
        preempted: { always: loseLeadership('preempted') },
        retrying: { after: { pollInterval: [...loseLeadership('deadline', 'pastRenewDeadline'), { target: 'attempt' }] } },
      },
    },

    /**
     * Handing the lease to a chosen identity in one write. Entering it closes our window (it is not
     * a held state), before the write is sent; the write is a conditional update from the cached
     * version naming the target (transitions + 1, fresh times, our leaseDuration). The target,
     * seeing itself named, re-adopts as a replaced process does and confirms with its own renew;
     * the first newer write settles the hand-over (the target's renew, or anyone else's write).
     * A target that does not renew within leaseDuration is not coming: the lease expires as any
     * other. A failed write reopens nothing: the participant goes on as a candidate, and leads
     * again only after a fresh renew if the lease still names it. One-shot participants stop.
     */
    handingOver: {
      initial: 'writing',
      entry: ['beginHandOver', { type: 'endTenure', params: { why: 'handingOver' } }],
      exit: 'settleHandOver',
      after: { handOverTimeout: { target: '.settled', actions: 'handOverTimedOut' } },
      states: {
        writing: {
          on: { LEASE_OBSERVED: { actions: { type: 'observeIfNewer', params: sighting } } },
          invoke: {
            id: 'handOverLease',
            src: 'handOverLease',
            input: handOverInput,
            onDone: [
              { guard: { type: 'handOverOvertaken', params: output }, target: 'settled', actions: 'countHandOver' },
              { target: 'awaitingTarget', actions: { type: 'handedOver', params: output } },
            ],
            onError: [
              {
                guard: { type: 'isConflict', params: failure },
                target: 'settled',
                actions: ['countConflict', { type: 'handOverRefused', params: { outcome: 'conflict' } }],
              },
              { target: 'settled', actions: [{ type: 'recordError', params: failure }, { type: 'handOverRefused', params: { outcome: 'failed' } }] },
            ],
          },
        },
        awaitingTarget: {
          on: {
            LEASE_OBSERVED: [
              { guard: 'newerWriteSeen', target: 'settled', actions: [{ type: 'observeWatch', params: sighting }, 'handOverSeen'] },
              { actions: { type: 'observeIfNewer', params: sighting } },
            ],
          },
          // Without a watch (down, or polling like client-go) the target's renew is found by reading.
          after: { pollInterval: { guard: 'watchDown', target: 'checking' } },
        },
        checking: {
          invoke: {
            id: 'readHandedOver',
            src: 'readLease',
            input: callInput,
            onDone: [
              { guard: { type: 'readNewerWrite', params: output }, target: 'settled', actions: [{ type: 'observe', params: output }, 'handOverSeen'] },
              { target: 'awaitingTarget' },
            ],
            onError: [
              { guard: { type: 'isNotFound', params: failure }, target: 'settled', actions: ['observeMissing', 'handOverSeen'] },
              { target: 'awaitingTarget', actions: { type: 'recordError', params: failure } },
            ],
          },
        },
        /** One-shot participants (client-go's Run) stop; the others go on as candidates, waiting as for any holder. */
        settled: {
          always: [{ guard: 'stopsAfterHandOver', target: '#lease.stopped', actions: 'recordHandedOverStop' }, { target: '#lease.acquiring' }],
        },
      },
    },

    releasing: {
      initial: 'deciding',
      entry: { type: 'endTenure', params: { why: 'released' } },
      after: {
        releaseTimeout: { target: 'idle', actions: { type: 'releaseDone', params: { outcome: 'failed' } } },
      },
      on: { RELEASE: { description: 'already releasing' } },
      states: {
        deciding: {
          // Our cached record lets the release go out at once (no GET); a conflict re-reads.
          always: [{ guard: 'heldBySelf', target: 'writing' }, { target: 'reading' }],
        },
        reading: {
          entry: 'announceSlowPath',
          invoke: {
            id: 'readForRelease',
            src: 'readLease',
            input: callInput,
            onDone: [
              { guard: { type: 'readHeldBySelf', params: output }, target: 'writing', actions: { type: 'observe', params: output } },
              {
                target: '#lease.idle',
                actions: [{ type: 'observe', params: output }, { type: 'releaseDone', params: { outcome: 'notHeld' } }],
              },
            ],
            onError: [
              {
                guard: { type: 'isNotFound', params: failure },
                target: '#lease.idle',
                actions: { type: 'releaseDone', params: { outcome: 'notHeld' } },
              },
              { target: 'retrying', actions: { type: 'recordError', params: failure } },
            ],
          },
        },
        writing: {
          invoke: {
            id: 'releaseLease',
            src: 'releaseLease',
            input: callInput,
            onDone: {
              target: '#lease.idle',
              actions: [
                { type: 'releaseWritten', params: output },
                { type: 'releaseDone', params: { outcome: 'released' } },
              ],
            },
            onError: [
              { guard: { type: 'isConflict', params: failure }, target: 'reading', actions: 'countConflict' },
              { target: 'retrying', actions: { type: 'recordError', params: failure } },
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
 * The write that acquires (a claim over the record observed, or a create): landed, it opens the
 * window, unless the watch already shows it overtaken by a later write; refused because someone
 * wrote first, or overtaken, it reads again; any other failure backs off.
 */
function acquiringWrite(src: 'claimLease' | 'createLease', wroteFirst: 'isConflict' | 'isAlreadyExists') {
  const overtakenWrite = src === 'claimLease' ? 'claimOvertaken' : 'createOvertaken';
  return {
    invoke: {
      id: src,
      src,
      input: callInput,
      onDone: [
        { guard: { type: overtakenWrite, params: output }, target: 'reading' },
        { target: '#lease.leading', actions: { type: 'acquired', params: output } },
      ],
      onError: [
        { guard: { type: wroteFirst, params: failure }, target: 'reading', actions: 'countConflict' },
        { target: 'backoff', actions: { type: 'recordError', params: failure } },
      ],
    },
  } as const;
}

/**
 * A watch delivery while we hold the lease (leading and renewing, which share no parent below the
 * machine: their names are public). A newer write naming anyone else ends leadership at once —
 * within one watch delivery, not at the next renew — through the same `renewing.preempted` a
 * re-read that finds another holder goes to; a newer one naming us (metadata touched) becomes the
 * version we renew from; our own writes echoed back and late deliveries of older versions change
 * nothing.
 */
function watchedWhileHeld() {
  return [
    { guard: 'removedByNewerWrite', target: '#lease.renewing.preempted', actions: { type: 'observeWatch', params: sighting } },
    { actions: { type: 'observeIfNewer', params: sighting } },
  ] as const;
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

/** The lease is held by someone other than us ("" is nobody). */
function heldByAnother(context: ParticipantContext, lease: ObservedLease | null): boolean {
  const holder = lease?.record.holderIdentity;
  return holder !== undefined && holder !== '' && holder !== context.identity;
}

/**
 * How long a record held by another must stay unchanged before we may take over: the larger of its
 * leaseDurationSeconds and our own leaseDuration. A record without a usable duration (missing, 0,
 * not an integer: read as 0) so waits our own, and a peer writing a shorter duration than ours does
 * not cut our wait short.
 */
function takeoverWait(context: ParticipantContext, record: LeaseRecord): number {
  return Math.max(record.leaseDurationSeconds * 1000, context.config.leaseDuration);
}

/** When a candidate may take over the lease it observes held by another (see takeoverWait). */
export function takeoverAllowedAt(context: ParticipantContext): number {
  const { observed, observedAt } = context;
  if (observed === null || observedAt === null) return Number.POSITIVE_INFINITY;
  return observedAt + takeoverWait(context, observed.record);
}

/**
 * True while the machine holds leadership: a held state and a write of this tenure landed. The
 * runtime also requires the window to be open on the clock (see Participant.leading).
 */
export function isLeading(snapshot: { value: unknown; context: ParticipantContext; status: string }): boolean {
  if (snapshot.status !== 'active' || snapshot.context.lastRenewAt === null) return false;
  const top = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value as object)[0];
  return top === 'leading' || top === 'renewing';
}

export type LeaseParticipantMachine = typeof leaseParticipantMachine;
