/**
 * The change feed of the Kubernetes managed-lease store, from the list-then-watch loop over the
 * managed-lease objects (listWatch.ts): the first list as one batch of every live lease, then a
 * batch per change; after a re-list (410 Expired), the difference from what subscribers were told,
 * including nulls for leases gone meanwhile. Transient outages are the loop's to ride out; failures
 * that retrying cannot fix (credentials, RBAC) error the feed.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { type Observable, defer, mergeMap } from 'rxjs';
import { LeaseApiError } from '../../lease/errors.js';
import type { ListWatchEvent } from '../listWatch.js';
import { type ManagedLease, type ManagedLeaseChange, sameLease } from '../../ports/managedLeaseStore.js';

export interface ManagedLeaseObjects {
  /** The lease an object holds: null when it is gone (holder ""), undefined when the object is no managed lease. */
  observe(object: V1Lease): ManagedLease | null | undefined;
  /** The object was deleted: drop what is remembered about it. */
  forget(name: string): void;
}

export function managedLeaseFeed(events: Observable<ListWatchEvent>, objects: ManagedLeaseObjects): Observable<ManagedLeaseChange[]> {
  return defer(() => {
    /** By object name: the leases subscribers were last told are live. */
    const live = new Map<string, ManagedLease>();
    let listed = false;

    /** The change to report for `name` now holding `lease`, or undefined when subscribers already know it. */
    const changeOf = (name: string, lease: ManagedLease | null): ManagedLeaseChange | undefined => {
      const before = live.get(name);
      if (lease) {
        if (before && sameLease(before, lease)) return undefined;
        live.set(name, lease);
        return { key: lease.key, lease };
      }
      if (!before) return undefined;
      live.delete(name);
      return { key: before.key, lease: null };
    };

    const relisted = (list: V1Lease[]) => {
      const changes: (ManagedLeaseChange | undefined)[] = [];
      const seen = new Set<string>();
      for (const object of list) {
        const name = object.metadata?.name;
        const lease = name === undefined ? undefined : objects.observe(object);
        if (name === undefined || !lease) continue;
        seen.add(name);
        changes.push(changeOf(name, lease));
      }
      for (const name of [...live.keys()]) if (!seen.has(name)) changes.push(changeOf(name, null));
      return changes;
    };

    const changed = (change: 'ADDED' | 'MODIFIED' | 'DELETED', object: V1Lease) => {
      const name = object.metadata?.name;
      if (name === undefined) return [];
      if (change === 'DELETED') {
        objects.forget(name);
        return [changeOf(name, null)];
      }
      const lease = objects.observe(object);
      return lease === undefined ? [] : [changeOf(name, lease)];
    };

    return events.pipe(
      mergeMap((event): ManagedLeaseChange[][] => {
        if (event.type === 'down') {
          if (event.error instanceof LeaseApiError && event.error.transient) return [];
          throw event.error;
        }
        const changes = event.type === 'listed' ? relisted(event.objects) : changed(event.change, event.object);
        const batch = changes.filter((change): change is ManagedLeaseChange => change !== undefined);
        // The first list is always a batch, empty or not: it tells the manager the feed is up.
        if (batch.length === 0 && listed) return [];
        listed = true;
        return [batch];
      }),
    );
  });
}
