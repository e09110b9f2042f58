/**
 * Watch streams as kube-apiserver serves them: headers flushed at once, one JSON event per line;
 * without a resourceVersion (or "0") the current objects replayed as ADDED, after N the changes
 * since N, a 410 Expired ERROR event when N is older than the history; a streaming list
 * (sendInitialEvents=true) sends the current objects, then (with allowWatchBookmarks) a BOOKMARK
 * annotated `k8s.io/initial-events-end: "true"`, then the changes. With a selector, an object that
 * starts matching arrives as ADDED and one that stops matching as DELETED (its last matching
 * content at the new version). Periodic BOOKMARKs on request, never one at once; the stream ends
 * after timeoutSeconds. A watcher that falls behind by more than `maxBacklogBytes` of unsent
 * events is cut off, as kube-apiserver closes unresponsive watchers: its client re-lists, and the
 * server's memory stays bounded however many watchers stall.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import type { ChangeEvent, ObjectStore, Resource, StoredObject } from './objectStore.js';
import type { Selector } from './selectors.js';
import { expired } from './status.js';

export interface WatchRequest {
  resource: Resource;
  /** The object a BOOKMARK carries (the kind's zero object); its metadata is replaced. */
  bookmark: Record<string, unknown>;
  namespace: string | undefined;
  selector: Selector;
  /** Where the watch starts: the current objects as ADDED (with or without the end-of-list bookmark), or the changes after a resourceVersion. */
  start: { from: 'current'; announceEnd: boolean } | { from: 'after'; resourceVersion: number };
  bookmarks: boolean;
  timeoutSeconds: number | undefined;
  /** Wraps each object for output (a Table row for kubectl get -w). */
  render: (object: StoredObject) => unknown;
}

export interface WatchSettings {
  clock: Clock;
  /** Interval of BOOKMARK events on watches that allow them. */
  bookmarkInterval: number;
  /** Unsent bytes a watcher may fall behind by before it is closed. */
  maxBacklogBytes: number;
  logger: Logger;
}

/** The annotation client-go's WatchList waits for on the BOOKMARK that ends the initial events. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export function serveWatch(response: ServerResponse, objects: ObjectStore, settings: WatchSettings, watch: WatchRequest): void {
  const { clock, bookmarkInterval } = settings;
  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  response.flushHeaders();
  const send = (type: string, object: unknown) => {
    if (response.destroyed) return;
    response.write(`${JSON.stringify({ type, object })}\n`);
    if (response.writableLength > settings.maxBacklogBytes) {
      settings.logger.warn('closing a watch that fell behind', { resource: watch.resource, backlogBytes: response.writableLength });
      response.destroy();
    }
  };
  const inScope = (object: StoredObject) => (watch.namespace === undefined || object.metadata.namespace === watch.namespace) && watch.selector(object);
  /** What this watcher sees of a change: nothing, or an event whose type follows the selector. */
  const seen = (event: ChangeEvent): [string, StoredObject] | undefined => {
    if (event.resource !== watch.resource) return undefined;
    const now = event.type !== 'DELETED' && inScope(event.object);
    const before = event.previous !== undefined && inScope(event.previous);
    if (now) return [before || event.type === 'ADDED' ? event.type : 'ADDED', event.object];
    if (!before) return undefined;
    const previous = event.previous!;
    return ['DELETED', { ...previous, metadata: { ...previous.metadata, resourceVersion: String(event.resourceVersion) } }];
  };
  const deliver = (event: ChangeEvent) => {
    const shown = seen(event);
    if (shown) send(shown[0], watch.render(shown[1]));
  };
  const bookmark = (resourceVersion: number, annotations?: Record<string, string>) =>
    send('BOOKMARK', { ...watch.bookmark, metadata: { resourceVersion: String(resourceVersion), ...(annotations ? { annotations } : {}) } });

  const { start } = watch;
  if (start.from === 'after' && start.resourceVersion < objects.oldestResumable) {
    send('ERROR', expired(String(start.resourceVersion), objects.oldestResumable));
    response.end();
    return;
  }
  // Changes are buffered until the starting point has been sent.
  let buffered: ChangeEvent[] | undefined = [];
  const unsubscribe = objects.subscribe((event) => {
    if (buffered) buffered.push(event);
    else deliver(event);
  });
  const timers: unknown[] = [];
  const stop = () => {
    unsubscribe();
    for (const timer of timers) if (timer !== undefined) clock.clearTimeout(timer);
  };
  response.on('close', stop);
  response.on('finish', stop);

  const startStreaming = (listedAt: number) => {
    for (const event of buffered!) if (event.resourceVersion > listedAt) deliver(event);
    buffered = undefined;
    if (watch.bookmarks) {
      const every = () => {
        bookmark(objects.deliveredResourceVersion);
        timers[0] = clock.setTimeout(every, bookmarkInterval);
      };
      timers[0] = clock.setTimeout(every, bookmarkInterval);
    }
    if (watch.timeoutSeconds !== undefined) timers[1] = clock.setTimeout(() => response.end(), watch.timeoutSeconds * 1000);
  };

  if (start.from === 'after') {
    // The history holds only what every watcher may see: no wait.
    for (const event of objects.since(start.resourceVersion)) deliver(event);
    startStreaming(objects.deliveredResourceVersion);
    return;
  }
  // The current objects may include changes not yet on disk: send them once they are.
  const listedAt = objects.resourceVersion;
  const current = objects.list(watch.resource, watch.namespace).filter(inScope);
  objects.settled().then(
    () => {
      if (response.destroyed) return;
      for (const object of current) send('ADDED', watch.render(object));
      if (start.announceEnd) bookmark(listedAt, { [INITIAL_EVENTS_END]: 'true' });
      startStreaming(listedAt);
    },
    () => response.destroy(),
  );
}
