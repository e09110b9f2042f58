/** kube-apiserver's Status bodies, with its exact reasons and messages. */
import { alreadyExistsMessage, conflictMessage, notFoundMessage } from '../lease/apiMessages.js';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
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

export function failure(code: number, reason: string, message: string, details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export const notFound = (name: string, subject = LEASES) =>
  failure(404, 'NotFound', notFoundMessage(name, subject.qualified), { name, group: subject.group, kind: subject.plural });

export const alreadyExists = (name: string, subject = LEASES) =>
  failure(409, 'AlreadyExists', alreadyExistsMessage(name, subject.qualified), { name, group: subject.group, kind: subject.plural });

export const conflict = (name: string, subject = LEASES) =>
  failure(409, 'Conflict', conflictMessage(name, subject.qualified), { name, group: subject.group, kind: subject.plural });

/** 422: one cause prints bare, several print as a bracketed list, as kube-apiserver does. */
export function invalid(name: string, causes: StatusCause[], subject = LEASES): Status {
  const listed = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`;
  const kind = subject.group === '' ? subject.kind : `${subject.kind}.${subject.group}`;
  return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, { name, group: subject.group, kind: subject.kind, causes });
}

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

/** The body could not be decoded as the kind (wrong types, bad MicroTime): 400 like the decoder's. */
export const undecodable = (why: string, kind = 'Lease') => badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${why}`);

export const resourceNotFound = () => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const unauthorized = () => failure(401, 'Unauthorized', 'Unauthorized');

export const methodNotAllowed = (method: string) =>
  failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, { kind: method });

export const unsupportedMediaType = (type: string, accepted: string[]) =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')} (got ${JSON.stringify(type)})`);

export const entityTooLarge = (limit: number) => failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const expired = (requested: string, oldest: number) =>
  failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

export function success(name: string, uid?: string, subject = LEASES): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: subject.group, kind: subject.plural, ...(uid ? { uid } : {}) }, code: 200 };
}

/** A resourceVersion newer than any the server has issued (kube-apiserver answers 504 after waiting for it). */
export const tooLargeResourceVersion = (requested: string, current: number) =>
  failure(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
  });
