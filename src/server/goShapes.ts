/**
 * How kube-apiserver's Go types shape the objects it serves. A body is decoded into Go structs and
 * encoded back, so what comes out is not what went in: unknown fields are gone (with a warning),
 * a nil pointer or an empty `omitempty` value is absent, a non-pointer struct is always there (`{}`),
 * a zero metav1.Time is `null`, a string without `omitempty` is `""`. The same shapes say which
 * structs are atomic (one field for server-side apply) and which fields are maps.
 *
 * Shapes here are facts about the wire, read from the published k8s.io/api types: Lease
 * (coordination.k8s.io/v1), Event in core/v1 and events.k8s.io/v1, SelfSubjectAccessReview.
 */

export type Shape =
  /** A scalar: 'omit' (omitempty: the zero value is dropped), 'keep' (always there, zero if unset), 'pointer' (absent when nil). */
  | { kind: 'scalar'; zero: 'omit' | 'keep' | 'pointer'; type: 'string' | 'integer' | 'boolean'; int64?: boolean }
  /** metav1.Time (RFC 3339 seconds) or MicroTime (six fractional digits): `null` when zero (non-pointer), absent when nil (pointer). */
  | { kind: 'time'; pointer: boolean; micro: boolean }
  /** A struct (Go type `name`): non-pointer structs are always encoded, pointer ones only when set; atomic ones are one field for apply. */
  | { kind: 'struct'; name: string; fields: Record<string, Shape>; pointer: boolean; atomic?: boolean }
  /** map[string]string, omitempty. */
  | { kind: 'map' }
  /** A list, treated as one atomic field. */
  | { kind: 'list' };

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (zero: 'omit' | 'keep' | 'pointer' = 'omit'): Shape => ({ kind: 'scalar', zero, type: 'string' });
const int = (zero: 'omit' | 'keep' | 'pointer' = 'omit'): Shape => ({ kind: 'scalar', zero, type: 'integer' });
const int64 = (zero: 'omit' | 'keep' | 'pointer' = 'omit'): Shape => ({ kind: 'scalar', zero, type: 'integer', int64: true });
const bool = (zero: 'omit' | 'keep' | 'pointer' = 'omit'): Shape => ({ kind: 'scalar', zero, type: 'boolean' });
const time = (pointer = false): Shape => ({ kind: 'time', pointer, micro: false });
const microTime = (pointer = false): Shape => ({ kind: 'time', pointer, micro: true });
const struct = (name: string, fields: Record<string, Shape>, options: { pointer?: boolean; atomic?: boolean } = {}): Shape => ({ kind: 'struct', name, fields, pointer: options.pointer ?? false, ...options });

/** TypeMeta and ObjectMeta, as every kind carries them. */
const typeMeta = { apiVersion: str(), kind: str() };
const objectMeta = struct('ObjectMeta', {
  name: str(),
  generateName: str(),
  namespace: str(),
  selfLink: str(),
  uid: str(),
  resourceVersion: str(),
  generation: int64(),
  // Encoded only when set (omitzero), like the review kinds' answers show.
  creationTimestamp: time(true),
  deletionTimestamp: time(true),
  deletionGracePeriodSeconds: int64('pointer'),
  labels: { kind: 'map' },
  annotations: { kind: 'map' },
  ownerReferences: { kind: 'list' },
  finalizers: { kind: 'list' },
  managedFields: { kind: 'list' },
});

const objectReference = (pointer: boolean) =>
  struct('ObjectReference', { kind: str(), namespace: str(), name: str(), uid: str(), apiVersion: str(), resourceVersion: str(), fieldPath: str() }, { pointer, atomic: true });
const eventSource = struct('EventSource', { component: str(), host: str() });

export const LEASE_SHAPE = struct('Lease', {
  ...typeMeta,
  metadata: objectMeta,
  spec: struct('LeaseSpec', {
    holderIdentity: str('pointer'),
    leaseDurationSeconds: int('pointer'),
    acquireTime: microTime(true),
    renewTime: microTime(true),
    leaseTransitions: int('pointer'),
    strategy: str('pointer'),
    preferredHolder: str('pointer'),
  }),
});

