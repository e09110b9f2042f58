/**
 * List, then watch from the list's resourceVersion: the one loop both Kubernetes adapters keep their
 * view of Lease objects with (KubernetesLeaseLock for one lease, the managed-lease feed for many),
 * with client-go's reflector rules:
 *
 * - the first attempt lists (abortable), then watches from the list's resourceVersion;
 * - a stream the server ends (timeoutSeconds), or that client-node gives up on after 30 s without
 *   data, is resumed at once from the last resourceVersion seen — unless it ended within a second
 *   of opening without delivering anything, which counts as a failure (no loop of empty watches);
 * - 410 Expired (an ERROR event, or the status of the watch request) means that resourceVersion is
 *   gone: list again at once, without reporting anything down;
 * - any other failure — a refused request, a network error, another ERROR event, an attempt whose
 *   watch has not opened within `connectTimeout` (client-node's Watch has no timeout on our clock) —
 *   is reported `down`, and the next attempt, after a back-off (`initial` doubling to `max`, back to
 *   `initial` once an attempt has listed or delivered an event), lists again: the list is the `up`,
 *   and a server that came back without our history (the embedded one starts its resourceVersions
 *   over when restarted) is seen as it is, not through a resumed watch that would miss its changes.
 *
 * Every wait (back-off, connect timeout) runs on the injected clock's RxJS scheduler.
 */
import type { CoordinationV1Api, V1Lease, V1LeaseList, Watch } from '@kubernetes/client-node';
import { Observable, catchError, concat, defer, ignoreElements, of, repeat, timer } from 'rxjs';
import { LeaseUnavailableError, type LeaseErrorContext } from '../lease/errors.js';
import type { Clock } from '../time/clock.js';
import { type KubernetesVerb, toLeaseError } from './errors.js';
import { requestOptions } from './requestOptions.js';

export type ListWatchEvent =
  /** Every object as it is now: the first list, a re-list after 410 Expired, or the loop up again after `down`. */
  | { type: 'listed'; objects: V1Lease[] }
  /** One change, in resourceVersion order. */
  | { type: 'changed'; change: 'ADDED' | 'MODIFIED' | 'DELETED'; object: V1Lease }
  /** The loop lost the server (a typed LeaseApiError says how); it retries after a back-off. */
  | { type: 'down'; error: Error };

/** What the loop lists and watches: client-node calls, or anything that behaves like them. */
export interface ListWatchSource {
  /** Lists the objects; must give up when `signal` aborts. */
  list(signal: AbortSignal): Promise<V1LeaseList>;
  /** Opens a watch after `resourceVersion` (client-node's Watch.watch); `onDone` is called once when it ends. */
  watch(resourceVersion: string, onEvent: (type: string, object: unknown) => void, onDone: (error: unknown) => void): Promise<AbortController>;
}

export interface ListWatchOptions {
  clock: Clock;
  /** First and largest delay before an attempt after a failure; default 500 ms doubling to 30 s. */
  backoff?: { initial: number; max: number };
  /** How long an attempt may take to open its watch (list included); default 10 s. */
  connectTimeout?: number;
  errorContext: LeaseErrorContext & { namespace: string };
}

export const DEFAULT_WATCH_BACKOFF = { initial: 500, max: 30_000 };
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Servers end a watch after this; the loop resumes it. */
export const WATCH_TIMEOUT_SECONDS = 300;

const EXPIRED = 410;
/** A watch that ends sooner than this after opening, having delivered nothing, failed. */
const SHORTEST_WATCH_MS = 1_000;
const codeOf = (error: unknown) => {
  const fields = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  return typeof fields.code === 'number' ? fields.code : fields.statusCode;
};
/** client-node 2.x ends a watch that received nothing for 30 s with a TimeoutError; its own informer resumes at once. */
const isIdleTimeout = (error: unknown) => (error as { name?: unknown } | null)?.name === 'TimeoutError';

