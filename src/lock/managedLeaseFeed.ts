/**
 * The change feed of the Kubernetes managed-lease store: list the managed-lease objects (one batch of
 * every live lease), then watch from the list's resourceVersion. A watch that ends or fails resumes
 * from the last resourceVersion seen (after a back-off when it failed); when the server no longer
 * has that version (410 Expired) the feed lists again and emits the difference from what it told
 * subscribers, including nulls for leases gone meanwhile. Failures that retrying cannot fix
 * (credentials, RBAC) error the feed.
 */
import type { V1Lease, V1LeaseList } from '@kubernetes/client-node';
import { Observable } from 'rxjs';
import { LeaseApiError, LeaseUnavailableError, type LeaseErrorContext } from '../lease/errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { toLeaseError } from './kubernetesErrors.js';
import { isIdleTimeout } from './kubernetesLeaseLock.js';
import type { ManagedLease, ManagedLeaseChange } from './managedLeaseStore.js';

export type WatchCallback = (type: string, object: unknown) => void;

export interface ManagedLeaseFeedSource {
  /** Lists the managed-lease objects; fails with typed errors. */
  list(): Promise<V1LeaseList>;
  /** Watches the managed-lease objects after `resourceVersion`; `onDone` is called once when the stream ends. */
  watch(resourceVersion: string | undefined, onEvent: WatchCallback, onDone: (error: unknown) => void): Promise<AbortController>;
  /** The lease an object holds: null when it is gone (holder ""), undefined when the object is no managed lease. */
  observe(object: V1Lease): ManagedLease | null | undefined;
  /** The object was deleted: drop what is remembered about it. */
  forget(name: string): void;
  clock: Clock;
  /** First and largest delay before a failed watch reconnects. */
  backoff: { initial: number; max: number };
  /** How long opening the watch may take before the attempt is given up (client-node's Watch has no timeout). */
  connectTimeout: number;
  errorContext: LeaseErrorContext & { namespace: string };
}

const sameLease = (a: ManagedLease, b: ManagedLease) =>
  a.holder === b.holder &&
  a.expiry === b.expiry &&
  a.pinnedBy.length === b.pinnedBy.length &&
  a.pinnedBy.every((entity, index) => entity === b.pinnedBy[index]);

export function managedLeaseFeed(source: ManagedLeaseFeedSource): Observable<ManagedLeaseChange[]> {
  return new Observable<ManagedLeaseChange[]>((subscriber) => {
    const { clock, errorContext } = source;
    const { initial, max } = source.backoff;
    /** By object name: the leases subscribers were last told are live. */
    const live = new Map<string, ManagedLease>();
    let closed = false;
    let listed = false;
    let relist = true;
    let resourceVersion: string | undefined;
    let delay = initial;
    let connection: AbortController | undefined;
    let retry: TimerHandle | undefined;
    let streamError: Error | undefined;

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

    const emit = (changes: (ManagedLeaseChange | undefined)[]) => {
      const batch = changes.filter((change): change is ManagedLeaseChange => change !== undefined);
      if (batch.length > 0 || !listed) subscriber.next(batch);
      listed = true;
    };

    const fail = (error: Error) => {
      closed = true;
      connection?.abort();
      subscriber.error(error);
    };

    const down = (error: Error) => {
      if (closed) return;
      if (!(error instanceof LeaseApiError && error.transient)) return fail(error);
      retry = clock.setTimeout(() => void connect(), delay);
      delay = Math.min(max, delay * 2);
    };

    const listAll = async () => {
      const list = await source.list();
      if (closed) return;
      const changes: (ManagedLeaseChange | undefined)[] = [];
      const seen = new Set<string>();
      for (const object of list.items) {
        const name = object.metadata?.name;
        const lease = source.observe(object);
        if (name === undefined || !lease) continue;
        seen.add(name);
        changes.push(changeOf(name, lease));
      }
      for (const name of [...live.keys()]) if (!seen.has(name)) changes.push(changeOf(name, null));
      emit(changes);
      resourceVersion = list.metadata?.resourceVersion;
      relist = false;
    };

    const onEvent: WatchCallback = (type, object) => {
      if (closed) return;
      if (type === 'ERROR') {
        const status = (object ?? {}) as { code?: number };
        // 410 Expired: the server no longer has our resourceVersion; the stream ends and we re-list.
        if (status.code === 410) relist = true;
        else streamError = toLeaseError({ code: status.code ?? 500, body: status }, 'watch', errorContext);
        return;
      }
      const lease = object as V1Lease | null;
      resourceVersion = lease?.metadata?.resourceVersion ?? resourceVersion;
      delay = initial;
      const name = lease?.metadata?.name;
      if (type === 'BOOKMARK' || !lease || name === undefined) return;
      if (type === 'DELETED') {
        source.forget(name);
        emit([changeOf(name, null)]);
        return;
      }
      const observed = source.observe(lease);
      if (observed !== undefined) emit([changeOf(name, observed)]);
    };

    let streaming = false;
    const onDone = (error: unknown) => {
      if (closed) return;
      const failure = error && !(streaming && isIdleTimeout(error)) ? toLeaseError(error, 'watch', errorContext) : streamError;
      streamError = undefined;
      if (failure) down(failure);
      else void connect(); // the server ended the stream (timeoutSeconds, or after a 410): resume or re-list
    };

    // Each connection attempt has a number; whatever an abandoned attempt still delivers is ignored.
    let attempt = 0;

    const connect = async () => {
      retry = undefined;
      if (closed) return;
      const current = ++attempt;
      streaming = false;
      let giveUp: TimerHandle | undefined;
      try {
        if (relist) await listAll();
        if (closed || current !== attempt) return;
        giveUp = clock.setTimeout(() => {
          if (closed || current !== attempt) return;
          attempt++;
          down(new LeaseUnavailableError(`watch: no answer within ${source.connectTimeout} ms`, errorContext));
        }, source.connectTimeout);
        const started = await source.watch(
          resourceVersion,
          (type, object) => current === attempt && onEvent(type, object),
          (error) => current === attempt && onDone(error),
        );
        if (closed || current !== attempt) started.abort();
        else {
          connection = started;
          streaming = true;
        }
      } catch (error) {
        if (current === attempt) down(error instanceof LeaseApiError ? error : toLeaseError(error, 'watch', errorContext));
      } finally {
        if (giveUp !== undefined) clock.clearTimeout(giveUp);
      }
    };

    void connect();
    return () => {
      closed = true;
      if (retry !== undefined) clock.clearTimeout(retry);
      connection?.abort();
    };
  });
}