export const CORE_EVENT_SHAPE = struct('Event', {
  ...typeMeta,
  metadata: objectMeta,
  involvedObject: objectReference(false),
  reason: str(),
  message: str(),
  source: eventSource,
  firstTimestamp: time(),
  lastTimestamp: time(),
  count: int(),
  type: str(),
  eventTime: microTime(),
  series: struct('EventSeries', { count: int(), lastObservedTime: microTime() }, { pointer: true }),
  action: str(),
  related: objectReference(true),
  reportingComponent: str('keep'),
  reportingInstance: str('keep'),
});

export const EVENT_V1_SHAPE = struct('Event', {
  ...typeMeta,
  metadata: objectMeta,
  eventTime: microTime(),
  series: struct('EventSeries', { count: int('keep'), lastObservedTime: microTime() }, { pointer: true }),
  reportingController: str(),
  reportingInstance: str(),
  action: str(),
  reason: str(),
  regarding: objectReference(false),
  related: objectReference(true),
  note: str(),
  type: str(),
  deprecatedSource: eventSource,
  deprecatedFirstTimestamp: time(),
  deprecatedLastTimestamp: time(),
  deprecatedCount: int(),
});

const selector = struct('FieldSelectorAttributes', { rawSelector: str(), requirements: { kind: 'list' } }, { pointer: true });

export const ACCESS_REVIEW_SHAPE = struct('SelfSubjectAccessReview', {
  ...typeMeta,
  metadata: objectMeta,
  spec: struct('SelfSubjectAccessReviewSpec', {
    resourceAttributes: struct(
      'ResourceAttributes',
      { namespace: str(), verb: str(), group: str(), version: str(), resource: str(), subresource: str(), name: str(), fieldSelector: selector, labelSelector: selector },
      { pointer: true },
    ),
    nonResourceAttributes: struct('NonResourceAttributes', { path: str(), verb: str() }, { pointer: true }),
  }),
  status: struct('SubjectAccessReviewStatus', { allowed: bool('keep'), denied: bool(), reason: str(), evaluationError: str() }),
});

const isZero = (value: Json, type: 'string' | 'integer' | 'boolean') => value === (type === 'string' ? '' : type === 'integer' ? 0 : false);
const zeroOf = (type: 'string' | 'integer' | 'boolean') => (type === 'string' ? '' : type === 'integer' ? 0 : false);

/**
 * The value as kube-apiserver would encode it after decoding it into `shape`: undefined when Go
 * would leave the field out. Unknown fields are dropped (see unknownFields for the warnings).
 */
export function goShaped(value: Json, shape: Shape): Json {
  switch (shape.kind) {
    case 'scalar':
      if (value === undefined || value === null) return shape.zero === 'keep' ? zeroOf(shape.type) : undefined;
      return shape.zero === 'omit' && isZero(value, shape.type) ? undefined : value;
    case 'time':
      if (value === undefined || value === null) return shape.pointer ? undefined : null;
      return value;
    case 'map':
      return isObject(value) && Object.keys(value).length > 0 ? { ...value } : undefined;
    case 'list':
      return Array.isArray(value) && value.length > 0 ? structuredClone(value) : undefined;
    case 'struct': {
      if (!isObject(value) && shape.pointer) return undefined;
      const source = isObject(value) ? value : {};
      const result: JsonObject = {};
      for (const [field, fieldShape] of Object.entries(shape.fields)) {
        const shaped = goShaped(source[field], fieldShape);
        if (shaped !== undefined) result[field] = shaped;
      }
      return result;
    }
  }
}

/** The zero object of a kind: what a new object is compared against. */
export const zeroObject = (shape: Shape): Json => goShaped(undefined, shape);

/** The field paths of `value` its shape does not declare, in the order they appear ("spec.colour", "extra"). */
export function unknownFields(value: Json, shape: Shape, path: string[] = []): string[] {
  if (shape.kind !== 'struct' || !isObject(value)) return [];
  const unknown: string[] = [];
  for (const [field, child] of Object.entries(value)) {
    const fieldShape = shape.fields[field];
    if (!fieldShape) unknown.push([...path, field].join('.'));
    else unknown.push(...unknownFields(child, fieldShape, [...path, field]));
  }
  return unknown;
}

/** The shape of the field at `key` under `shape` (undefined for a map's values and unknown fields). */
export function fieldShape(shape: Shape | undefined, key: string): Shape | undefined {
  return shape?.kind === 'struct' ? shape.fields[key] : undefined;
}
