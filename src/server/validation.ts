/**
 * What kube-apiserver refuses in an object: values that cannot be decoded (400: wrong JSON types,
 * MicroTime without exactly six fractional digits or not a real time) and values that fail
 * validation (422: names, namespaces, label keys and values, Lease durations and transitions).
 * Valid times with an offset are rewritten in UTC (`Z`), as the server writes them back.
 */
import { INT32_MAX } from '../lease/record.js';
import { objectNameProblem } from '../lease/kubernetesNames.js';
import type { StatusCause } from './status.js';

const MICRO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$/;
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
/** kube-apiserver's limit on all annotations of one object. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** A real time (no 13th month, no 99th minute), as epoch ms of its whole seconds; undefined otherwise. */
function realTime(match: RegExpExecArray): number | undefined {
  const [, year, month, day, hour, minute, second, , zone] = match.map(String) as string[];
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || s! > 60) return undefined;
  const utc = Date.UTC(y!, mo! - 1, d!, h!, mi!, Math.min(s!, 59));
  if (new Date(utc).getUTCDate() !== d) return undefined; // February 30th
  if (zone === 'Z') return utc;
  const [zh, zm] = zone!.slice(1).split(':').map(Number) as [number, number];
  if (zh > 23 || zm > 59) return undefined;
  return utc - (zone!.startsWith('-') ? -1 : 1) * (zh * 60 + zm) * 60_000;
}

const utcSeconds = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 19);

/** MicroTime in UTC, or undefined when `text` is not one (six fractional digits, a real time). */
export function normalizedMicroTime(text: string): string | undefined {
  const match = MICRO_TIME.exec(text);
  const time = match ? realTime(match) : undefined;
  return time === undefined ? undefined : `${utcSeconds(time)}.${match![7]}Z`;
}

/** A Time (RFC 3339 to the second) in UTC, or undefined when `text` is not one. */
export function normalizedTime(text: string): string | undefined {
  const match = TIME.exec(text);
  const time = match ? realTime(match) : undefined;
  return time === undefined ? undefined : `${utcSeconds(time)}Z`;
}

const INT_FIELDS = ['leaseDurationSeconds', 'leaseTransitions'] as const;
const STRING_FIELDS = ['holderIdentity', 'strategy', 'preferredHolder'] as const;
const TIME_FIELDS = ['acquireTime', 'renewTime'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The decoding error of metadata (400), or undefined when it decodes as ObjectMeta. */
export function metadataDecodingError(metadata: unknown, kind: string): string | undefined {
  if (metadata === undefined) return undefined;
  if (!isObject(metadata)) return `json: cannot unmarshal metadata into Go struct field ${kind}.metadata of type v1.ObjectMeta`;
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) continue;
    if (!isObject(map) || Object.values(map).some((value) => typeof value !== 'string')) {
      return `json: cannot unmarshal ${field} into Go struct field ObjectMeta.metadata.${field} of type map[string]string`;
    }
  }
  return undefined;
}

/**
 * The decoding error (400) of a Lease spec, or undefined when it decodes; MicroTime fields are
 * rewritten in UTC in place.
 */
export function leaseSpecDecodingError(spec: unknown): string | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isObject(spec)) return 'json: cannot unmarshal spec into Go struct field Lease.spec of type v1.LeaseSpec';
  for (const field of INT_FIELDS) {
    const value = spec[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INT32_MAX) {
      return `json: cannot unmarshal ${typeof value === 'number' ? 'number' : typeof value} into Go struct field LeaseSpec.spec.${field} of type int32`;
    }
  }
  for (const field of STRING_FIELDS) {
    const value = spec[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return `json: cannot unmarshal ${typeof value} into Go struct field LeaseSpec.spec.${field} of type string`;
    }
  }
  for (const field of TIME_FIELDS) {
    const value = spec[field];
    if (value === undefined || value === null) continue;
    const normalized = typeof value === 'string' ? normalizedMicroTime(value) : undefined;
    if (normalized === undefined) return microTimeError(String(value), `spec.${field}`);
    spec[field] = normalized;
  }
  return undefined;
}

