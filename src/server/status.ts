/** kube-apiserver's Status bodies, with its exact reasons, messages and details (empty fields left out, as Go's omitempty does). */
import { alreadyExistsMessage, conflictMessage, notFoundMessage } from '../lease/apiMessages.js';

export interface StatusCause {
  reason: string;
  message: string;
  /** Absent when the cause is about no field. */
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** What a Status is about: a served resource, as its messages and details name it. */
export interface StatusSubject {
  /** "leases.coordination.k8s.io", "events", "events.events.k8s.io". */
  qualified: string;
  group: string;
  plural: string;
  kind: string;
}

export const LEASES: StatusSubject = { qualified: 'leases.coordination.k8s.io', group: 'coordination.k8s.io', plural: 'leases', kind: 'Lease' };
export const NAMESPACES: StatusSubject = { qualified: 'namespaces', group: '', plural: 'namespaces', kind: 'Namespace' };

/** Details without the empty fields. */
function details(fields: StatusDetails): StatusDetails {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== '')) as StatusDetails;
}

export function failure(code: number, reason: string | undefined, message: string, detailed?: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, ...(reason ? { reason } : {}), ...(detailed ? { details: details(detailed) } : {}), code };
}

const about = (name: string, subject: StatusSubject, kind = subject.plural) => ({ name, group: subject.group, kind });

export const notFound = (name: string, subject = LEASES) => failure(404, 'NotFound', notFoundMessage(name, subject.qualified), about(name, subject));

export const alreadyExists = (name: string, subject = LEASES) => failure(409, 'AlreadyExists', alreadyExistsMessage(name, subject.qualified), about(name, subject));

export const conflict = (name: string, subject = LEASES) => failure(409, 'Conflict', conflictMessage(name, subject.qualified), about(name, subject));

/** A failed precondition of a delete (uid or resourceVersion), as the storage layer words it. */
export function preconditionFailed(name: string, subject: StatusSubject, what: 'UID' | 'ResourceVersion', expected: string, actual: string): Status {
  const kind = subject.group === '' ? subject.kind : `${subject.kind}.${subject.group}`;
  const why = what === 'UID' ? 'deleted and then recreated' : 'modified';
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${kind} "${name}": the ${what} in the precondition (${expected}) does not match the ${what} in record (${actual}). The object might have been ${why}`, about(name, subject, subject.kind));
}

/** An update carrying another uid: the storage layer's words, with the object's key. */
export function uidMismatch(name: string, namespace: string, subject: StatusSubject, expected: string, actual: string): Status {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${subject.qualified} "${name}": StorageError: invalid object, Code: 4, Key: /registry/${subject.plural}/${namespace}/${name}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${expected}, UID in object meta: ${actual}`,
    about(name, subject),
  );
}

/** 422: one cause prints bare, several print as a bracketed list, as kube-apiserver does. */
export function invalid(name: string, causes: StatusCause[], subject = LEASES): Status {
  const listed = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`;
  const kind = subject.group === '' ? subject.kind : `${subject.kind}.${subject.group}`;
  return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, { name, group: subject.group, kind: subject.kind, causes });
}

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

export const resourceNotFound = () => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const unauthorized = () => failure(401, 'Unauthorized', 'Unauthorized');

/** An anonymous client, refused by authorization as kube-apiserver refuses system:anonymous. */
export function forbidden(verb: string, subject: { group: string; plural: string }, namespace: string | undefined, name?: string): Status {
  const resource = subject.group === '' ? subject.plural : `${subject.plural}.${subject.group}`;
  const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  return failure(403, 'Forbidden', `${resource}${name ? ` "${name}"` : ''} is forbidden: User "system:anonymous" cannot ${verb} resource "${subject.plural}" in API group "${subject.group}" ${where}`, {
    name,
    group: subject.group,
    kind: subject.plural,
  });
}

export const methodNotAllowed = () => failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

/** 415; a patch's carries empty details, as kube-apiserver's patch handler writes it. */
export const unsupportedMediaType = (type: string, accepted: string[], patching = false) =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')} (got ${JSON.stringify(type)})`, patching ? {} : undefined);

export const entityTooLarge = (limit: number) => failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const expired = (requested: string, oldest: number) => failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

/** The answer to a delete: a Success Status naming what went (no code, as kube-apiserver writes it). */
export function success(name: string, uid: string | undefined, subject = LEASES) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: details({ name, group: subject.group, kind: subject.plural, uid }) };
}

/** A resourceVersion newer than any the server has issued: kube-apiserver answers 504 after waiting for it. */
export const tooLargeResourceVersion = (requested: string, current: number) =>
  failure(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });

/** A create that names a resourceVersion: kube-apiserver's words, as the client error it is (kube-apiserver answers 500). */
export const resourceVersionOnCreate = () => badRequest('resourceVersion should not be set on objects to be created');
