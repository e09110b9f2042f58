/**
 * The lease manager: many leases, many holders, one actor (Juju's lease manager as a machine).
 *
 * What it guarantees. The store decides every claim atomically, so a lease has at most one holder;
 * the manager passes its own requests through one queue (each lease's in the order they were
 * made) and never tells two callers they hold the same lease. Leases lapse `duration` after their
 * last claim or extend on the local clock, except while pinned (upgrades freeze leadership that
 * way): pinned leases never expire and cannot be revoked. `waitUntilExpired` callers are released
 * only when a lease is really gone — expired by the store or revoked — never by a guess.
 *
 * One timer for every lease. The expiry region sleeps until min(now + maxSleep, earliest expiry +
 * slack), the slack (1 s by default) letting a holder's extend that is in flight land first. A
 * wake-up already planned is only ever moved earlier, never later.
 *
 * States (public vocabulary: diagrams, the inspector, tests):
 *   loading                  waiting for the store's first list of leases
 *   running.operations       idle | applying the queued requests | backingOff after a transient store error
 *   running.expiry           sleeping until the next wake-up | checking what is due | expiring it
 *   stopped                  final: stop(), or a store error that is not transient
 *
 * Named effects, implemented in src/runtime via .provide(): actors watchStore, operationsWorker,
 * expireLeases; delays untilWake and retryBackoff (they need the clock and randomness).
 *
 * The store calls run in one worker for the manager's whole run, sent each batch as an event
 * (APPLY) and answering with another (APPLIED), not in an actor spawned per batch. Within a batch,
 * requests for different leases go to the store side by side and each lease's requests in queue
 * order (Juju's manager, too, handles each claim on its own), so a batch costs about one round trip
 * per lease in it, not the sum of them all.
 *
 * The lease map, the expiry queue and the waiters are owned by this actor and updated in place:
 * with 10,000 leases, copying them on every claim would cost more than the claims.
 */
import { and, assign, enqueueActions, fromCallback, fromEventObservable, fromPromise, sendTo, setup } from 'xstate';
import { type LeaseKey, type ManagedLease, type ManagedLeaseChange, leaseKeyId, sameLease } from '../src/ports/managedLeaseStore.js';
import { ExpiryQueue } from './expiryQueue.js';

export type ManagerOperation = { id: number; key: LeaseKey } & (
  | { kind: 'claim'; holder: string; durationMs: number }
  | { kind: 'revoke'; holder: string }
  | { kind: 'pin' | 'unpin'; entity: string }
);

/** What a request came to: `done`, or why not. */
export type OperationResult =
  | { outcome: 'claimed' | 'extended' | 'revoked' | 'pinned' | 'unpinned' }
  | { outcome: 'denied'; holder: string }
  | { outcome: 'notHeld' | 'isPinned' };

/** One applied request: its result and the lease as the store now has it. */
export interface AppliedOperation {
  result: OperationResult;
  change: ManagedLeaseChange | null;
}

/**
 * What the operations worker answers a batch with, and the local time. `applied` is aligned with the
 * batch: each request's result, or null where its store call failed or was not made (a lease's
 * requests after one of its own that failed wait, to keep their order). Requests without a result
 * stay queued, in order, and are tried again with the next batch. When the batch's first request
 * failed, `failedHead` holds its error: only the head's failures count towards its retries.
 */
export interface OperationsOutput {
  applied: (AppliedOperation | null)[];
  failedHead: { error: unknown } | null;
  now: number;
}

/**
 * Input of watchStore: the manager's own lease map (updated in place, so always current), read only,
 * so that changes it already holds (its own writes echoed by the feed) need not become events.
 */
export interface WatchStoreInput {
  known: ReadonlyMap<string, ManagedLease>;
}

/** What the manager sends its operations worker: the batch to apply, in queue order. */
export interface ApplyRequest {
  type: 'APPLY';
  operations: ManagerOperation[];
}

export interface ExpiryOutput {
  /** Leases that are gone now, and leases the store kept (extended meanwhile). */
  changes: ManagedLeaseChange[];
  now: number;
}

export type LeaseManagerEvent =
  | { type: 'REQUEST'; operation: ManagerOperation }
  /** Register a waiter for the lease's end; `now` is when it was registered. */
  | { type: 'WAIT'; id: number; key: LeaseKey }
  | { type: 'CANCEL_WAIT'; id: number }
  /** From the store's feed: leases as they are now (including this manager's own writes). */
  | { type: 'STORE_CHANGED'; changes: ManagedLeaseChange[]; now: number }
  /** The store's feed failed for good. */
  | { type: 'STORE_FAILED'; error: unknown }
  /** From the operations worker: the batch sent last, applied in full or in part (see OperationsOutput). */
  | { type: 'APPLIED'; output: OperationsOutput }
  /** Internal: the planned wake-up moved earlier; re-arm the one timer. */
  | { type: 'RESCHEDULE' }
  | { type: 'STOP' };