export const microTimeError = (value: string, field: string) =>
  `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse as MicroTime (${field} needs exactly six fractional digits and a real date and time)`;

type Cause = (field: string, value: unknown, why: string) => void;

function causeCollector(): { causes: StatusCause[]; invalid: Cause } {
  const causes: StatusCause[] = [];
  return { causes, invalid: (field, value, why) => causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` }) };
}

/** Validation causes (422) of an object's metadata: name, labels, annotations. */
export function metadataCauses(metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }): StatusCause[] {
  const { causes, invalid } = causeCollector();
  const { name } = metadata;
  const nameWhy = name ? objectNameProblem(name) : undefined;
  if (!name) causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else if (nameWhy) invalid('metadata.name', name, nameWhy);
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    const keyWhy = qualifiedNameProblem(key);
    if (keyWhy) invalid('metadata.labels', key, keyWhy);
    if (value.length > 63) invalid('metadata.labels', value, 'must be no more than 63 characters');
    else if (!LABEL_VALUE.test(value)) invalid('metadata.labels', value, LABEL_VALUE_MESSAGE);
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    const keyWhy = qualifiedNameProblem(key.toLowerCase());
    if (keyWhy) invalid('metadata.annotations', key, keyWhy);
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (annotationBytes > ANNOTATIONS_MAX_BYTES) {
    causes.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: may not be more than ${ANNOTATIONS_MAX_BYTES} bytes` });
  }
  return causes;
}

/** Why a label or annotation key is not a qualified name (`[prefix/]name`), or undefined. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'";
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
  const prefixWhy = prefix === undefined ? undefined : objectNameProblem(prefix);
  if (prefixWhy) return `prefix part ${prefixWhy}`;
  if (!name || name.length > 63) return 'name part must be non-empty and no more than 63 characters';
  if (!QUALIFIED_NAME.test(name)) return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

/** The coordinated leader election strategies Kubernetes defines (names without a "/"). */
const LEASE_STRATEGIES = ['OldestEmulationVersion'];

/**
 * Validation causes (422) of a Lease spec. `strategy` and `preferredHolder` are checked as by a
 * kube-apiserver with the CoordinatedLeaderElection feature on (a server with it off drops both
 * fields instead): a strategy is one Kubernetes defines or a "prefix/name" qualified name (reported,
 * as kube-apiserver does, at spec.strategy.strategy), and preferredHolder needs a strategy.
 */
export function leaseSpecCauses(spec: Record<string, unknown> | undefined): StatusCause[] {
  const { causes, invalid } = causeCollector();
  const duration = spec?.leaseDurationSeconds;
  if (typeof duration === 'number' && duration <= 0) invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0');
  const transitions = spec?.leaseTransitions;
  if (typeof transitions === 'number' && transitions < 0) invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0');
  const strategy = spec?.strategy;
  if (typeof strategy === 'string') {
    if (!strategy.includes('/')) {
      if (!LEASE_STRATEGIES.includes(strategy)) {
        const supported = LEASE_STRATEGIES.map((name) => JSON.stringify(name)).join(', ');
        causes.push({ reason: 'FieldValueNotSupported', field: 'spec.strategy.strategy', message: `Unsupported value: ${JSON.stringify(strategy)}: supported values: ${supported}` });
      }
    } else {
      const why = qualifiedNameProblem(strategy);
      if (why) invalid('spec.strategy.strategy', strategy, why);
    }
  }
  const preferredHolder = spec?.preferredHolder;
  if (typeof preferredHolder === 'string' && preferredHolder !== '' && (typeof strategy !== 'string' || strategy === '')) {
    causes.push({ reason: 'FieldValueForbidden', field: 'spec.preferredHolder', message: 'Forbidden: may only be specified if `strategy` is defined' });
  }
  return causes;
}
