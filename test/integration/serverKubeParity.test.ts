/**
 * What the differential corpus (test/conformance) found kube-apiserver doing and the embedded server
 * now does too, pinned here without a control plane so that every Node line checks it: writes that
 * change nothing store nothing, selector watches see objects come and go, unknown and duplicate
 * fields are reported, lists page, field ownership is recorded as kube-apiserver records it, and
 * documents are negotiated from the Accept header.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, type LeaseApiServerOptions, startLeaseApiServer } from '../../src/server/index.js';
import { readEvents } from '../support/traces.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const lease = (name: string, spec: Record<string, unknown> = { holderIdentity: 'a' }, labels?: Record<string, string>) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, ...(labels ? { labels } : {}) },
  spec,
});

/** An answer read field by field, as JSON. */
type Body = Record<string, any>;

describe('embedded server: behaviours measured against kube-apiserver', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  async function start(options: LeaseApiServerOptions = {}) {
    server = await startLeaseApiServer(options);
    return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(server!.url + path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, warnings: response.headers.get('warning'), body: (text ? JSON.parse(text) : undefined) as Body };
    };
  }

  it('an update, patch or apply that changes nothing stores no new version and sends no watch event', async () => {
    const call = await start();
    const created = (await call('POST', LEASES, lease('a'))).body;
    const rv = created.metadata.resourceVersion;
    const stream = await fetch(`${server!.url}${LEASES}?watch=1&resourceVersion=${rv}`);
    const events = readEvents(stream, 1, 5_000);
    const same = await call('PUT', `${LEASES}/a`, { ...lease('a'), metadata: { name: 'a', resourceVersion: rv } });
    expect(same.body.metadata.resourceVersion).toBe(rv);
    expect((await call('PUT', `${LEASES}/a`, { ...lease('a'), metadata: { name: 'a', resourceVersion: rv } })).status).toBe(200); // still current
    expect((await call('PATCH', `${LEASES}/a`, { spec: { holderIdentity: 'a' } }, { 'content-type': 'application/merge-patch+json' })).body.metadata.resourceVersion).toBe(rv);
    const changed = await call('PATCH', `${LEASES}/a`, { spec: { holderIdentity: 'b' } }, { 'content-type': 'application/merge-patch+json' });
    expect(changed.body.metadata.resourceVersion).not.toBe(rv);
    const [first] = await events;
    expect(first).toMatchObject({ type: 'MODIFIED', object: { metadata: { resourceVersion: changed.body.metadata.resourceVersion }, spec: { holderIdentity: 'b' } } });
  });

  it('a watch with a label selector sees a lease that stops matching as DELETED and one that starts as ADDED', async () => {
    const call = await start();
    const rv = (await call('POST', LEASES, lease('in', undefined, { app: 'x' }))).body.metadata.resourceVersion;
    await call('POST', LEASES, lease('out', undefined, { app: 'y' }));
    const stream = await fetch(`${server!.url}${LEASES}?watch=1&labelSelector=app%3Dx&resourceVersion=${rv}`);
    const events = readEvents(stream, 2, 5_000);
    const patch = (name: string, app: string) => call('PATCH', `${LEASES}/${name}`, { metadata: { labels: { app } } }, { 'content-type': 'application/merge-patch+json' });
    const left = (await patch('in', 'gone')).body;
    await patch('out', 'x');
    const [leaving, entering] = await events;
    // The leaving lease is shown as it last matched, at the version that made it leave.
    expect(leaving).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'in', labels: { app: 'x' }, resourceVersion: left.metadata.resourceVersion } } });
    expect(entering).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'out', labels: { app: 'x' } } } });
  });

  it('reports unknown and duplicate fields as Warning headers, refuses them with fieldValidation=Strict, keeps quiet with Ignore', async () => {
    const call = await start();
    const body = '{"metadata":{"name":"w","colour":1},"spec":{"holderIdentity":"a","holderIdentity":"b"},"extra":true}';
    const warned = await call('POST', LEASES, body);
    expect(warned.status).toBe(201);
    expect(warned.warnings).toBe('299 - "unknown field \\"metadata.colour\\"", 299 - "duplicate field \\"spec.holderIdentity\\"", 299 - "unknown field \\"extra\\""');
    expect(warned.body.spec).toEqual({ holderIdentity: 'b' });
    const strict = await call('POST', `${LEASES}?fieldValidation=Strict`, body.replace('"w"', '"s"'));
    expect(strict.body).toMatchObject({ code: 400, message: 'Lease in version "v1" cannot be handled as a Lease: strict decoding error: unknown field "metadata.colour", duplicate field "spec.holderIdentity", unknown field "extra"' });
    expect((await call('POST', `${LEASES}?fieldValidation=Ignore`, body.replace('"w"', '"i"'))).warnings).toBeNull();
    expect((await call('POST', LEASES, '{"metadata":{"name":"f"},"spec":{"leaseDurationSeconds":15.0}}')).status).toBe(400); // 15.0 is no int32
  });

  it('pages a list with limit and continue, at the version of its first page', async () => {
    const call = await start();
    for (const name of ['a', 'b', 'c']) await call('POST', LEASES, lease(name));
    const first = (await call('GET', `${LEASES}?limit=2`)).body;
    expect([first.items.map((item: Body) => item.metadata.name), first.metadata.remainingItemCount]).toEqual([['a', 'b'], 1]);
    await call('DELETE', `${LEASES}/c`);
    const second = (await call('GET', `${LEASES}?limit=2&continue=${first.metadata.continue}`)).body;
    expect([second.items.map((item: Body) => item.metadata.name), second.metadata.continue, second.metadata.resourceVersion]).toEqual([['c'], undefined, first.metadata.resourceVersion]);
    expect((await call('GET', `${LEASES}?limit=1&continue=not-a-token`)).body).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(first.items[0].kind).toBeUndefined(); // list items name no kind: the list does
  });

  it('records field ownership as kube-apiserver does: maps as fields of their own, nothing for an empty spec, appliers first', async () => {
    const call = await start();
    const created = (await call('POST', `${LEASES}?fieldManager=writer`, lease('m', { holderIdentity: 'a' }, { app: 'x' }))).body;
    expect(created.metadata.managedFields).toEqual([
      { manager: 'writer', operation: 'Update', apiVersion: 'coordination.k8s.io/v1', time: expect.any(String), fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:holderIdentity': {} } } },
    ]);
    expect((await call('POST', LEASES, lease('e', {}))).body.metadata.managedFields).toBeUndefined();
    const applied = await call('PATCH', `${LEASES}/m?fieldManager=applier`, lease('m', { leaseDurationSeconds: 5 }), { 'content-type': 'application/apply-patch+yaml' });
    expect(applied.body.metadata.managedFields.map((entry: Body) => [entry.manager, entry.operation])).toEqual([['applier', 'Apply'], ['writer', 'Update']]);
  });

  it('creates a missing lease on PUT, answers deletecollection with the leases as they were, and 405 with empty details', async () => {
    const call = await start();
    const put = await call('PUT', `${LEASES}/new`, lease('new'));
    expect(put.status).toBe(201);
    const deleted = (await call('DELETE', LEASES)).body;
    expect(deleted.items.map((item: Body) => item.metadata.resourceVersion)).toEqual([put.body.metadata.resourceVersion]);
    expect((await call('POST', `${LEASES}/new`, lease('new'))).body).toMatchObject({ code: 405, details: {} });
  });

  it('negotiates documents from Accept: aggregated discovery, Tables with or without their objects, metadata alone', async () => {
    const call = await start();
    await call('POST', LEASES, lease('t'));
    const aggregated = await fetch(`${server!.url}/apis`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    expect(aggregated.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const groups = (await aggregated.json()) as Body;
    expect(groups.items.find((item: Body) => item.metadata.name === 'coordination.k8s.io').versions[0].resources[0]).toMatchObject({ resource: 'leases', scope: 'Namespaced', responseKind: { kind: 'Lease' } });
    const table = (query: string) => call('GET', `${LEASES}${query}`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect((await table('?includeObject=Object')).body.rows[0].object).toMatchObject({ kind: 'Lease', spec: { holderIdentity: 'a' } });
    expect((await table('?includeObject=None')).body.rows[0].object).toBeNull();
    expect((await table('')).body.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 't' } });
    const partial = await call('GET', `${LEASES}/t`, undefined, { accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' });
    expect(partial.body).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 't' } });
    expect(partial.body.spec).toBeUndefined();
  });

  it('with CoordinatedLeaderElection off, drops spec.strategy and spec.preferredHolder (after recording who set them)', async () => {
    const call = await start({ coordinatedLeaderElection: false });
    const created = (await call('POST', LEASES, lease('g', { holderIdentity: 'a', strategy: 'OldestEmulationVersion', preferredHolder: 'b' }))).body;
    expect(created.spec).toEqual({ holderIdentity: 'a' });
    expect(created.metadata.managedFields[0].fieldsV1['f:spec']).toEqual({ 'f:holderIdentity': {}, 'f:preferredHolder': {}, 'f:strategy': {} });
  });
});