export type LeaseManagerEmitted =
  | { type: 'settled'; id: number; result: OperationResult }
  | { type: 'timedOut'; id: number; error: unknown; attempts: number }
  | { type: 'released'; ids: number[] }
  | { type: 'cancelled'; id: number }
  | { type: 'stopped'; error: unknown };

export interface LeaseManagerInput {
  /** Longest sleep between expiry checks (Juju: 1 minute). */
  maxSleep: number;
  /** Added to the earliest expiry before waking (Juju: 1 second). */
  expirySlack: number;
  /** Store calls per request before a transient error becomes a timeout (Juju: 10). */
  retryAttempts: number;
}

export interface LeaseManagerCounters {
  claimed: number;
  extended: number;
  denied: number;
  revoked: number;
  expired: number;
  retries: number;
  timeouts: number;
  wakeUps: number;
}

export interface LeaseManagerContext extends LeaseManagerInput {
  leases: Map<string, ManagedLease>;
  expiries: ExpiryQueue;
  /** Requests in arrival order; the batch being applied is at the front. */
  queue: ManagerOperation[];
  /** Failed store calls of the head request so far. */
  attempt: number;
  /** Waiter ids by lease, and each waiter's lease. */
  waiters: Map<string, Set<number>>;
  waiterKeys: Map<number, string>;
  /** The planned wake-up (local ms), or null while a check is under way. */
  wakeAt: number | null;
  /** The wake-up being handled, and the leases found due then. */
  tickAt: number;
  due: LeaseKey[];
  error: unknown;
  counters: LeaseManagerCounters;
}

const isTransient = (error: unknown) => (error as { kind?: unknown } | null)?.kind === 'Unavailable';

/** The store error an event reports: the failed head of a batch, or an actor's error. */
const failureOf = (event: LeaseManagerEvent | { type: string; error?: unknown }): unknown =>
  event.type === 'APPLIED' ? (event as { output: OperationsOutput }).output.failedHead?.error : (event as { error?: unknown }).error;

function notProvided(name: string): never {
  throw new Error(`${name} must be provided by the runtime (it needs the store or the clock)`);
}

/** Records a lease as the store has it now; returns the waiters released by the end of the lease they waited on. */
function applyChange(context: LeaseManagerContext, { key, lease }: ManagedLeaseChange): number[] {
  const id = leaseKeyId(key);
  const before = context.leases.get(id);
  if (lease) {
    // Known already (a write's outcome and the feed's echo of it): a second expiry entry would only be stale.
    if (before !== undefined && sameLease(before, lease)) return [];
    context.leases.set(id, lease);
    if (!lease.pinnedBy.length) context.expiries.push({ expiry: lease.expiry, key: id });
    // Another process took over a lease that had lapsed there: the lease waited on has ended too.
    return before !== undefined && before.holder !== lease.holder ? releaseWaiters(context, id) : [];
  }
  context.leases.delete(id);
  return releaseWaiters(context, id);
}

function releaseWaiters(context: LeaseManagerContext, id: string): number[] {
  const ids = context.waiters.get(id);
  if (!ids) return [];
  context.waiters.delete(id);
  for (const waiter of ids) context.waiterKeys.delete(waiter);
  return [...ids];
}

/** The wake-up for `now`, never later than one already planned. */
function plannedWake(context: LeaseManagerContext, now: number): number {
  const earliest = context.expiries.peek();
  const candidate = Math.min(now + context.maxSleep, earliest === undefined ? Infinity : earliest + context.expirySlack);
  return context.wakeAt === null ? candidate : Math.min(context.wakeAt, candidate);
}

/** What absorbing changes may do besides updating the owned collections. */
interface AbsorbEffects {
  emit(event: LeaseManagerEmitted): void;
  raise(event: LeaseManagerEvent): void;
}

/**
 * Applies changes, releases the waiters of leases that ended, and returns the wake-up to plan (the
 * caller assigns it, with whatever else it assigns: each assign is a copy of the snapshot).
 */
function absorb(context: LeaseManagerContext, changes: ManagedLeaseChange[], now: number, effects: AbsorbEffects): number {
  const released = changes.flatMap((change) => applyChange(context, change));
  if (released.length) effects.emit({ type: 'released', ids: released });
  const wakeAt = plannedWake(context, now);
  if (context.wakeAt !== null && wakeAt < context.wakeAt) effects.raise({ type: 'RESCHEDULE' });
  return wakeAt;
}

