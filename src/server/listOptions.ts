/**
 * The options of a list or watch, checked as kube-apiserver checks ListOptions (422 naming the
 * option): which resourceVersion and how it matches, whether a watch starts with the current
 * objects (sendInitialEvents, the streaming list client-go's WatchList and kubectl 1.35 use).
 */
import { flag, HttpError } from './encoding.js';
import * as status from './status.js';

export type ResourceVersionMatch = 'NotOlderThan' | 'Exact' | undefined;

export interface ListOptions {
  watch: boolean;
  /** undefined: unset or "" (the most recent state); 0: any state; otherwise a resourceVersion. */
  resourceVersion: number | undefined;
  /** The raw value, for messages. */
  resourceVersionText: string | undefined;
  resourceVersionMatch: ResourceVersionMatch;
  /** undefined when not given: a watch then replays (no resourceVersion) or resumes (one). */
  sendInitialEvents: boolean | undefined;
  allowWatchBookmarks: boolean;
  timeoutSeconds: number | undefined;
}

function forbidden(field: string, message: string): HttpError {
  return new HttpError(
    status.failure(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${field}: Forbidden: ${message}`, {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes: [{ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` }],
    }),
  );
}

export function listOptions(params: URLSearchParams): ListOptions {
  const watch = flag(params, 'watch');
  const rv = params.get('resourceVersion') ?? '';
  if (rv !== '' && !/^\d+$/.test(rv)) throw new HttpError(status.badRequest(`invalid resource version: ${JSON.stringify(rv)}`));
  const match = params.get('resourceVersionMatch') ?? '';
  if (match !== '' && match !== 'NotOlderThan' && match !== 'Exact') {
    throw new HttpError(
      status.failure(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`, {
        group: 'meta.k8s.io',
        kind: 'ListOptions',
        causes: [{ reason: 'FieldValueNotSupported', field: 'resourceVersionMatch', message: `Unsupported value: ${JSON.stringify(match)}` }],
      }),
    );
  }
  const sendInitialEvents = params.has('sendInitialEvents') ? flag(params, 'sendInitialEvents') : undefined;
  const allowWatchBookmarks = flag(params, 'allowWatchBookmarks');
  if (watch) {
    if (sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan') throw forbidden('resourceVersionMatch', 'sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan');
      if (sendInitialEvents && !allowWatchBookmarks) throw forbidden('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true');
    } else if (match !== '') {
      throw forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    }
  } else {
    if (sendInitialEvents !== undefined) throw forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list');
    if (match !== '' && rv === '') throw forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (match === 'Exact' && rv === '0') throw forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  }
  const timeout = params.get('timeoutSeconds');
  return {
    watch,
    resourceVersion: rv === '' ? undefined : Number(rv),
    resourceVersionText: rv === '' ? undefined : rv,
    resourceVersionMatch: match === '' ? undefined : match,
    sendInitialEvents,
    allowWatchBookmarks,
    timeoutSeconds: timeout && /^\d+$/.test(timeout) ? Number(timeout) : undefined,
  };
}
