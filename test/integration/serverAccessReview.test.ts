/** SelfSubjectAccessReview and SelfSubjectRulesReview over raw HTTP: yes with the token (or none needed); an anonymous client is refused as RBAC refuses system:anonymous. */
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';

const REVIEWS = '/apis/authorization.k8s.io/v1';
const review = (resourceAttributes: Record<string, string>) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });

describe('embedded server: access reviews', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  const ask = async (body: unknown, headers: Record<string, string> = {}, path = `${REVIEWS}/selfsubjectaccessreviews`) => {
    const response = await fetch(server!.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { kind: string; status: { allowed: boolean; reason?: string; resourceRules?: unknown[] } } };
  };

  it('allows every served verb on served resources, nothing else, when no token is required', async () => {
    server = await startLeaseApiServer();
    const lease = await ask(review({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'team-a' }));
    expect(lease).toMatchObject({ status: 201, body: { kind: 'SelfSubjectAccessReview', status: { allowed: true } } });
    expect((await ask(review({ verb: 'create', group: '', resource: 'events' }))).body.status.allowed).toBe(true);
    expect((await ask(review({ verb: 'create', group: '', resource: 'pods' }))).body.status).toEqual({ allowed: false, reason: 'this server does not serve pods' });
    expect((await ask(review({ verb: 'escalate', group: 'coordination.k8s.io', resource: 'leases' }))).body.status.allowed).toBe(false);
    expect((await ask({ kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/version', verb: 'get' } } })).body.status.allowed).toBe(true);
    const rules = await ask({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } }, {}, `${REVIEWS}/selfsubjectrulesreviews`);
    expect(rules.body.status.resourceRules).toContainEqual({ verbs: expect.arrayContaining(['get', 'update', 'watch']), apiGroups: ['coordination.k8s.io'], resources: ['leases'] });
    // Exactly one kind of attributes, or 422 naming spec (as kube-apiserver: test/conformance).
    expect(await ask({ kind: 'SelfSubjectAccessReview', spec: {} })).toMatchObject({ status: 422, body: { kind: 'Status', reason: 'Invalid', details: { causes: [{ field: 'spec' }] } } });
  });

  it('with a token: yes with it, 403 without it (anonymous, even to ask), 401 with a wrong one', async () => {
    server = await startLeaseApiServer({ token: 's3cret' });
    const question = review({ verb: 'get', group: 'coordination.k8s.io', resource: 'leases' });
    expect((await ask(question, { authorization: 'Bearer s3cret' })).body.status.allowed).toBe(true);
    expect(await ask(question)).toMatchObject({ status: 403, body: { kind: 'Status', reason: 'Forbidden' } });
    expect((await ask(question, { authorization: 'Bearer wrong' })).status).toBe(401);
    const anonymousList = await fetch(`${server.url}/apis/coordination.k8s.io/v1/leases`);
    expect(anonymousList.status).toBe(403);
    expect(await anonymousList.json()).toMatchObject({ message: 'leases.coordination.k8s.io is forbidden: User "system:anonymous" cannot list resource "leases" in API group "coordination.k8s.io" at the cluster scope' });
    expect((await fetch(`${server.url}/version`)).status).toBe(200); // public, as system:public-info-viewer
  });
});
