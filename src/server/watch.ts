/**
 * Watch streams as kube-apiserver serves them: headers flushed at once, one JSON event per line,
 * current objects replayed as ADDED when no resourceVersion (or "0") is given, changes after N
 * otherwise, a 410 Expired ERROR event when N is older than the history, BOOKMARKs on request,
 * and the stream ends after timeoutSeconds.
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from '../time/clock.js';
import type { LeaseObject, LeaseObjects } from './leaseObjects.js';
import type { Selector } from './selectors.js';
import { expired } from './status.js';

export interface WatchRequest {
  namespace: string | undefined;
  selector: Selector;
  /** undefined or "0": start with the current objects. */
  resourceVersion: number | undefined;
  bookmarks: boolean;
  timeoutSeconds: number | undefined;
  /** Wraps each object for output (a Table row for kubectl get -w). */
  render: (object: LeaseObject) => unknown;
}

export function serveWatch(response: ServerResponse, objects: LeaseObjects, clock: Clock, bookmarkInterval: number, watch: WatchRequest): void {
  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  response.flushHeaders();
  const send = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);
  const matches = (object: LeaseObject) =>
    (watch.namespace === undefined || object.metadata.namespace === watch.namespace) && watch.selector(object);

  if (watch.resourceVersion !== undefined && watch.resourceVersion < objects.oldestResumable) {
    send('ERROR', expired(String(watch.resourceVersion), objects.oldestResumable));
    response.end();
    return;
  }
  if (watch.resourceVersion === undefined) {
    for (const object of objects.list(watch.namespace).filter(matches)) send('ADDED', watch.render(object));
  } else {
    for (const event of objects.since(watch.resourceVersion)) if (matches(event.object)) send(event.type, watch.render(event.object));
  }
  const unsubscribe = objects.subscribe((event) => {
    if (matches(event.object)) send(event.type, watch.render(event.object));
  });
  const bookmark = () =>
    send('BOOKMARK', { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { resourceVersion: String(objects.resourceVersion) } });
  const timers: unknown[] = [];
  if (watch.bookmarks) {
    bookmark();
    const every = () => {
      bookmark();
      timers[0] = clock.setTimeout(every, bookmarkInterval);
    };
    timers[0] = clock.setTimeout(every, bookmarkInterval);
  }
  if (watch.timeoutSeconds !== undefined) timers[1] = clock.setTimeout(() => response.end(), watch.timeoutSeconds * 1000);
  const stop = () => {
    unsubscribe();
    for (const timer of timers) if (timer !== undefined) clock.clearTimeout(timer);
  };
  response.on('close', stop);
  response.on('finish', stop);
}
