/**
 * Events on the embedded server, both versions of one object (core/v1 and events.k8s.io/v1:
 * create, list, watch, converted both ways, validated as each version is), and the Kubernetes
 * adapter recording leader changes as client-go's EventRecorder does (repeats counted, opt-out).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubernetesLeaseLocks } from '../../src/kubernetes/leaseLock.js';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { leadOnce, serverCalls } from '../support/serverClient.js';
import { readEvents } from '../support/traces.js';

const CORE = '/api/v1/namespaces/default/events';
const V1 = '/apis/events.k8s.io/v1/namespaces/default/events';
/** Now, to the second, in UTC and as the same instant written at +01:00 (Events older than an hour expire). */
const nowUtc = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const nowPlusOne = `${new Date(Date.parse(nowUtc) + 3_600_000).toISOString().slice(0, 19)}+01:00`;
const regarding = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'default', name: 'my-lease' };

describe('embedded server: Events', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  async function start() {
    server = await startLeaseApiServer();
    const call = serverCalls(() => server!.url);
    return { call };
  }

  it('stores a core/v1 Event and shows it in events.k8s.io/v1 (regarding, note, deprecatedCount), and the other way round', async () => {
    const { call } = await start();
    const created = await call('POST', CORE, {
      metadata: { name: 'my-lease.1' },
      involvedObject: regarding,
      reason: 'LeaderElection',
      message: 'pod-1 became leader',
      type: 'Normal',
      count: 1,
      firstTimestamp: nowPlusOne,
      lastTimestamp: nowUtc,
      source: { component: 'leasehold', host: 'node-a' },
    });
    expect(created.status).toBe(201);
    expect(created.body.firstTimestamp).toBe(nowUtc); // written back in UTC
    const asV1 = (await call('GET', `${V1}/my-lease.1`)).body;
    expect(asV1).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event', regarding, note: 'pod-1 became leader', reason: 'LeaderElection', deprecatedCount: 1, deprecatedSource: { component: 'leasehold' } });
    expect(asV1.message).toBeUndefined();

    const v1Created = await call('POST', V1, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'my-lease.2' },
      eventTime: nowUtc.replace('Z', '.000001Z'),
      reportingController: 'example.com/elector',
      reportingInstance: 'node-b',
      action: 'Acquire',
      reason: 'LeaderElection',
      regarding,
      note: 'pod-2 became leader',
      type: 'Normal',
    });
    expect(v1Created.status).toBe(201);
    const core = (await call('GET', `${CORE}/my-lease.2`)).body;
    expect(core).toMatchObject({ apiVersion: 'v1', kind: 'Event', involvedObject: regarding, message: 'pod-2 became leader', reportingComponent: 'example.com/elector' });
    expect((await call('GET', `${CORE}?fieldSelector=involvedObject.name%3Dmy-lease,reason%3DLeaderElection`)).body.items).toHaveLength(2);
    expect((await call('GET', `${V1}?fieldSelector=regarding.name%3Dother`)).body.items).toHaveLength(0);
    expect((await call('GET', '/api/v1/events')).body).toMatchObject({ kind: 'EventList', apiVersion: 'v1' });
  });

  it('drops events an hour after they were last written (kube-apiserver\'s --event-ttl), whatever times they carry', async () => {
    const clock = new VirtualClock(Date.parse(nowUtc));
    server = await startLeaseApiServer({ clock });
    const call = serverCalls(() => server!.url);
    const longAgo = new Date(Date.parse(nowUtc) - 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await call('POST', CORE, { metadata: { name: 'old' }, involvedObject: regarding, lastTimestamp: longAgo });
    await call('POST', CORE, { metadata: { name: 'renewed' }, involvedObject: regarding });
    await clock.advance(59 * 60_000);
    await call('PATCH', `${CORE}/renewed`, { count: 2 }, 'application/merge-patch+json');
    await call('POST', CORE, { metadata: { name: 'new' }, involvedObject: regarding });
    const names = async () => (await call('GET', CORE)).body.items.map((e: { metadata: { name: string } }) => e.metadata.name);
    expect(await names()).toEqual(['new', 'old', 'renewed']); // an event written two hours "ago" was written now
    await clock.advance(2 * 60_000);
    await call('POST', CORE, { metadata: { name: 'newest' }, involvedObject: regarding });
    expect(await names()).toEqual(['new', 'newest', 'renewed']);
  });

  it('validates each version as kube-apiserver does', async () => {
    const { call } = await start();
    // Without an eventTime the reporting fields are not asked for (kube-apiserver's order: test/conformance).
    const missing = await call('POST', V1, { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e' }, regarding, note: 'x' });
    expect(missing.status).toBe(422);
    expect(missing.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['eventTime', 'type']);
    const timed = await call('POST', V1, { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e' }, regarding, note: 'x', type: 'Normal', eventTime: nowUtc.replace('Z', '.000001Z') });
    expect(timed.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['reportingController', 'reportingController', 'reportingController', 'reportingInstance', 'action', 'reason']);
    expect((await call('POST', CORE, { metadata: { name: 'e' }, involvedObject: { ...regarding, namespace: 'other' } })).body.message).toContain('involvedObject.namespace');
    expect((await call('POST', CORE, { metadata: { name: 'e' }, type: 'Sad' })).status).toBe(201); // core/v1 does not check the type
    expect((await call('POST', CORE, { metadata: { name: 'e' }, eventTime: '2026-13-45T99:99:99.000000Z' })).status).toBe(400);
  });

  it('watches events in either version', async () => {
    const { call } = await start();
    const stream = await fetch(`${server!.url}${V1}?watch=1`);
    const events = readEvents(stream, 1, 10_000);
    await call('POST', CORE, { metadata: { name: 'my-lease.3' }, involvedObject: regarding, reason: 'LeaderElection', message: 'pod-3 became leader' });
    expect((await events)[0]).toMatchObject({ type: 'ADDED', object: { apiVersion: 'events.k8s.io/v1', note: 'pod-3 became leader' } });
  });

  it('the Kubernetes adapter records leader changes on the Lease, counts a repeat, and records nothing when opted out', async () => {
    const { call } = await start();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(server!.kubeConfig());
    const until = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const recorded = async (name: string) => (await call('GET', `${CORE}?fieldSelector=involvedObject.name%3D${name}`)).body.items as Record<string, unknown>[];

    const locks = new KubernetesLeaseLocks(kubeConfig, { kubernetesEvents: { component: 'my-operator', host: 'node-a' } });
    await leadOnce(locks, 'elected', 'pod-1');
    await leadOnce(locks, 'elected', 'pod-1');
    const lease = (await call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/elected')).body;
    await until(async () => (await recorded('elected')).some((e) => e.message === 'pod-1 became leader' && e.count === 2));
    const became = (await recorded('elected')).find((e) => e.message === 'pod-1 became leader')!;
    expect(became).toMatchObject({
      type: 'Normal',
      reason: 'LeaderElection',
      involvedObject: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', namespace: 'default', name: 'elected', uid: lease.metadata.uid },
      source: { component: 'my-operator', host: 'node-a' },
      reportingComponent: 'my-operator',
      reportingInstance: 'node-a',
      count: 2,
    });
    expect(String((became.metadata as { name: string }).name)).toMatch(/^elected\.[0-9a-f]+$/);
    await until(async () => (await recorded('elected')).some((e) => e.message === 'pod-1 stopped leading'));

    await leadOnce(new KubernetesLeaseLocks(kubeConfig, { kubernetesEvents: false }), 'quiet', 'pod-1');
    await leadOnce(locks, 'marker', 'pod-1'); // recorded after anything "quiet" would have been: the queue is in order
    await until(async () => (await recorded('marker')).length > 0);
    expect(await recorded('quiet')).toEqual([]);
  });
});