export const leaseManagerMachine = setup({
  types: {
    context: {} as LeaseManagerContext,
    events: {} as LeaseManagerEvent,
    input: {} as LeaseManagerInput,
    emitted: {} as LeaseManagerEmitted,
  },
  actors: {
    watchStore: fromEventObservable<LeaseManagerEvent, WatchStoreInput>(() => notProvided('watchStore')),
    operationsWorker: fromCallback<ApplyRequest>(() => notProvided('operationsWorker')),
    expireLeases: fromPromise<ExpiryOutput, { keys: LeaseKey[] }>(() => notProvided('expireLeases')),
  },
  delays: {
    untilWake: () => notProvided('untilWake'),
    retryBackoff: () => notProvided('retryBackoff'),
  },
  guards: {
    hasQueued: ({ context }) => context.queue.length > 0,
    leaseAbsent: ({ context, event }) => event.type === 'WAIT' && !context.leases.has(leaseKeyId(event.key)),
    headFailed: ({ event }) => event.type === 'APPLIED' && event.output.failedHead !== null,
    retryableHeadFailure: and(['headFailed', 'retryable']),
    transientHeadFailure: and(['headFailed', 'transient']),
    retryable: ({ context, event }) => isTransient(failureOf(event)) && context.attempt + 1 < context.retryAttempts,
    transient: ({ event }) => isTransient(failureOf(event)),
    nothingDue: ({ context }) => context.due.length === 0,
  },
  actions: {
    enqueue: assign(({ context, event }) => {
      if (event.type === 'REQUEST') context.queue.push(event.operation);
      return { queue: context.queue };
    }),
    releaseAtOnce: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'WAIT') enqueue.emit({ type: 'released', ids: [event.id] });
    }),
    addWaiter: assign(({ context, event }) => {
      if (event.type !== 'WAIT') return {};
      const id = leaseKeyId(event.key);
      const ids = context.waiters.get(id) ?? new Set<number>();
      ids.add(event.id);
      context.waiters.set(id, ids);
      context.waiterKeys.set(event.id, id);
      return { waiters: context.waiters, waiterKeys: context.waiterKeys };
    }),
    cancelWaiter: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CANCEL_WAIT') return;
      const id = context.waiterKeys.get(event.id);
      if (id === undefined) return;
      context.waiterKeys.delete(event.id);
      const ids = context.waiters.get(id)!;
      ids.delete(event.id);
      if (!ids.size) context.waiters.delete(id);
      enqueue.emit({ type: 'cancelled', id: event.id });
    }),
    absorbStoreChanges: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'STORE_CHANGED') return;
      const wakeAt = absorb(context, event.changes, event.now, enqueue);
      // Most changes (an extend moves an expiry later) leave the planned wake-up as it was.
      if (wakeAt !== context.wakeAt) enqueue.assign({ wakeAt });
    }),
    sendBatch: sendTo('operationsWorker', ({ context }): ApplyRequest => ({ type: 'APPLY', operations: context.queue.slice() })),
    absorbExpiries: enqueueActions(({ context, event, enqueue }) => {
      const { changes, now } = (event as unknown as { output: ExpiryOutput }).output;
      const wakeAt = absorb(context, changes, now, enqueue);
      if (wakeAt !== context.wakeAt) enqueue.assign({ wakeAt });
    }),
    /**
     * Records what the batch changed, then settles the requests with a result; the others keep their
     * places at the front of the queue. One assign for both: each is a copy of the snapshot.
     */
    settleOperations: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'APPLIED') return;
      const { applied, failedHead, now } = event.output;
      const wakeAt = absorb(context, applied.flatMap((done) => (done?.change ? [done.change] : [])), now, enqueue);
      const batch = context.queue.slice(0, applied.length);
      const counters = context.counters;
      applied.forEach((done, index) => {
        if (!done) return;
        const { result } = done;
        if (result.outcome === 'claimed' || result.outcome === 'extended' || result.outcome === 'denied' || result.outcome === 'revoked') {
          counters[result.outcome]++;
        }
        enqueue.emit({ type: 'settled', id: batch[index]!.id, result });
      });
      // A new array, not a splice: a failed batch of every lease (after a restart) may hold thousands.
      const queue = [...batch.filter((_, index) => !applied[index]), ...context.queue.slice(applied.length)];
      enqueue.assign({ queue, attempt: failedHead ? context.attempt : 0, counters, wakeAt });
    }),
    countRetry: assign(({ context }) => {
      context.counters.retries++;
      return { attempt: context.attempt + 1, counters: context.counters };
    }),
    timeOutOperation: enqueueActions(({ context, event, enqueue }) => {
      const operation = context.queue.shift()!;
      context.counters.timeouts++;
      enqueue.assign({ queue: context.queue, attempt: 0, counters: context.counters });
      enqueue.emit({ type: 'timedOut', id: operation.id, error: failureOf(event), attempts: context.attempt + 1 });
    }),
    /** Takes what is due at the planned wake-up: unpinned leases whose expiry + slack has passed. */
    collectDue: assign(({ context }) => {
      const tickAt = context.wakeAt ?? 0;
      const seen = new Set<string>();
      const due: LeaseKey[] = [];
      for (const entry of context.expiries.popThrough(tickAt - context.expirySlack)) {
        const lease = context.leases.get(entry.key);
        // Stale entries (extended or gone since) and pinned leases are dropped here.
        if (!lease || lease.expiry !== entry.expiry || lease.pinnedBy.length || seen.has(entry.key)) continue;
        seen.add(entry.key);
        due.push(lease.key);
      }
      context.counters.wakeUps++;
      return { tickAt, due, wakeAt: null, counters: context.counters };
    }),
    planAfterEmptyTick: assign(({ context }) => ({ wakeAt: plannedWake(context, context.tickAt) })),
    countExpiries: assign(({ context, event }) => {
      const { changes } = (event as unknown as { output: ExpiryOutput }).output;
      context.counters.expired += changes.filter((change) => change.lease === null).length;
      return { counters: context.counters };
    }),
    /** A transient failure to expire: the leases stay due; try again after the slack. */
    retryExpiryLater: assign(({ context }) => {
      for (const key of context.due) {
        const lease = context.leases.get(leaseKeyId(key));
        if (lease) context.expiries.push({ expiry: lease.expiry, key: leaseKeyId(key) });
      }
      return { wakeAt: context.tickAt + context.expirySlack, due: [] };
    }),
    recordFailure: assign(({ event }) => ({ error: failureOf(event) ?? new Error('lease store failed') })),
    announceStop: enqueueActions(({ context, enqueue }) => enqueue.emit({ type: 'stopped', error: context.error })),
  },
}).createMachine({
  id: 'leaseManager',
  context: ({ input }) => ({
    ...input,
    leases: new Map(),
    expiries: new ExpiryQueue(),
    queue: [],
    attempt: 0,
    waiters: new Map(),
    waiterKeys: new Map(),
    wakeAt: null,
    tickAt: 0,
    due: [],
    error: null,
    counters: { claimed: 0, extended: 0, denied: 0, revoked: 0, expired: 0, retries: 0, timeouts: 0, wakeUps: 0 },
  }),
  invoke: { id: 'storeFeed', src: 'watchStore', input: ({ context }) => ({ known: context.leases }) },
  initial: 'loading',
  on: {
    REQUEST: { actions: 'enqueue' },
    WAIT: [{ guard: 'leaseAbsent', actions: 'releaseAtOnce' }, { actions: 'addWaiter' }],
    CANCEL_WAIT: { actions: 'cancelWaiter' },
    STORE_FAILED: { target: '.stopped', actions: 'recordFailure' },
    STOP: '.stopped',
  },
  states: {
    loading: {
      on: { STORE_CHANGED: { target: 'running', actions: 'absorbStoreChanges' } },
    },
    running: {
      type: 'parallel',
      invoke: { id: 'operationsWorker', src: 'operationsWorker' },
      on: { STORE_CHANGED: { actions: 'absorbStoreChanges' } },
      states: {
        operations: {
          initial: 'idle',
          states: {
            idle: {
              always: { guard: 'hasQueued', target: 'applying' },
            },
            applying: {
              // Everything queued so far, as one batch: one worker message per batch, not per request.
              entry: 'sendBatch',
              on: {
                // What the batch applied is settled first, whatever became of its head.
                APPLIED: [
                  { guard: 'retryableHeadFailure', target: 'backingOff', actions: ['settleOperations', 'countRetry'] },
                  { guard: 'transientHeadFailure', target: 'idle', actions: ['settleOperations', 'timeOutOperation'] },
                  { guard: 'headFailed', target: '#leaseManager.stopped', actions: ['settleOperations', 'recordFailure'] },
                  { target: 'idle', actions: ['settleOperations'] },
                ],
              },
            },
            backingOff: {
              after: { retryBackoff: 'applying' },
            },
          },
        },
        expiry: {
          initial: 'sleeping',
          states: {
            sleeping: {
              after: { untilWake: 'checking' },
              on: { RESCHEDULE: { target: 'sleeping', reenter: true } },
            },
            checking: {
              entry: 'collectDue',
              always: [{ guard: 'nothingDue', target: 'sleeping', actions: 'planAfterEmptyTick' }, { target: 'expiring' }],
            },
            expiring: {
              invoke: {
                id: 'expire',
                src: 'expireLeases',
                input: ({ context }) => ({ keys: context.due }),
                onDone: { target: 'sleeping', actions: ['countExpiries', 'absorbExpiries'] },
                onError: [
                  { guard: 'transient', target: 'sleeping', actions: 'retryExpiryLater' },
                  { target: '#leaseManager.stopped', actions: 'recordFailure' },
                ],
              },
            },
          },
        },
      },
    },
    stopped: {
      type: 'final',
      entry: 'announceStop',
    },
  },
});
