/**
 * Admission and validation: a decoded body becomes the object to store, or the request is refused
 * as kube-apiserver refuses it (400 undecodable, 400 name or namespace mismatch, 422 invalid).
 */
import type { IncomingMessage } from 'node:http';
import { flag, HttpError } from './encoding.js';
import { defaultManager } from './managedFields.js';
import type { NewObject, StoredObject } from './objectStore.js';
import * as status from './status.js';
import { namespaceProblem } from '../lease/kubernetesNames.js';
import { leaseSpecCauses, leaseSpecDecodingError, metadataCauses, metadataDecodingError } from './validation.js';

export type Metadata = NewObject['metadata'];

/**
 * The metadata of a body for `urlName` (the URL's name, or undefined on create) in `namespace`:
 * decoded, matched against the URL, its server-owned fields dropped. `extraCauses` are the kind's
 * own validation causes, reported with the metadata's in one 422.
 */
export function admitMetadata(body: Record<string, unknown>, namespace: string, urlName: string | undefined, subject: status.StatusSubject): Metadata {
  const undecodable = metadataDecodingError(body.metadata, subject.kind);
  if (undecodable) throw new HttpError(status.undecodable(undecodable, subject.kind));
  const metadata = { ...((body.metadata as Record<string, unknown> | undefined) ?? {}) } as Metadata;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (urlName !== undefined && name !== '' && name !== urlName) {
    throw new HttpError(status.badRequest(`the name of the object (${name}) does not match the name on the URL (${urlName})`));
  }
  if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace) {
    throw new HttpError(status.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  metadata.name = urlName ?? name;
  delete metadata.managedFields;
  return metadata;
}

/** Refuses with one 422 listing every cause, when there is one. */
export function refuseInvalid(name: string, causes: status.StatusCause[], subject: status.StatusSubject): void {
  if (causes.length > 0) throw new HttpError(status.invalid(name, causes, subject));
}

/** The causes common to every kind: metadata and the namespace it lives in. */
export function objectCauses(metadata: Metadata, namespace: string): status.StatusCause[] {
  const namespaceWhy = namespaceProblem(namespace);
  return [
    ...metadataCauses(metadata),
    ...(namespaceWhy ? [{ reason: 'FieldValueInvalid', field: 'metadata.namespace', message: `Invalid value: ${JSON.stringify(namespace)}: ${namespaceWhy}` }] : []),
  ];
}

/** Feature gates the server honours, as kube-apiserver's of the same name. */
export interface ServerFeatures {
  /** CoordinatedLeaderElection: Leases keep spec.strategy and spec.preferredHolder (off: they are dropped unless the stored Lease has them). */
  coordinatedLeaderElection: boolean;
}

/**
 * With CoordinatedLeaderElection off, kube-apiserver drops spec.strategy and spec.preferredHolder
 * before validation: on create always, on update unless the stored Lease already has the field.
 */
function dropDisabledFields(spec: Record<string, unknown> | undefined, current: StoredObject | undefined, features: ServerFeatures): void {
  if (!spec || features.coordinatedLeaderElection) return;
  const stored = current?.spec as Record<string, unknown> | undefined;
  for (const field of ['strategy', 'preferredHolder']) if (stored?.[field] === undefined) delete spec[field];
}

/** Decodes and validates a Lease body (`current`: the Lease it replaces, if any). */
export function admitLease(body: unknown, namespace: string, urlName: string | undefined, current: StoredObject | undefined, features: ServerFeatures): NewObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(status.undecodable('the body is not a JSON object'));
  const object = body as Record<string, unknown>;
  const metadata = admitMetadata(object, namespace, urlName, status.LEASES);
  const spec = object.spec === null || object.spec === undefined ? undefined : structuredClone(object.spec);
  const undecodable = leaseSpecDecodingError(spec);
  if (undecodable) throw new HttpError(status.undecodable(undecodable));
  dropDisabledFields(spec as Record<string, unknown> | undefined, current, features);
  refuseInvalid(metadata.name, [...objectCauses(metadata, namespace), ...leaseSpecCauses(spec as Record<string, unknown> | undefined)], status.LEASES);
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, ...(spec ? { spec } : {}) };
}

/** An update must name the resourceVersion it replaces (422 otherwise). */
export function requireResourceVersion(object: NewObject, subject: status.StatusSubject): string {
  const rv = object.metadata.resourceVersion;
  if (!rv) {
    throw new HttpError(
      status.invalid(object.metadata.name, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }], subject),
    );
  }
  return rv;
}

export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

/**
 * `?dryRun=All`: the request goes through decoding, admission and validation and gets its real
 * answer, but nothing is stored. Any other value is refused (422), as kube-apiserver refuses it.
 */
function isDryRun(params: URLSearchParams, options: WriteOptionsKind, body?: unknown): boolean {
  // DELETE carries its options in a DeleteOptions body as often as in the query (kubectl does).
  const inBody = (body as { dryRun?: unknown } | undefined)?.dryRun;
  const values = [...params.getAll('dryRun'), ...(Array.isArray(inBody) ? inBody.map(String) : [])];
  const unsupported = values.find((value) => value !== 'All');
  if (unsupported !== undefined) {
    throw new HttpError(
      status.failure(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: dryRun: Unsupported value: ${JSON.stringify(unsupported)}: supported values: "All"`, {
        group: 'meta.k8s.io',
        kind: options,
        causes: [{ reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: ${JSON.stringify(unsupported)}: supported values: "All"` }],
      }),
    );
  }
  return values.length > 0;
}

function optionRefused(options: WriteOptionsKind, field: string, reason: string, message: string): HttpError {
  return new HttpError(
    status.failure(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: ${field}: ${message}`, { group: 'meta.k8s.io', kind: options, causes: [{ reason, field, message }] }),
  );
}

export interface WriteOptions {
  dryRun: boolean;
  /** `fieldManager`, or the client's User-Agent up to its first '/'. */
  manager: string;
  /** Server-side apply only: take fields other managers own. */
  force: boolean;
}

/** The options every write carries (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions). */
export function writeOptions(request: IncomingMessage, params: URLSearchParams, options: WriteOptionsKind, body?: unknown): WriteOptions {
  const dryRun = isDryRun(params, options, body);
  const fieldManager = params.get('fieldManager');
  if (fieldManager !== null && (fieldManager.length > 128 || !/^[\x20-\x7e]*$/.test(fieldManager))) {
    throw optionRefused(options, 'fieldManager', 'FieldValueInvalid', `Invalid value: ${JSON.stringify(fieldManager)}: must be at most 128 printable characters`);
  }
  const applying = options === 'PatchOptions' && (request.headers['content-type'] ?? '').startsWith('application/apply-patch');
  const force = flag(params, 'force');
  if (applying && !fieldManager) throw optionRefused(options, 'fieldManager', 'FieldValueRequired', 'Required value: is required for apply patch');
  if (!applying && params.has('force')) throw optionRefused(options, 'force', 'FieldValueForbidden', 'Forbidden: may not be specified for non-apply patch');
  return { dryRun, manager: fieldManager || defaultManager(request.headers['user-agent']), force };
}
