/**
 * dryRun=All on every write verb, over raw HTTP: the real answer (admission and validation run,
 * refusals are the real ones), nothing stored, no watch event, the resourceVersion unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { serverCalls } from '../support/serverClient.js';
import { readEvents } from '../support/traces.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const spec = { holderIdentity: 'a', leaseDurationSeconds: 15 };

describe('embedded server: dryRun=All', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  async function start() {
    server = await startLeaseApiServer();
    const call = serverCalls(() => server!.url);
    const listVersion = async () => (await call('GET', LEASES)).body.metadata.resourceVersion as string;
    return { call, listVersion };
  }

  it('answers every write verb as it would, and stores nothing, sends no watch event, keeps the resourceVersion', async () => {
    const { call, listVersion } = await start();
    const live = (await call('POST', LEASES, { metadata: { name: 'live' }, spec })).body;
    const version = await listVersion();
    const watch = await fetch(`${server!.url}${LEASES}?watch=1&resourceVersion=${version}`);
    const firstEvent = readEvents(watch, 1, 10_000);

    const created = await call('POST', `${LEASES}?dryRun=All`, { metadata: { name: 'dry' }, spec });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'Lease', metadata: { name: 'dry', namespace: 'default', uid: expect.any(String) }, spec });
    expect(created.body.metadata.resourceVersion).toBeUndefined();

    const updated = await call('PUT', `${LEASES}/live?dryRun=All`, { ...live, spec: { ...spec, holderIdentity: 'b' } });
    expect(updated.status).toBe(200);
    expect(updated.body.spec.holderIdentity).toBe('b');
    expect(updated.body.metadata.resourceVersion).toBe(live.metadata.resourceVersion);

    const patched = await call('PATCH', `${LEASES}/live?dryRun=All`, { spec: { holderIdentity: 'c' } }, 'application/merge-patch+json');
    expect(patched).toMatchObject({ status: 200, body: { spec: { holderIdentity: 'c' } } });

    expect((await call('DELETE', `${LEASES}/live?dryRun=All`)).body).toMatchObject({ status: 'Success' });
    expect((await call('DELETE', `${LEASES}/live`, { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] })).body).toMatchObject({ status: 'Success' });
    expect((await call('DELETE', `${LEASES}?dryRun=All`)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['live']);

    expect((await call('GET', `${LEASES}/dry`)).status).toBe(404);
    expect((await call('GET', `${LEASES}/live`)).body).toEqual(live);
    expect(await listVersion()).toBe(version);

    await call('PATCH', `${LEASES}/live`, { spec: { holderIdentity: 'real' } }, 'application/merge-patch+json');
    const [event] = await firstEvent;
    expect(event).toMatchObject({ type: 'MODIFIED', object: { spec: { holderIdentity: 'real' } } }); // no dry-run change came first
  });

  it('refuses in a dry run what it would refuse otherwise, and an unknown dryRun value', async () => {
    const { call } = await start();
    const live = (await call('POST', LEASES, { metadata: { name: 'live' }, spec })).body;
    expect((await call('POST', `${LEASES}?dryRun=All`, { metadata: { name: 'live' }, spec })).body).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect((await call('POST', `${LEASES}?dryRun=All`, { metadata: { name: 'Bad_Name' }, spec })).body).toMatchObject({ code: 422, reason: 'Invalid' });
    expect((await call('PUT', `${LEASES}/live?dryRun=All`, { ...live, metadata: { ...live.metadata, resourceVersion: '1' } })).body).toMatchObject({ code: 409, reason: 'Conflict' });
    expect((await call('DELETE', `${LEASES}/none?dryRun=All`)).body).toMatchObject({ code: 404, reason: 'NotFound' });
    const unknown = await call('POST', `${LEASES}?dryRun=Yes`, { metadata: { name: 'other' }, spec });
    expect(unknown.body).toMatchObject({ code: 422, reason: 'Invalid', message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Yes"]: supported values: "All"' });
    expect((await call('GET', `${LEASES}/other`)).status).toBe(404);
  });
});
