/**
 * SelfSubjectAccessReview and SelfSubjectRulesReview (`kubectl auth can-i`, `--list`): the server
 * has one rule — an authenticated client (the right token, or any client when none is required)
 * may do every verb the server serves on every resource it serves. Reviews answer from that rule
 * and the discovery list, never "yes" for what is not served. An access review is decoded,
 * validated (exactly one kind of attributes, 422) and answered as kube-apiserver answers it, with
 * the managedFields its create records. Anonymous clients never get here (403, as RBAC refuses
 * system:anonymous).
 */
import { resources } from './discovery.js';
import { HttpError } from './encoding.js';
import { decodeAs } from './goDecoding.js';
import { ACCESS_REVIEW_SHAPE } from './goShapes.js';
import type { JsonFacts } from './jsonFacts.js';
import { managedFieldsAfterUpdate } from './managedFields.js';
import * as status from './status.js';

const NON_RESOURCE_URLS = ['/version', '/api', '/api/*', '/apis', '/apis/*', '/openapi/*', '/healthz', '/livez', '/readyz'];
const AUTHORIZATION = 'authorization.k8s.io/v1';

type JsonObject = Record<string, unknown>;

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function decision(spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: { path?: string; verb?: string } }) {
  if (spec.nonResourceAttributes) {
    const { path = '', verb = '' } = spec.nonResourceAttributes;
    const served = NON_RESOURCE_URLS.some((url) => (url.endsWith('*') ? path.startsWith(url.slice(0, -1)) : path === url));
    return served && (verb === 'get' || verb === '*') ? { allowed: true } : { allowed: false, reason: `this server serves only get on ${NON_RESOURCE_URLS.join(', ')}` };
  }
  const { verb = '', group = '', resource = '', subresource = '' } = spec.resourceAttributes ?? {};
  const served = resources.find((r) => r.group === group && r.name === resource);
  if (!served || subresource !== '') return { allowed: false, reason: `this server does not serve ${resource}${subresource ? `/${subresource}` : ''}${group ? `.${group}` : ''}` };
  if (verb !== '*' && !served.verbs.includes(verb)) return { allowed: false, reason: `${resource}${group ? `.${group}` : ''} does not support ${verb}` };
  return { allowed: true };
}

export interface ReviewRequest {
  body: unknown;
  facts: JsonFacts;
  manager: string;
  /** Server time, RFC 3339 to the second. */
  time: string;
}

export function selfSubjectAccessReview({ body, facts, manager, time }: ReviewRequest) {
  const { object, warnings } = decodeAs(body, facts, { kind: 'SelfSubjectAccessReview', apiVersion: AUTHORIZATION, shape: ACCESS_REVIEW_SHAPE }, 'Warn');
  const spec = object.spec as JsonObject;
  if ((spec.resourceAttributes === undefined) === (spec.nonResourceAttributes === undefined)) {
    const message = 'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified';
    throw new HttpError(status.failure(422, 'Invalid', `.authorization.k8s.io "" is invalid: spec: ${message}`, { group: 'authorization.k8s.io', causes: [{ reason: 'FieldValueInvalid', message, field: 'spec' }] }));
  }
  const managedFields = managedFieldsAfterUpdate({ live: undefined, entries: undefined, manager, apiVersion: AUTHORIZATION, time, versions: { shape: () => ACCESS_REVIEW_SHAPE, convert: (review) => review } }, object);
  return {
    body: { kind: 'SelfSubjectAccessReview', apiVersion: AUTHORIZATION, metadata: managedFields ? { managedFields } : {}, spec, status: decision(spec) },
    warnings,
  };
}

export function selfSubjectRulesReview(body: unknown) {
  const review = body as { kind?: unknown; spec?: unknown } | undefined;
  if (typeof review !== 'object' || review === null || (review.kind !== undefined && review.kind !== 'SelfSubjectRulesReview') || typeof review.spec !== 'object' || review.spec === null) {
    throw new HttpError(status.badRequest('the body must be an authorization.k8s.io/v1 SelfSubjectRulesReview with a spec'));
  }
  const resourceRules = resources.map((r) => ({ verbs: r.verbs, apiGroups: [r.group], resources: [r.name] }));
  const nonResourceRules = [{ verbs: ['get'], nonResourceURLs: NON_RESOURCE_URLS }];
  return { apiVersion: AUTHORIZATION, kind: 'SelfSubjectRulesReview', metadata: {}, spec: review.spec, status: { resourceRules, nonResourceRules, incomplete: false } };
}
