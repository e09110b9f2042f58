/**
 * How a managed lease is stored as a coordination.k8s.io/v1 Lease: a name derived from the key, the
 * key itself in annotations (names cannot carry it), a label that marks the store's objects for list
 * and watch, the holder and times in the spec, and the pins as a JSON array in an annotation.
 */
import { createHash } from 'node:crypto';
import type { V1Lease } from '@kubernetes/client-node';
import type { LeaseRecord } from '../../lease/record.js';
import { lockRecordToLeaseSpec } from '../../lease/spec.js';
import { type LeaseKey, leaseKeyId } from '../../ports/managedLeaseStore.js';

const MANAGED_LABEL = 'leasehold.io/managed-lease';
const KEY_ANNOTATIONS = {
  namespace: 'leasehold.io/lease-namespace',
  model: 'leasehold.io/model',
  lease: 'leasehold.io/lease',
} as const;
const PINNED_BY_ANNOTATION = 'leasehold.io/pinned-by';

/** The label selector that lists and watches exactly the managed-lease objects. */
export const MANAGED_LEASE_SELECTOR = `${MANAGED_LABEL}=true`;

/**
 * The object name for a key: "lm-" and 32 hex digits of a SHA-256 of the key's id, a valid DNS-1123
 * subdomain whatever characters and lengths the key holds (the id is unambiguous, so keys whose parts
 * contain "/" cannot collide the way their joined strings would).
 */
export function managedLeaseObjectName(key: LeaseKey): string {
  const digest = createHash('sha256').update(leaseKeyId(key)).digest('hex');
  return `lm-${digest.slice(0, 32)}`;
}

/** The key an object stores, or undefined when it is not a managed lease (annotations missing). */
export function leaseKeyOf(object: V1Lease): LeaseKey | undefined {
  const annotations = object.metadata?.annotations ?? {};
  const namespace = annotations[KEY_ANNOTATIONS.namespace];
  const model = annotations[KEY_ANNOTATIONS.model];
  const lease = annotations[KEY_ANNOTATIONS.lease];
  if (namespace === undefined || model === undefined || lease === undefined) return undefined;
  return { namespace, model, lease };
}

/**
 * The entities pinning the lease. Like unusable spec fields, an annotation that is not a JSON array
 * reads as its zero value (not pinned), and non-string entries are ignored.
 */
export function pinnedByOf(object: V1Lease): string[] {
  const text = object.metadata?.annotations?.[PINNED_BY_ANNOTATION];
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((entity): entity is string => typeof entity === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * `object` as worth keeping between writes: everything but `metadata.managedFields`, the field
 * ownership records that make up most of a Lease's size. A write that leaves them out keeps them:
 * the API server takes an update without managedFields as one from a client unaware of them and
 * keeps the stored entries (it records this write's fields as usual).
 */
export function cachedLease(object: V1Lease): V1Lease {
  if (object.metadata?.managedFields === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/**
 * The object to write for `key`: `current` (as last read, carrying its resourceVersion for the
 * conditional replace, and whatever labels, annotations and spec fields others put there) with this
 * record and these pins.
 */
export function managedLeaseBody(
  name: string,
  namespace: string,
  key: LeaseKey,
  record: LeaseRecord,
  pinnedBy: readonly string[],
  current: V1Lease | undefined,
): V1Lease {
  const annotations: Record<string, string> = {
    ...current?.metadata?.annotations,
    [KEY_ANNOTATIONS.namespace]: key.namespace,
    [KEY_ANNOTATIONS.model]: key.model,
    [KEY_ANNOTATIONS.lease]: key.lease,
  };
  if (pinnedBy.length > 0) annotations[PINNED_BY_ANNOTATION] = JSON.stringify(pinnedBy);
  else delete annotations[PINNED_BY_ANNOTATION];
  return {
    ...current,
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...current?.metadata,
      name,
      namespace,
      labels: { ...current?.metadata?.labels, [MANAGED_LABEL]: 'true' },
      annotations,
    },
    spec: { ...current?.spec, ...lockRecordToLeaseSpec(record) } as V1Lease['spec'],
  };
}
