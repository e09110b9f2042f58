/**
 * Admission: the options every write carries, the checks of an object's name and namespace against
 * the URL (400), the feature-gated fields kube-apiserver drops before validation, and the validation
 * causes common to every kind (422).
 */
import type { IncomingMessage } from 'node:http';
import { flag, HttpError } from './encoding.js';
import type { FieldValidation } from './goDecoding.js';
import { defaultManager } from './managedFields.js';
import * as status from './status.js';
import { namespaceProblem } from '../lease/kubernetesNames.js';
import { leaseSpecCauses, metadataCauses } from './validation.js';

type JsonObject = Record<string, unknown>;

/** Feature gates the server honours, as kube-apiserver's of the same name. */
export interface ServerFeatures {
  /** CoordinatedLeaderElection: Leases keep spec.strategy and spec.preferredHolder (off: they are dropped unless the stored Lease has them). */
  coordinatedLeaderElection: boolean;
}

/**
 * With CoordinatedLeaderElection off, kube-apiserver drops spec.strategy and spec.preferredHolder
 * before validation (after field ownership is recorded): on create always, on update unless the
 * stored Lease already has the field.
 */
export function dropDisabledLeaseFields(lease: JsonObject, current: JsonObject | undefined, features: ServerFeatures): void {
  const spec = lease.spec as JsonObject | undefined;
  if (!spec || features.coordinatedLeaderElection) return;
  const stored = current?.spec as JsonObject | undefined;
  for (const field of ['strategy', 'preferredHolder']) if (stored?.[field] === undefined) delete spec[field];
}

/**
 * The object's name and namespace against the URL's (400 when they differ); the URL's name wins on
 * an update, and an empty namespace is the URL's.
 */