export function listThenWatch(source: ListWatchSource, options: ListWatchOptions): Observable<ListWatchEvent> {
  const { clock, errorContext } = options;
  const { initial, max } = options.backoff ?? DEFAULT_WATCH_BACKOFF;
  const connectTimeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const typed = (error: unknown, verb: KubernetesVerb) => toLeaseError(error, verb, errorContext);

  return defer(() => {
    /** Where the next watch starts; undefined: list first. */
    let resourceVersion: string | undefined;
    let delay = initial;

    /** One attempt: list if needed, then one watch stream. Completes when it may simply be resumed; errors on failure. */
    const attempt = new Observable<ListWatchEvent>((subscriber) => {
      const listing = new AbortController();
      let watch: AbortController | undefined;
      let phase: KubernetesVerb = resourceVersion === undefined ? 'list' : 'watch';
      let requestedAt = 0;
      let openedAt: number | undefined;
      let delivered = false;
      let streamError: Error | undefined;
      const giveUp = timer(connectTimeout, clock.scheduler).subscribe(() =>
        subscriber.error(new LeaseUnavailableError(`${phase}: no answer within ${connectTimeout} ms`, errorContext)),
      );

      const onEvent = (type: string, object: unknown) => {
        if (subscriber.closed) return;
        delivered = true;
        if (type === 'ERROR') {
          // 410 Expired: relist once the stream ends; any other Status is a failure of this stream.
          if (codeOf(object) === EXPIRED) resourceVersion = undefined;
          else streamError = typed({ code: codeOf(object) ?? 500, body: object }, 'watch');
          return;
        }
        const lease = object as V1Lease | null;
        delay = initial;
        if (resourceVersion !== undefined) resourceVersion = lease?.metadata?.resourceVersion ?? resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') subscriber.next({ type: 'changed', change: type, object: lease ?? {} });
      };
      const onDone = (error: unknown) => {
        if (subscriber.closed) return;
        if (codeOf(error) === EXPIRED) resourceVersion = undefined;
        else if (error && !(openedAt !== undefined && isIdleTimeout(error))) return subscriber.error(typed(error, 'watch'));
        else if (!delivered && clock.now() - requestedAt < SHORTEST_WATCH_MS) {
          streamError = new LeaseUnavailableError('watch: the server ended the watch as soon as it opened', errorContext);
        }
        if (streamError) subscriber.error(streamError);
        else subscriber.complete();
      };

      void (async () => {
        if (resourceVersion === undefined) {
          const list = await source.list(listing.signal);
          if (subscriber.closed) return;
          delay = initial;
          resourceVersion = list.metadata?.resourceVersion ?? '';
          subscriber.next({ type: 'listed', objects: list.items });
          phase = 'watch';
        }
        requestedAt = clock.now();
        const started = await source.watch(resourceVersion, onEvent, onDone);
        if (subscriber.closed) return started.abort();
        watch = started;
        openedAt = clock.now();
        giveUp.unsubscribe();
      })().catch((error: unknown) => subscriber.error(typed(error, phase)));

      return () => {
        giveUp.unsubscribe();
        listing.abort();
        watch?.abort();
      };
    });

    return attempt.pipe(
      catchError((error: Error) => {
        const wait = delay;
        delay = Math.min(max, delay * 2);
        resourceVersion = undefined;
        return concat(of<ListWatchEvent>({ type: 'down', error }), timer(wait, clock.scheduler).pipe(ignoreElements()));
      }),
      repeat(),
    );
  });
}

/** The list-then-watch loop over Lease objects in `namespace` matching `selector`, through client-node. */
export function leaseListWatch(
  client: { api: CoordinationV1Api; watch: Watch },
  namespace: string,
  selector: { fieldSelector: string } | { labelSelector: string },
  options: ListWatchOptions,
): Observable<ListWatchEvent> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return listThenWatch(
    {
      list: (signal) => client.api.listNamespacedLease({ namespace, ...selector }, requestOptions(signal)),
      watch: (resourceVersion, onEvent, onDone) =>
        client.watch.watch(path, { ...selector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS }, onEvent, onDone),
    },
    options,
  );
}
