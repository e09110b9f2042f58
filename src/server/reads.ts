/**
 * The read verbs on one served resource, as kube-apiserver answers them: get, list (at the latest
 * version, at an exact older one, paged with limit and continue) and watch, each as the object
 * itself, a Table or metadata alone. List items carry no kind or apiVersion (the list names them).
 */
import { HttpError } from './encoding.js';
import { zeroObject } from './goShapes.js';
import type { ListOptions } from './listOptions.js';
import type { StoredObject } from './objectStore.js';
import type { EndpointContext, ResourceCall } from './resourceEndpoints.js';
import type { ServedResource } from './resources.js';
import { parseSelectors, type Selector, SelectorError } from './selectors.js';
import * as status from './status.js';
import { partialMetadata, type Rendering, renderingOf, type TableRequest } from './table.js';
import { serveWatch, type WatchRequest } from './watch.js';

type JsonObject = Record<string, unknown>;

export function selectorOf(call: ResourceCall, served: ServedResource): Selector {
  try {
    return parseSelectors(call.params.get('fieldSelector'), call.params.get('labelSelector'), served.fields);
  } catch (error) {
    if (error instanceof SelectorError) throw new HttpError(status.badRequest(error.message));
    throw error;
  }
}

/** A list item: the object without the kind and apiVersion its list already names. */
export function listItem(object: JsonObject): JsonObject {
  const { kind: _kind, apiVersion: _apiVersion, ...item } = object;
  return item;
}

interface ContinueToken {
  rv: number;
  /** The last key ("namespace/name") of the page before. */
  after: string;
}

const encodeContinue = ({ rv, after }: ContinueToken) => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${after}\u0000` })).toString('base64');

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('not a continue token of this server');
    return { rv: parsed.rv, after: parsed.start.replace(/\u0000$/, '') };
  } catch (error) {
    throw new HttpError(status.badRequest(`invalid continue token: continue key is not valid: ${(error as Error).message}`));
  }
}

const keyOf = (object: StoredObject) => `${object.metadata.namespace}/${object.metadata.name}`;

export function reads({ objects, clock, watch: watchSettings }: EndpointContext, served: ServedResource) {
  const tableRequest = (rendering: Extract<Rendering, { as: 'Table' }>, call: ResourceCall): TableRequest => ({
    apiVersion: rendering.apiVersion,
    includeObject: call.params.get('includeObject') ?? '',
    present: served.present,
  });

  function get(call: ResourceCall, current: StoredObject | undefined, name: string) {
    const rendering = renderingOf(call.request.headers.accept, false);
    if (!current) throw new HttpError(status.notFound(name, served.subject));
    if (rendering.as === 'Table') return { code: 200, body: served.table([current], Number(current.metadata.resourceVersion), clock.now(), tableRequest(rendering, call)) };
    if (rendering.as === 'PartialObjectMetadata') return { code: 200, body: partialMetadata(current, objects.resourceVersion, rendering.apiVersion) };
    return { code: 200, body: served.present(current) };
  }

  /** The objects a list answers, at the version it reads, one page of them when `limit` is set. */
  function page(call: ResourceCall, options: ListOptions) {
    const selector = selectorOf(call, served);
    const requested = options.resourceVersion;
    if (requested !== undefined && requested > objects.resourceVersion) throw new HttpError(status.tooLargeResourceVersion(options.resourceVersionText!, objects.resourceVersion));
    const token = call.params.get('continue') ? decodeContinue(call.params.get('continue')!) : undefined;
    const exact = token?.rv ?? (options.resourceVersionMatch === 'Exact' ? requested : undefined);
    let version = objects.resourceVersion;
    let found = objects.list(served.stored, call.namespace);
    if (exact !== undefined && exact !== version) {
      const then = objects.listAt(served.stored, call.namespace, exact);
      if (!then) throw new HttpError(token ? status.failure(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.') : status.expired(options.resourceVersionText!, objects.oldestResumable));
      [version, found] = [exact, then];
    }
    const remaining = token ? found.filter((object) => keyOf(object) > token.after) : found;
    const items = remaining.filter(selector);
    const limit = Number(call.params.get('limit') ?? 0);
    if (!(limit > 0) || items.length < limit) return { version, items, more: undefined };
    const shown = items.slice(0, limit);
    const last = keyOf(shown[shown.length - 1]!);
    // As etcd pages: there is more when any object, matching or not, follows the last one shown.
    const after = remaining.filter((object) => keyOf(object) > last).length;
    const filtered = Boolean(call.params.get('labelSelector') || call.params.get('fieldSelector'));
    return { version, items: shown, more: after === 0 ? undefined : { token: encodeContinue({ rv: version, after: last }), remaining: filtered ? undefined : after } };
  }

  function list(call: ResourceCall, options: ListOptions) {
    const rendering = renderingOf(call.request.headers.accept, true);
    const { version, items, more } = page(call, options);
    if (rendering.as === 'Table') return { code: 200, body: served.table(items, version, clock.now(), tableRequest(rendering, call)) };
    if (rendering.as !== 'object') return { code: 200, body: partialMetadata(items, version, rendering.apiVersion) };
    const metadata: JsonObject = { resourceVersion: String(version), ...(more ? { continue: more.token } : {}), ...(more?.remaining !== undefined ? { remainingItemCount: more.remaining } : {}) };
    return { code: 200, body: { kind: served.listKind, apiVersion: served.apiVersion, metadata, items: items.map((item) => listItem(served.present(item))) } };
  }

  function watch(call: ResourceCall, options: ListOptions): undefined {
    const rendering = renderingOf(call.request.headers.accept, true);
    const render =
      rendering.as === 'Table'
        ? (object: StoredObject) => served.table([object], objects.resourceVersion, clock.now(), tableRequest(rendering, call))
        : served.present;
    const requested = options.resourceVersion;
    if (requested !== undefined && requested > objects.resourceVersion) throw new HttpError(status.tooLargeResourceVersion(options.resourceVersionText!, objects.resourceVersion));
    let start: WatchRequest['start'];
    if (options.sendInitialEvents === true) start = { from: 'current', announceEnd: options.allowWatchBookmarks };
    else if (options.sendInitialEvents === false) start = { from: 'after', resourceVersion: requested || objects.resourceVersion };
    else if (!requested) start = { from: 'current', announceEnd: false };
    else start = { from: 'after', resourceVersion: requested };
    serveWatch(call.response, objects, watchSettings, {
      resource: served.stored,
      // A BOOKMARK is the kind's zero object with a resourceVersion, as Go encodes it.
      bookmark: { apiVersion: served.apiVersion, kind: served.subject.kind, ...(zeroObject(served.shape) as JsonObject) },
      namespace: call.namespace,
      selector: selectorOf(call, served),
      start,
      bookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
      render,
    });
    return undefined;
  }

  return { get, list, watch };
}
