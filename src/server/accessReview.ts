/**
 * SelfSubjectAccessReview and SelfSubjectRulesReview (`kubectl auth can-i`, `--list`): the server
 * has one rule — an authenticated client (the right token, or any client when none is required)
 * may do every verb the server serves on every resource it serves; an anonymous client may do
 * nothing. Reviews answer from that rule and the discovery list, never "yes" for what is not served.
 */
import { resources } from './discovery.js';
import { HttpError } from './encoding.js';
import * as status from './status.js';

const NON_RESOURCE_URLS = ['/version', '/api', '/api/*', '/apis', '/apis/*', '/openapi/*', '/healthz', '/livez', '/readyz'];

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function decision(authenticated: boolean, spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: { path?: string; verb?: string } }) {
  if (!authenticated) return { allowed: false, reason: 'anonymous requests may do nothing on this server: send the bearer token' };
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

function reviewSpec(body: unknown, kind: string): Record<string, unknown> {
  const review = body as { apiVersion?: unknown; kind?: unknown; spec?: unknown } | undefined;
  if (typeof review !== 'object' || review === null || (review.kind !== undefined && review.kind !== kind) || typeof review.spec !== 'object' || review.spec === null) {
    throw new HttpError(status.badRequest(`the body must be an authorization.k8s.io/v1 ${kind} with a spec`));
  }
  return review.spec as Record<string, unknown>;
}

export function selfSubjectAccessReview(body: unknown, authenticated: boolean) {
  const spec = reviewSpec(body, 'SelfSubjectAccessReview');
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec, status: decision(authenticated, spec) };
}

export function selfSubjectRulesReview(body: unknown, authenticated: boolean) {
  const spec = reviewSpec(body, 'SelfSubjectRulesReview');
  const resourceRules = authenticated
    ? resources.map((r) => ({ verbs: r.verbs, apiGroups: [r.group], resources: [r.name] }))
    : [];
  const nonResourceRules = authenticated ? [{ verbs: ['get'], nonResourceURLs: NON_RESOURCE_URLS }] : [];
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: { creationTimestamp: null }, spec, status: { resourceRules, nonResourceRules, incomplete: false } };
}
