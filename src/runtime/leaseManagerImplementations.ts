/**
 * The implementations behind the lease manager machine's named actors and delays, bound to one
 * ManagedLeaseStore and one Clock. Every output is stamped with the local time it was produced, so
 * the machine plans its single wake-up without reading a clock itself.
 */
import { catchError, mergeMap, of } from 'rxjs';
import { fromCallback, fromEventObservable, fromPromise } from 'xstate';
import {
  type ApplyRequest,
  type ExpiryOutput,
  type LeaseManagerContext,
  type LeaseManagerEvent,
  type ManagerOperation,
  type AppliedOperation,
  type OperationsOutput,
  type WatchStoreInput,
} from '../../machines/leaseManager.js';
import { type LeaseKey, type ManagedLeaseChange, type ManagedLeaseStore, leaseKeyId, sameLease } from '../ports/managedLeaseStore.js';
import { type Clock, clampDelay } from '../time/clock.js';

/** Juju's retry schedule for transient store errors: 50 ms, x1.6 per try, with jitter. */
export const RETRY_INITIAL_DELAY = 50;
export const RETRY_FACTOR = 1.6;
/**
 * Leases of one batch whose requests are in flight at once. Bounded so that a batch of thousands
 * (every lease claimed after a restart) does not queue them all at the connection, where each
 * request's deadline would run while it waits its turn.
 */
export const MAX_LEASES_IN_FLIGHT = 32;

export function leaseManagerImplementations(store: ManagedLeaseStore, clock: Clock, random: () => number = Math.random) {
  async function apply(operation: ManagerOperation): Promise<AppliedOperation> {
    const { key } = operation;
    const settled = (result: AppliedOperation['result'], change: ManagedLeaseChange | null = null): AppliedOperation => ({ result, change });
    switch (operation.kind) {
      case 'claim': {
        const claim = await store.claim(key, operation.holder, operation.durationMs);
        return claim.outcome === 'denied'
          ? settled({ outcome: 'denied', holder: claim.holder })
          : settled({ outcome: claim.outcome }, { key, lease: claim.lease });
      }
      case 'revoke': {
        const outcome = await store.revoke(key, operation.holder);
        if (outcome === 'revoked') return settled({ outcome }, { key, lease: null });
        return settled({ outcome: outcome === 'pinned' ? 'isPinned' : 'notHeld' });
      }
      case 'pin':
      case 'unpin': {
        const pin = await store[operation.kind](key, operation.entity);
        if (pin.outcome === 'notHeld') return settled({ outcome: 'notHeld' });
        return settled({ outcome: operation.kind === 'pin' ? 'pinned' : 'unpinned' }, { key, lease: pin.lease });
      }
    }
  }

  /**
   * Applies a batch: each lease's requests in queue order, up to MAX_LEASES_IN_FLIGHT leases at a
   * time. A failed store call ends its lease's requests for this batch (the rest keep their order
   * and wait for the next); only the head's error is reported, for the machine to retry or stop on.
   * Once `stopped` says so (the manager stopped, its callers told), no further call is made: calls
   * already in flight cannot be taken back, but nothing queued behind them reaches the store.
   */
  async function applyAll(operations: ManagerOperation[], stopped: () => boolean): Promise<OperationsOutput> {
    const applied: (AppliedOperation | null)[] = operations.map(() => null);
    let failedHead: OperationsOutput['failedHead'] = null;
    const byLease = new Map<string, number[]>();
    operations.forEach(({ key }, index) => {
      const id = leaseKeyId(key);
      const indices = byLease.get(id);
      if (indices) indices.push(index);
      else byLease.set(id, [index]);
    });
    const leases = [...byLease.values()];
    let next = 0;
    // Each of up to MAX_LEASES_IN_FLIGHT loops takes the next lease not yet taken.
    const takeLeases = async () => {
      while (next < leases.length && !stopped()) {
        for (const index of leases[next++]!) {
          if (stopped()) break;
          try {
            applied[index] = await apply(operations[index]!);
          } catch (error) {
            if (index === 0) failedHead = { error };
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_LEASES_IN_FLIGHT, leases.length) }, takeLeases));
    return { applied, failedHead, now: clock.now() };
  }

  async function expire(keys: LeaseKey[]): Promise<ExpiryOutput> {
    const changes: ManagedLeaseChange[] = [];
    for (const key of keys) {
      const outcome = await store.expire(key);
      if (outcome === 'expired' || outcome === 'gone') changes.push({ key, lease: null });
    }
    return { changes, now: clock.now() };
  }

  return {
    actors: {
      watchStore: fromEventObservable<LeaseManagerEvent, WatchStoreInput>(({ input: { known } }) =>
        store.changes().pipe(
          // The feed reports the manager's own writes too, which it applied from their outcomes already:
          // a batch of nothing but those is dropped here, sparing the machine an event per extend.
          mergeMap((changes): LeaseManagerEvent[] => {
            const news = changes.filter(({ key, lease }) => {
              const held = lease && known.get(leaseKeyId(key));
              return !(held && sameLease(held, lease));
            });
            return changes.length > 0 && news.length === 0 ? [] : [{ type: 'STORE_CHANGED', changes: news, now: clock.now() }];
          }),
          catchError((error: unknown) => of<LeaseManagerEvent>({ type: 'STORE_FAILED', error })),
        ),
      ),
      // One batch at a time: the machine sends the next only after this one's answer.
      operationsWorker: fromCallback<ApplyRequest>(({ receive, sendBack }) => {
        let stopped = false;
        receive(({ operations }) => {
          void applyAll(operations, () => stopped).then((output) => {
            if (!stopped) sendBack({ type: 'APPLIED', output } satisfies LeaseManagerEvent);
          });
        });
        // XState stops the worker with the manager (stop(), or a store error that is not transient).
        return () => void (stopped = true);
      }),
      expireLeases: fromPromise<ExpiryOutput, { keys: LeaseKey[] }>(({ input }) => expire(input.keys)),
    },
    delays: {
      untilWake: ({ context }: { context: LeaseManagerContext }) =>
        clampDelay((context.wakeAt ?? clock.now() + context.maxSleep) - clock.now()),
      /** `attempt` already counts the failure being retried: 50 ms after the first, then x1.6, ±25 % jitter. */
      retryBackoff: ({ context }: { context: LeaseManagerContext }) =>
        RETRY_INITIAL_DELAY * RETRY_FACTOR ** (context.attempt - 1) * (0.75 + random() * 0.5),
    },
  };
}

export type LeaseManagerImplementations = ReturnType<typeof leaseManagerImplementations>;
