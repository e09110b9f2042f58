/** The embedded server's rules beyond the traces: auth, binding, watch semantics, patches, tables. */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lease/errors.js';
import { type LeaseApiServer, type LeaseApiServerOptions, startLeaseApiServer } from '../../src/server/index.js';
import { readEvents } from '../support/traces.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-11-24T10:00:00.000000Z' };

describe('embedded server', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  async function start(options: LeaseApiServerOptions = {}) {
    server = await startLeaseApiServer(options);
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(server!.url + path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    return { call, create: (name: string, s: object = spec) => call('POST', LEASES, { metadata: { name }, spec: s }) };
  }

  it('with a token, refuses a wrong bearer token (401) and a request without one (403, as RBAC refuses system:anonymous)', async () => {
    const { call } = await start({ token: 's3cret' });
    const wrong = await call('GET', LEASES, undefined, { authorization: 'Bearer wrong' });
    expect(wrong).toEqual({ status: 401, body: expect.objectContaining({ kind: 'Status', reason: 'Unauthorized', code: 401 }) });
    const anonymous = await call('GET', LEASES);
    expect(anonymous).toEqual({ status: 403, body: expect.objectContaining({ kind: 'Status', reason: 'Forbidden', code: 403 }) });
    expect((await call('GET', '/apis')).status).toBe(403);
    expect((await call('GET', '/version')).status).toBe(200); // public, as system:public-info-viewer makes it
    expect((await call('GET', LEASES, undefined, { authorization: 'Bearer s3cret' })).status).toBe(200);
    expect(server!.kubeConfig()).toContain('token: "s3cret"');
  });

  it('binds 127.0.0.1 by default and refuses a non-loopback address without a token', async () => {
    await expect(startLeaseApiServer({ host: '0.0.0.0' })).rejects.toThrow(ConfigError);
    const { call } = await start();
    expect(server!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server!.url}/healthz`)).status).toBe(200);
  });

  it('rejects an update without resourceVersion (422) and a stale one (409); one that changes nothing keeps its version', async () => {
    const { call, create } = await start();
    const created = (await create('x')).body;
    const update = (rv?: string, holderIdentity = 'b') => call('PUT', `${LEASES}/x`, { metadata: { name: 'x', ...(rv ? { resourceVersion: rv } : {}) }, spec: { ...spec, holderIdentity } });
    expect((await update()).body).toMatchObject({
      reason: 'Invalid',
      // The storage layer's words: it names the resource (as kube-apiserver: test/conformance).
      message: 'leases.coordination.k8s.io "x" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update',
      details: { causes: [{ field: 'metadata.resourceVersion' }] },
    });
    const fresh = await update(created.metadata.resourceVersion);
    expect(fresh.status).toBe(200);
    expect(Number(fresh.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(fresh.body.metadata.uid).toBe(created.metadata.uid);
    expect((await update(created.metadata.resourceVersion)).body).toMatchObject({ code: 409, reason: 'Conflict' });
    // An update that changes nothing stores no new version, as kube-apiserver (test/conformance).
    const unchanged = await update(fresh.body.metadata.resourceVersion);
    expect(unchanged).toMatchObject({ status: 200, body: { metadata: { resourceVersion: fresh.body.metadata.resourceVersion } } });
  });

  it('validates names, durations and transitions with causes (422) and MicroTime precision (400)', async () => {
    const { create } = await start();
    const invalid = await create('Bad_Name', { leaseDurationSeconds: 0, leaseTransitions: -1 });
    expect(invalid.status).toBe(422);
    expect(invalid.body.details.causes.map((c: { field: string }) => c.field)).toEqual([
      'metadata.name',
      'spec.leaseDurationSeconds',
      'spec.leaseTransitions',
    ]);
    expect(invalid.body.message).toMatch(/^Lease\.coordination\.k8s\.io "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    for (const renewTime of ['2026-11-24T10:00:00.000Z', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00.0000000Z']) {
      const answer = await create('precise', { renewTime });
      expect(answer.status, renewTime).toBe(400);
      expect(answer.body.message).toContain('cannot be handled as a Lease');
    }
    expect((await create('offset', { renewTime: '2026-11-24T10:00:00.123456+01:00' })).status).toBe(201);
  });

  it('takes spec.preferredHolder only beside a spec.strategy, and only strategies Kubernetes defines or prefix/name ones (422)', async () => {
    const { call, create } = await start();
    const alone = await create('alone', { ...spec, preferredHolder: 'b' });
    expect(alone.status).toBe(422);
    expect(alone.body.message).toBe('Lease.coordination.k8s.io "alone" is invalid: spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined');
    expect(alone.body.details.causes).toEqual([
      { reason: 'FieldValueForbidden', field: 'spec.preferredHolder', message: 'Forbidden: may only be specified if `strategy` is defined' },
    ]);
    expect((await create('empty', { ...spec, preferredHolder: '', strategy: '' })).status).toBe(422); // "" is no strategy Kubernetes defines
    expect((await create('cleared', { ...spec, preferredHolder: '' })).status).toBe(201);
    const unknown = await create('unknown', { ...spec, strategy: 'Youngest' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.details.causes).toEqual([
      { reason: 'FieldValueNotSupported', field: 'spec.strategy.strategy', message: 'Unsupported value: "Youngest": supported values: "OldestEmulationVersion"' },
    ]);
    expect((await create('bad-prefix', { ...spec, strategy: 'Example.com/custom' })).body.details.causes[0]).toMatchObject({ field: 'spec.strategy.strategy' });
    const coordinated = await create('coordinated', { ...spec, strategy: 'OldestEmulationVersion', preferredHolder: 'b' });
    expect(coordinated.status).toBe(201);
    expect(coordinated.body.spec).toMatchObject({ strategy: 'OldestEmulationVersion', preferredHolder: 'b' });
    expect((await create('custom', { ...spec, strategy: 'example.com/custom', preferredHolder: 'b' })).status).toBe(201);
    // An update that drops the strategy but keeps preferredHolder is refused too.
    const { strategy: _dropped, ...withoutStrategy } = coordinated.body.spec;
    const update = await call('PUT', `${LEASES}/coordinated`, { ...coordinated.body, spec: withoutStrategy });
    expect(update.status).toBe(422);
    expect(update.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.preferredHolder']);
  });

  it('patches with merge, strategic merge (as merge) and JSON patch; 415 otherwise', async () => {
    const { call, create } = await start();
    await create('p');
    const patch = (type: string, body: unknown) => call('PATCH', `${LEASES}/p`, body, { 'content-type': type });
    expect((await patch('application/merge-patch+json', { spec: { holderIdentity: 'b' } })).body.spec.holderIdentity).toBe('b');
    expect((await patch('application/strategic-merge-patch+json', { spec: { holderIdentity: 'c' } })).body.spec.holderIdentity).toBe('c');
    const json = await patch('application/json-patch+json', [{ op: 'replace', path: '/spec/leaseDurationSeconds', value: 7 }]);
    expect(json.body.spec).toMatchObject({ holderIdentity: 'c', leaseDurationSeconds: 7 });
    expect((await patch('text/plain', {})).body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    expect((await patch('application/merge-patch+json', { spec: { leaseDurationSeconds: -2 } })).status).toBe(422);
  });

  it('lists across namespaces, filters by field and label selectors, and deletes collections', async () => {
    const { call, create } = await start();
    await create('one');
    await call('POST', LEASES, { metadata: { name: 'two', labels: { app: 'x' } }, spec });
    await call('POST', '/apis/coordination.k8s.io/v1/namespaces/other/leases', { metadata: { name: 'three' }, spec });
    const names = async (path: string) => (await call('GET', path)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(await names('/apis/coordination.k8s.io/v1/leases')).toEqual(['one', 'two', 'three']);
    expect(await names(`${LEASES}?fieldSelector=metadata.name%3Dtwo`)).toEqual(['two']);
    expect(await names(`${LEASES}?labelSelector=app%3Dx`)).toEqual(['two']);
    expect(await names('/apis/coordination.k8s.io/v1/leases?fieldSelector=metadata.namespace!%3Ddefault')).toEqual(['three']);
    expect((await call('GET', `${LEASES}?fieldSelector=spec.holderIdentity%3Da`)).status).toBe(400);
    await call('DELETE', `${LEASES}?labelSelector=app%3Dx`);
    expect(await names(LEASES)).toEqual(['one']);
  });

  it('serves kubectl tables: NAME, HOLDER, AGE', async () => {
    const { call, create } = await start();
    await create('t');
    const answer = await call('GET', LEASES, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(answer.body.kind).toBe('Table');
    expect(answer.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Holder', 'Age']);
    expect(answer.body.rows[0].cells.slice(0, 2)).toEqual(['t', 'a']);
    expect(answer.body.rows[0].cells[2]).toMatch(/^\d+s$/);
  });

  it('watch: replays ADDED without a resourceVersion, resumes after N, 410 when N is too old, no bookmark at once, timeoutSeconds', async () => {
    const { create, call } = await start({ historyLimit: 3 });
    const first = (await create('w1')).body;
    await create('w2');
    const watch = (query: string) => fetch(`${server!.url}${LEASES}?watch=true&${query}`);

    const replayed = await readEvents(await watch('resourceVersion=0'), 2, 5_000);
    expect(replayed.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([['ADDED', 'w1'], ['ADDED', 'w2']]);

    const resumed = await readEvents(await watch(`resourceVersion=${first.metadata.resourceVersion}`), 1, 5_000);
    expect(resumed.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([['ADDED', 'w2']]);

    const live = watch(`resourceVersion=${first.metadata.resourceVersion}&fieldSelector=metadata.name%3Dw1&allowWatchBookmarks=1`);
    const liveEvents = readEvents(await live, 1, 5_000);
    await call('PATCH', `${LEASES}/w1`, { spec: { holderIdentity: 'z' } }, { 'content-type': 'application/merge-patch+json' });
    // No BOOKMARK at once: kube-apiserver sends them on its own schedule (test/conformance).
    expect((await liveEvents).map((e) => e.type)).toEqual(['MODIFIED']);

    for (let i = 0; i < 4; i++) await create(`filler-${i}`); // pushes w1's creation out of the history of 3
    const tooOld = await readEvents(await watch(`resourceVersion=${first.metadata.resourceVersion}`), 1, 5_000);
    expect(tooOld[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });

    expect((await call('GET', `${LEASES}?watch=false`)).body.kind).toBe('LeaseList'); // booleans: "false" and "0" are false
    expect((await call('GET', `${LEASES}?watch=0`)).body.kind).toBe('LeaseList');
    const timedOut = await watch('timeoutSeconds=1&resourceVersion=0&fieldSelector=metadata.name%3Dnone');
    expect(await readEvents(timedOut, 1, 5_000)).toEqual([]); // the stream ends after 1 s with nothing to say
  });

  it('discovery and namespaces answer as kubectl needs', async () => {
    const { call } = await start();
    expect((await call('GET', '/apis')).body.groups[0].name).toBe('coordination.k8s.io');
    expect((await call('GET', '/apis/coordination.k8s.io/v1')).body.resources[0]).toMatchObject({ name: 'leases', namespaced: true, kind: 'Lease' });
    expect((await call('GET', '/api/v1/namespaces/team-a')).body).toMatchObject({ kind: 'Namespace', status: { phase: 'Active' } });
    expect((await call('GET', '/openapi/v3')).body.paths['apis/coordination.k8s.io/v1'].serverRelativeURL).toMatch(/hash=[0-9A-F]{32}$/);
    // A group nobody serves: the mux's plain-text 404, as kube-apiserver's.
    const unserved = await fetch(`${server!.url}/apis/apps/v1`);
    expect([unserved.status, unserved.headers.get('content-type'), await unserved.text()]).toEqual([404, 'text/plain; charset=utf-8', '404 page not found\n']);
  });
});
