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

const GROUP = 'coordination.k8s.io';

export function failure(code: number, reason: string, message: string, details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export const notFound = (name: string) => failure(404, 'NotFound', notFoundMessage(name), { name, group: GROUP, kind: 'leases' });

export const alreadyExists = (name: string) =>
  failure(409, 'AlreadyExists', alreadyExistsMessage(name), { name, group: GROUP, kind: 'leases' });

export const conflict = (name: string) => failure(409, 'Conflict', conflictMessage(name), { name, group: GROUP, kind: 'leases' });

/** 422: one cause prints bare, several print as a bracketed list, as kube-apiserver does. */
export function invalid(name: string, causes: StatusCause[]): Status {
  const listed = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`;
  return failure(422, 'Invalid', `Lease.${GROUP} "${name}" is invalid: ${summary}`, { name, group: GROUP, kind: 'Lease', causes });
}

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

/** The body could not be decoded as a Lease (wrong types, bad MicroTime): 400 like the decoder's. */
export const undecodable = (why: string) => badRequest(`Lease in version "v1" cannot be handled as a Lease: ${why}`);

export const resourceNotFound = () => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const unauthorized = () => failure(401, 'Unauthorized', 'Unauthorized');

export const methodNotAllowed = (method: string) =>
  failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, { kind: method });

export const unsupportedMediaType = (type: string, accepted: string[]) =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')} (got ${JSON.stringify(type)})`);

export const entityTooLarge = (limit: number) => failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const expired = (requested: string, oldest: number) =>
  failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

export function success(name: string, uid?: string): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: GROUP, kind: 'leases', ...(uid ? { uid } : {}) }, code: 200 };
}

/** A resourceVersion newer than any the server has issued (kube-apiserver answers 504 after waiting for it). */
export const tooLargeResourceVersion = (requested: string, current: number) =>
  failure(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
  });
