/**
 * Streaming lists (sendInitialEvents, client-go's WatchList, kubectl 1.35 wait) and
 * resourceVersionMatch on lists, over raw HTTP, as kube-apiserver answers them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { serverCalls } from '../support/serverClient.js';
import { readEvents } from '../support/traces.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const spec = { holderIdentity: 'a', leaseDurationSeconds: 15 };
type Named = { metadata: { name: string; resourceVersion: string; annotations?: Record<string, string> }; spec?: { holderIdentity?: string } };

describe('embedded server: streaming lists and resourceVersionMatch', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  async function start() {
    server = await startLeaseApiServer();
    const call = serverCalls(() => server!.url);
    const holder = (name: string, holderIdentity: string) => call('PATCH', `${LEASES}/${name}`, { spec: { holderIdentity } }, 'application/merge-patch+json');
    return { call, holder };
  }

  it('sends the current objects as ADDED, then a BOOKMARK annotated k8s.io/initial-events-end, then the changes', async () => {
    const { call, holder } = await start();
    await call('POST', LEASES, { metadata: { name: 'one' }, spec });
    await call('POST', LEASES, { metadata: { name: 'two' }, spec });
    await call('POST', '/apis/coordination.k8s.io/v1/namespaces/other/leases', { metadata: { name: 'elsewhere' }, spec });
    const listVersion = (await call('GET', LEASES)).body.metadata.resourceVersion;
    const stream = await fetch(`${server!.url}${LEASES}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    const events = readEvents(stream, 4, 10_000);
    await new Promise((resolve) => setImmediate(resolve));
    await holder('one', 'b');
    const [first, second, end, change] = (await events) as { type: string; object: Named }[];
    expect([first!.type, first!.object.metadata.name, second!.type, second!.object.metadata.name]).toEqual(['ADDED', 'one', 'ADDED', 'two']);
    expect(end).toMatchObject({ type: 'BOOKMARK', object: { metadata: { resourceVersion: listVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } } });
    expect(change).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'one' }, spec: { holderIdentity: 'b' } } });
    expect(Number(change!.object.metadata.resourceVersion)).toBeGreaterThan(Number(listVersion));
  });

  it('sendInitialEvents=false starts after the given resourceVersion with no initial events', async () => {
    const { call, holder } = await start();
    const created = (await call('POST', LEASES, { metadata: { name: 'one' }, spec })).body;
    await holder('one', 'b');
    const stream = await fetch(`${server!.url}${LEASES}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=${created.metadata.resourceVersion}`);
    const [event] = (await readEvents(stream, 1, 10_000)) as { type: string; object: Named }[];
    expect(event).toMatchObject({ type: 'MODIFIED', object: { spec: { holderIdentity: 'b' } } });
  });

  it('refuses the option combinations kube-apiserver refuses (422 naming the option)', async () => {
    const { call } = await start();
    const refused = async (query: string) => (await call('GET', `${LEASES}?${query}`)).body;
    expect(await refused('watch=1&sendInitialEvents=true&allowWatchBookmarks=true')).toMatchObject({
      code: 422,
      message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    });
    expect((await refused('watch=1&resourceVersionMatch=NotOlderThan')).message).toContain('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    expect((await refused('sendInitialEvents=true')).message).toContain('sendInitialEvents is forbidden for list');
    expect((await refused('resourceVersionMatch=NotOlderThan')).message).toContain('resourceVersionMatch is forbidden unless resourceVersion is provided');
    expect((await refused('resourceVersionMatch=Exact&resourceVersion=0')).message).toContain('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    expect(await refused('resourceVersionMatch=Sometimes&resourceVersion=1')).toMatchObject({ code: 422, reason: 'Invalid' });
  });

  it('lists at an Exact older resourceVersion, NotOlderThan the current one; 410 beyond the history, 504 past the newest', async () => {
    const { call, holder } = await start();
    const created = (await call('POST', LEASES, { metadata: { name: 'one' }, spec })).body;
    await holder('one', 'b');
    await call('POST', LEASES, { metadata: { name: 'two' }, spec });
    const then = (await call('GET', `${LEASES}?resourceVersion=${created.metadata.resourceVersion}&resourceVersionMatch=Exact`)).body;
    expect(then.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(then.items.map((i: Named) => [i.metadata.name, i.spec?.holderIdentity])).toEqual([['one', 'a']]);
    const now = (await call('GET', `${LEASES}?resourceVersion=${created.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan`)).body;
    expect(now.items.map((i: Named) => [i.metadata.name, i.spec?.holderIdentity])).toEqual([['one', 'b'], ['two', 'a']]);
    expect((await call('GET', `${LEASES}?resourceVersion=5&resourceVersionMatch=Exact`)).body).toMatchObject({ code: 410, reason: 'Expired' });
    const future = Number(now.metadata.resourceVersion) + 100;
    expect((await call('GET', `${LEASES}?resourceVersion=${future}&resourceVersionMatch=NotOlderThan`)).body).toMatchObject({
      code: 504,
      details: { causes: [{ reason: 'ResourceVersionTooLarge' }] },
    });
  });
});