export function admitNames(object: JsonObject, namespace: string, urlName: string | undefined): void {
  const metadata = (object.metadata ?? {}) as JsonObject;
  object.metadata = metadata;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (urlName !== undefined && name !== '' && name !== urlName) {
    throw new HttpError(status.badRequest(`the name of the object (${name}) does not match the name on the URL (${urlName})`));
  }
  if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace) {
    throw new HttpError(status.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  if (urlName !== undefined) metadata.name = urlName;
  metadata.namespace = namespace;
}

/** Refuses with one 422 listing every cause, when there is one. */
export function refuseInvalid(name: string, causes: status.StatusCause[], subject: status.StatusSubject): void {
  if (causes.length > 0) throw new HttpError(status.invalid(name, causes, subject));
}

/** The causes common to every kind: metadata and the namespace it lives in. */
export function objectCauses(metadata: JsonObject, namespace: string): status.StatusCause[] {
  const namespaceWhy = namespaceProblem(namespace);
  return [
    ...metadataCauses(metadata as { name: string }),
    ...(namespaceWhy ? [{ reason: 'FieldValueInvalid', field: 'metadata.namespace', message: `Invalid value: ${JSON.stringify(namespace)}: ${namespaceWhy}` }] : []),
  ];
}

/** A Lease's validation causes. */
export function leaseCauses(lease: JsonObject, namespace: string): status.StatusCause[] {
  return [...objectCauses(lease.metadata as JsonObject, namespace), ...leaseSpecCauses(lease.spec as JsonObject | undefined)];
}

/** An update must name the resourceVersion it replaces (422, from the storage layer: it names the resource, not the kind). */
export function requireResourceVersion(object: JsonObject, subject: status.StatusSubject): string {
  const metadata = object.metadata as JsonObject;
  const rv = metadata.resourceVersion;
  if (typeof rv !== 'string' || rv === '') {
    const cause = { reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0: must be specified for an update' };
    throw new HttpError(
      status.failure(422, 'Invalid', `${subject.qualified} "${String(metadata.name)}" is invalid: metadata.resourceVersion: ${cause.message}`, {
        name: String(metadata.name),
        group: subject.group,
        kind: subject.plural,
        causes: [cause],
      }),
    );
  }
  return rv;
}

export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

function optionRefused(options: WriteOptionsKind, field: string, reason: string, message: string): HttpError {
  return new HttpError(
    status.failure(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: ${field}: ${message}`, { group: 'meta.k8s.io', kind: options, causes: [{ reason, field, message }] }),
  );
}

/**
 * `?dryRun=All` (or `dryRun: [All]` in DeleteOptions): the request goes through decoding, admission
 * and validation and gets its real answer, but nothing is stored. Any other value is a 422.
 */
function isDryRun(params: URLSearchParams, options: WriteOptionsKind, body?: unknown): boolean {
  // DELETE carries its options in a DeleteOptions body as often as in the query (kubectl does).
  const inBody = (body as { dryRun?: unknown } | undefined)?.dryRun;
  const values = [...params.getAll('dryRun'), ...(Array.isArray(inBody) ? inBody.map(String) : [])];
  if (values.some((value) => value !== 'All')) {
    throw optionRefused(options, 'dryRun', 'FieldValueNotSupported', `Unsupported value: ${JSON.stringify(values)}: supported values: "All"`);
  }
  return values.length > 0;
}

const FIELD_VALIDATIONS = ['Ignore', 'Warn', 'Strict'];

export interface WriteOptions {
  dryRun: boolean;
  /** `fieldManager`, or the client's User-Agent up to its first '/'. */
  manager: string;
  /** Server-side apply only: take fields other managers own. */
  force: boolean;
  /** What unknown and duplicate fields earn: nothing, a Warning header each (the default), or a 400. */
  fieldValidation: FieldValidation;
}

/** The options every write carries (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions). */
export function writeOptions(request: IncomingMessage, params: URLSearchParams, options: WriteOptionsKind, body?: unknown): WriteOptions {
  const fieldValidation = params.get('fieldValidation') ?? '';
  if (fieldValidation !== '' && !FIELD_VALIDATIONS.includes(fieldValidation)) {
    throw optionRefused(options, 'fieldValidation', 'FieldValueNotSupported', `Unsupported value: ${JSON.stringify(fieldValidation)}: supported values: "", "Ignore", "Strict", "Warn"`);
  }
  const dryRun = isDryRun(params, options, body);
  const fieldManager = params.get('fieldManager');
  if (fieldManager !== null && fieldManager.length > 128) {
    throw optionRefused(options, 'fieldManager', 'FieldValueTooLong', `Too long: may not be more than 128 bytes`);
  }
  if (fieldManager !== null && !/^[\x20-\x7e]*$/.test(fieldManager)) {
    throw optionRefused(options, 'fieldManager', 'FieldValueInvalid', `Invalid value: ${JSON.stringify(fieldManager)}: must be printable characters`);
  }
  const applying = options === 'PatchOptions' && (request.headers['content-type'] ?? '').startsWith('application/apply-patch');
  const force = flag(params, 'force');
  if (applying && !fieldManager) throw optionRefused(options, 'fieldManager', 'FieldValueRequired', 'Required value: is required for apply patch');
  if (!applying && params.has('force')) throw optionRefused(options, 'force', 'FieldValueForbidden', 'Forbidden: may not be specified for non-apply patch');
  return { dryRun, manager: fieldManager || defaultManager(request.headers['user-agent']), force, fieldValidation: (fieldValidation || 'Warn') as FieldValidation };
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

/** DeleteOptions: dryRun, preconditions, and a propagationPolicy kube-apiserver knows (422 otherwise). */
export function deleteOptions(request: IncomingMessage, params: URLSearchParams, body: unknown): { dryRun: boolean; preconditions: { uid?: string; resourceVersion?: string } } {
  const { dryRun } = writeOptions(request, params, 'DeleteOptions', body);
  const options = (typeof body === 'object' && body !== null ? body : {}) as { propagationPolicy?: unknown; preconditions?: { uid?: string; resourceVersion?: string } };
  const policy = params.get('propagationPolicy') ?? options.propagationPolicy;
  if (policy !== undefined && policy !== null && !PROPAGATION_POLICIES.includes(String(policy))) {
    throw optionRefused('DeleteOptions', 'propagationPolicy', 'FieldValueNotSupported', `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  return { dryRun, preconditions: options.preconditions ?? {} };
}
