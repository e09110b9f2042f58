/**
 * What kube-apiserver refuses in an object's values: times that are not real times (400, with the
 * decoding in goDecoding.ts) and values that fail validation (422: names, namespaces, label keys and
 * values, Lease durations and transitions). Valid times with an offset are rewritten in UTC (`Z`),
 * as the server writes them back.
 */
import { objectNameProblems } from '../lease/kubernetesNames.js';
import type { StatusCause } from './status.js';

const MICRO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$/;
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
/** kube-apiserver's limit on all annotations of one object. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** A real time (no 13th month, no 99th minute, no leap second: Go's parser refuses :60), as epoch ms of its whole seconds; undefined otherwise. */
function realTime(match: RegExpExecArray): number | undefined {
  const [, year, month, day, hour, minute, second, , zone] = match.map(String) as string[];
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || s! > 59) return undefined;
  const utc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
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

type Cause = (field: string, value: unknown, why: string) => void;

function causeCollector(): { causes: StatusCause[]; invalid: Cause } {
  const causes: StatusCause[] = [];
  return { causes, invalid: (field, value, why) => causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` }) };
}

/** Validation causes (422) of an object's metadata: name, labels, annotations (one cause per problem, as kube-apiserver lists them). */
export function metadataCauses(metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }): StatusCause[] {
  const { causes, invalid } = causeCollector();
  const { name } = metadata;
  if (!name) causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else for (const why of objectNameProblems(name)) invalid('metadata.name', name, why);
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    for (const why of qualifiedNameProblems(key)) invalid('metadata.labels', key, why);
    for (const why of labelValueProblems(value)) invalid('metadata.labels', value, why);
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    for (const why of qualifiedNameProblems(key.toLowerCase())) invalid('metadata.annotations', key, why);
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (annotationBytes > ANNOTATIONS_MAX_BYTES) {
    causes.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: may not be more than ${ANNOTATIONS_MAX_BYTES} bytes` });
  }
  return causes;
}

/** Why `value` cannot be a label value. */
export function labelValueProblems(value: string): string[] {
  return [...(value.length > 63 ? ['must be no more than 63 characters'] : []), ...(LABEL_VALUE.test(value) ? [] : [LABEL_VALUE_MESSAGE])];
}

/** Why a label or annotation key is not a qualified name (`[prefix/]name`), in kube-apiserver's words. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) return [`a valid label key ${QUALIFIED_NAME_MESSAGE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
  const problems: string[] = [];
  if (prefix === '') problems.push('prefix part must be non-empty');
  else if (prefix !== undefined) problems.push(...objectNameProblems(prefix).map((why) => `prefix part ${why}`));
  if (!name) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name ?? '')) problems.push(`name part ${QUALIFIED_NAME_MESSAGE}`);
  return problems;
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
      for (const why of qualifiedNameProblems(strategy)) invalid('spec.strategy.strategy', strategy, why);
    }
  }
  const preferredHolder = spec?.preferredHolder;
  if (typeof preferredHolder === 'string' && preferredHolder !== '' && (typeof strategy !== 'string' || strategy === '')) {
    causes.push({ reason: 'FieldValueForbidden', field: 'spec.preferredHolder', message: 'Forbidden: may only be specified if `strategy` is defined' });
  }
  return causes;
}
