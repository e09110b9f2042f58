/**
 * What kube-apiserver refuses in a Lease: values that cannot be decoded (400: wrong JSON types,
 * MicroTime without exactly six fractional digits) and values that fail validation (422: name,
 * leaseDurationSeconds > 0, leaseTransitions >= 0).
 */
import { INT32_MAX } from '../lease/record.js';
import type { StatusCause } from './status.js';

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const INT_FIELDS = ['leaseDurationSeconds', 'leaseTransitions'] as const;
const STRING_FIELDS = ['holderIdentity', 'strategy', 'preferredHolder'] as const;
const TIME_FIELDS = ['acquireTime', 'renewTime'] as const;

/** The decoding error (400), or undefined when the object decodes as a Lease. */
export function decodingError(object: unknown): string | undefined {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return 'the body is not a JSON object';
  const { metadata, spec } = object as { metadata?: unknown; spec?: unknown };
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    return 'json: cannot unmarshal metadata into Go struct field Lease.metadata of type v1.ObjectMeta';
  }
  if (spec === undefined || spec === null) return undefined;
  if (typeof spec !== 'object' || Array.isArray(spec)) return 'json: cannot unmarshal spec into Go struct field Lease.spec of type v1.LeaseSpec';
  const fields = spec as Record<string, unknown>;
  for (const field of INT_FIELDS) {
    const value = fields[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INT32_MAX) {
      return `json: cannot unmarshal ${typeof value === 'number' ? 'number' : typeof value} into Go struct field LeaseSpec.spec.${field} of type int32`;
    }
  }
  for (const field of STRING_FIELDS) {
    const value = fields[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return `json: cannot unmarshal ${typeof value} into Go struct field LeaseSpec.spec.${field} of type string`;
    }
  }
  for (const field of TIME_FIELDS) {
    const value = fields[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || !MICRO_TIME.test(value)) {
      return `parsing time ${JSON.stringify(String(value))} as "2006-01-02T15:04:05.000000Z07:00": cannot parse as MicroTime (spec.${field} needs exactly six fractional digits)`;
    }
  }
  return undefined;
}

/** Validation causes (422), empty when valid. */
export function validationCauses(name: string, spec: Record<string, unknown> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const cause = (field: string, value: unknown, why: string) =>
    causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  if (!name) causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else if (name.length > 253 || !SUBDOMAIN.test(name)) cause('metadata.name', name, SUBDOMAIN_MESSAGE);
  const duration = spec?.leaseDurationSeconds;
  if (typeof duration === 'number' && duration <= 0) cause('spec.leaseDurationSeconds', duration, 'must be greater than 0');
  const transitions = spec?.leaseTransitions;
  if (typeof transitions === 'number' && transitions < 0) cause('spec.leaseTransitions', transitions, 'must be greater than or equal to 0');
  return causes;
}
