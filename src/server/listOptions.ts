/**
 * The options of a list or watch, checked as kube-apiserver checks ListOptions: every problem is a
 * cause of one 422 naming the option; which resourceVersion and how it matches; whether a watch
 * starts with the current objects (sendInitialEvents, the streaming list client-go's WatchList and
 * kubectl 1.35 use).
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

const forbidden = (field: string, message: string): status.StatusCause => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` });
const unsupported = (field: string, value: string, supported: string[]): status.StatusCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

function watchCauses(match: string, sendInitialEvents: boolean | undefined, resumed: boolean): status.StatusCause[] {
  const causes: status.StatusCause[] = [];
  if (sendInitialEvents !== undefined && match !== 'NotOlderThan') causes.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
  if (match !== '') {
    if (sendInitialEvents === undefined) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') causes.push(unsupported('resourceVersionMatch', match, ['NotOlderThan']));
    if (resumed) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return causes;
}

function listCauses(match: string, rv: string, sendInitialEvents: boolean | undefined, resumed: boolean): status.StatusCause[] {
  const causes: status.StatusCause[] = [];
  if (match !== '') {
    if (rv === '') causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (resumed) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') causes.push(unsupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && rv === '0') causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (sendInitialEvents !== undefined) causes.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return causes;
}

/** The options of a list or watch (`watching`: a deprecated /watch/ path, a watch whatever the query says). */
export function listOptions(params: URLSearchParams, watching = false): ListOptions {
  const watch = watching || flag(params, 'watch');
  const rv = params.get('resourceVersion') ?? '';
  const match = params.get('resourceVersionMatch') ?? '';
  const sendInitialEvents = params.has('sendInitialEvents') ? flag(params, 'sendInitialEvents') : undefined;
  const resumed = Boolean(params.get('continue'));
  const causes = watch ? watchCauses(match, sendInitialEvents, resumed) : listCauses(match, rv, sendInitialEvents, resumed);
  if (causes.length > 0) {
    const listed = causes.map((cause) => `${cause.field}: ${cause.message}`);
    throw new HttpError(
      status.failure(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`}`, { group: 'meta.k8s.io', kind: 'ListOptions', causes }),
    );
  }
  if (rv !== '' && !/^\d+$/.test(rv)) throw new HttpError(status.badRequest(`invalid resource version: ${JSON.stringify(rv)}`));
  const timeout = params.get('timeoutSeconds');
  return {
    watch,
    resourceVersion: rv === '' ? undefined : Number(rv),
    resourceVersionText: rv === '' ? undefined : rv,
    resourceVersionMatch: match === '' ? undefined : (match as ResourceVersionMatch),
    sendInitialEvents,
    allowWatchBookmarks: flag(params, 'allowWatchBookmarks'),
    timeoutSeconds: timeout && /^\d+$/.test(timeout) ? Number(timeout) : undefined,
  };
}
