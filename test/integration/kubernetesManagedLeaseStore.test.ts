/**
 * KubernetesManagedLeaseStore against the embedded server with real @kubernetes/client-node over
 * HTTP. Each store is one "process" with its own client and its own expiry reckoning; lease time
 * runs on VirtualClocks, and where HTTP needs real waiting the tests wait on conditions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, loadAllYaml } from '@kubernetes/client-node';
import type { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, LeaseForbiddenError, LeaseInvalidError, LeaseUnavailableError } from '../../src/lease/errors.js';
import { KubernetesManagedLeaseStore } from '../../src/kubernetes/managed/store.js';
import { managedLeaseObjectName } from '../../src/kubernetes/managed/object.js';
import type { LeaseKey, ManagedLeaseChange } from '../../src/ports/managedLeaseStore.js';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.js';

const NAMESPACE = 'juju-leases';
/** 2026-01-01T00:00:00.123456Z: microseconds show whether MicroTime keeps all six digits. */
const START = Date.UTC(2026, 0, 1, 0, 0, 0, 123) + 0.456;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const keyOf = (lease: string, model = 'model-uuid'): LeaseKey => ({ namespace: 'application-leadership', model, lease });

interface RawLease {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/** Collects a feed's batches; `until` resolves when a predicate on them holds. */
function collect(feed: Observable<ManagedLeaseChange[]>) {
  const batches: ManagedLeaseChange[][] = [];
  const state: { error: unknown } = { error: undefined };
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const resolve of waiters) resolve();
    waiters.clear();
  };
  const subscription = feed.subscribe({
    next: (batch) => {
      batches.push(batch);
      wake();
    },
    error: (error: unknown) => {
      state.error = error;
      wake();
    },
  });
  const until = async (predicate: () => boolean) => {
    while (!predicate()) await new Promise<void>((resolve) => waiters.add(resolve));
  };
  return { batches, state, until, stop: () => subscription.unsubscribe() };
}

describe('KubernetesManagedLeaseStore', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** The embedded server, a shared VirtualClock, and a recorder of every Lease request (verb and status). */
  async function world(options: { historyLimit?: number } = {}) {
    const requests: { verb: string; code: number }[] = [];
    const server: LeaseApiServer = await startLeaseApiServer({
      ...options,
      onRequest: (verb, code, request) => {
        if (request.url?.startsWith(`/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/`)) requests.push({ verb, code });
      },
    });
    cleanups.push(() => server.close());
    const clock = new VirtualClock(START);
    const store = (identity: string, via: { url?: string; clock?: VirtualClock; requestTimeoutMs?: number } = {}) => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kubeConfigFor(via.url ?? server.url));
      return new KubernetesManagedLeaseStore(kubeConfig, {
        namespace: NAMESPACE,
        clock: via.clock ?? clock,
        identity,
        requestTimeoutMs: via.requestTimeoutMs,
        watchBackoff: { initial: 100, max: 1_000 },
      });
    };
    /** The object exactly as the server stores it (no client-side parsing). */
    const raw = async (key: LeaseKey): Promise<RawLease> => {
      const response = await fetch(`${server.url}/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${managedLeaseObjectName(key)}`);
      expect(response.status).toBe(200);
      return (await response.json()) as RawLease;
    };
    const proxy = async (): Promise<FaultProxy> => {
      const started = await startFaultProxy(server.url);
      cleanups.push(() => started.close());
      return started;
    };
    const count = (verb: string, code?: number) => requests.filter((r) => r.verb === verb && (code === undefined || r.code === code)).length;
    return { server, clock, store, raw, proxy, requests, count };
  }

  it('refuses a namespace no API server would take when built, and keeps time on the real clock unless given one', async () => {
    const { server } = await world();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeConfigFor(server.url));
    for (const namespace of ['', 'Bad NS', 'x'.repeat(64)]) {
      expect(() => new KubernetesManagedLeaseStore(kubeConfig, { namespace }), JSON.stringify(namespace)).toThrow(ConfigError);
    }
    expect(() => new KubernetesManagedLeaseStore(kubeConfig, { namespace: 'Bad NS' })).toThrow(/"Bad NS", is not a namespace name: a lowercase RFC 1123 label/);
    const store = new KubernetesManagedLeaseStore(kubeConfig, { namespace: NAMESPACE });
    const before = Date.now();
    const claimed = await store.claim(keyOf('mysql'), 'mysql/0', 60_000);
    expect(claimed).toMatchObject({ outcome: 'claimed', lease: { holder: 'mysql/0' } });
    expect((claimed as { lease: { expiry: number } }).lease.expiry).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('claims a free lease, extends it for its holder, and denies anyone else', async () => {
    const { server, clock, store, raw } = await world();
    const a = store('process-a');
    const key = keyOf('mysql');
    expect(a.describe()).toBe(`Leases labelled leasehold.io/managed-lease=true in namespace ${NAMESPACE} at ${server.url}`);

    expect(await a.claim(key, 'mysql/0', 1_500)).toEqual({
      outcome: 'claimed',
      lease: { key, holder: 'mysql/0', expiry: START + 1_500, pinnedBy: [] },
    });
    const claimed = await raw(key);
    expect(claimed.metadata.name).toBe(managedLeaseObjectName(key));
    expect(claimed.metadata.labels).toEqual({ 'leasehold.io/managed-lease': 'true' });
    expect(claimed.metadata.annotations).toEqual({
      'leasehold.io/lease-namespace': 'application-leadership',
      'leasehold.io/model': 'model-uuid',
      'leasehold.io/lease': 'mysql',
    });
    expect(claimed.spec).toEqual({
      holderIdentity: 'mysql/0',
      leaseDurationSeconds: 2, // 1.5 s rounded up: others never reckon a shorter lease
      acquireTime: '2026-01-01T00:00:00.123456Z',
      renewTime: '2026-01-01T00:00:00.123456Z',
      leaseTransitions: 0,
    });

    await clock.advance(1_000);
    expect(await a.claim(key, 'mysql/0', 3_000)).toEqual({
      outcome: 'extended',
      lease: { key, holder: 'mysql/0', expiry: START + 4_000, pinnedBy: [] },
    });
    const extended = await raw(key);
    expect(extended.spec).toEqual({ ...claimed.spec, leaseDurationSeconds: 3, renewTime: '2026-01-01T00:00:01.123456Z' });
    expect(Number(extended.metadata.resourceVersion)).toBeGreaterThan(Number(claimed.metadata.resourceVersion));

    // An extension never shortens: a shorter request keeps the expiry, and the written duration covers it.
    await clock.advance(1_000);
    expect(await a.claim(key, 'mysql/0', 500)).toMatchObject({ outcome: 'extended', lease: { expiry: START + 4_000 } });
    const kept = await raw(key);
    expect(kept.spec).toMatchObject({ leaseDurationSeconds: 2, renewTime: '2026-01-01T00:00:02.123456Z' });

    expect(await store('process-b').claim(key, 'mysql/1', 1_500)).toEqual({ outcome: 'denied', holder: 'mysql/0' });
    expect(await a.claim(key, 'mysql/1', 1_500)).toEqual({ outcome: 'denied', holder: 'mysql/0' });
    expect((await raw(key)).metadata.resourceVersion).toBe(kept.metadata.resourceVersion); // a denial writes nothing
    await expect(a.claim(key, '', 1_000)).rejects.toBeInstanceOf(LeaseInvalidError); // "" is how a gone lease reads
  });

  it('counts a transition whenever the holder changes, and lets a lapsed lease go only on the claimant’s own reckoning', async () => {
    const { clock, store, raw } = await world();
    const [a, b] = [store('process-a'), store('process-b')];
    const key = keyOf('wordpress');

    await a.claim(key, 'wordpress/0', 1_000);
    expect(await a.revoke(key, 'wordpress/0')).toBe('revoked');
    expect((await raw(key)).spec).toMatchObject({ holderIdentity: '', leaseTransitions: 0 });
    expect((await b.claim(key, 'wordpress/1', 1_000)).outcome).toBe('claimed');
    expect((await raw(key)).spec).toMatchObject({ holderIdentity: 'wordpress/1', leaseTransitions: 1 });
    expect((await b.claim(key, 'wordpress/1', 1_000)).outcome).toBe('extended');
    expect((await raw(key)).spec).toMatchObject({ leaseTransitions: 1 });

    // a first sees b's latest write now: it lapses for a one duration later, not earlier.
    await clock.advance(5_000);
    expect(await a.claim(key, 'wordpress/0', 1_000)).toEqual({ outcome: 'denied', holder: 'wordpress/1' });
    await clock.advance(1_000);
    expect((await a.claim(key, 'wordpress/0', 1_000)).outcome).toBe('claimed');
    expect((await raw(key)).spec).toMatchObject({ holderIdentity: 'wordpress/0', leaseTransitions: 2 });
  });

  it('lets exactly one of two processes win each concurrent claim; the loser learns the winner', async () => {
    const { store, raw, count } = await world();
    const [a, b] = [store('process-a'), store('process-b')];
    for (let i = 0; i < 30; i++) {
      const key = keyOf(`app-${i}`);
      for (let round = 0; round < 2; round++) {
        // Round 0 races two creates of a missing object; round 1 two updates of a revoked one.
        const [fromA, fromB] = await Promise.all([a.claim(key, 'unit-a', 60_000), b.claim(key, 'unit-b', 60_000)]);
        const winner = fromA.outcome === 'claimed' ? 'unit-a' : 'unit-b';
        const [won, lost] = winner === 'unit-a' ? [fromA, fromB] : [fromB, fromA];
        expect(won.outcome).toBe('claimed');
        expect(lost).toEqual({ outcome: 'denied', holder: winner });
        expect((await raw(key)).spec).toMatchObject({ holderIdentity: winner, leaseTransitions: round });
        expect(await (winner === 'unit-a' ? a : b).revoke(key, winner)).toBe('revoked');
        // The loser reads the revoked object too (a revoke it is refused), so in round 1 both
        // processes start from the same resourceVersion and race two updates.
        expect(await (winner === 'unit-a' ? b : a).revoke(key, 'nobody')).toBe('notHeld');
      }
    }
    expect(count('create', 409), 'AlreadyExists races were run').toBeGreaterThan(0);
    expect(count('update', 409), 'Conflict races were run').toBeGreaterThan(0);
  });

  it('extends from the object it last wrote without reading it again; a stale copy costs a 409 and a fresh read', async () => {
    const { clock, store, count } = await world();
    const [a, b] = [store('process-a'), store('process-b')];
    const key = keyOf('cached');
    await a.claim(key, 'unit-a', 1_000);
    const gets = count('get');
    expect((await a.claim(key, 'unit-a', 1_000)).outcome).toBe('extended');
    expect(count('get')).toBe(gets); // one PUT, no GET

    expect((await b.claim(key, 'unit-b', 60_000)).outcome).toBe('denied'); // b sees a's lease now
    await clock.advance(2_000);
    expect((await b.claim(key, 'unit-b', 60_000)).outcome).toBe('claimed'); // lapsed on b's clock
    // a's copy still says a holds the lease: its extend is refused (409), it reads afresh, and is denied.
    const [conflicts, getsBefore] = [count('update', 409), count('get')];
    expect(await a.claim(key, 'unit-a', 1_000)).toEqual({ outcome: 'denied', holder: 'unit-b' });
    expect(count('update', 409)).toBe(conflicts + 1);
    expect(count('get')).toBe(getsBefore + 1);
  });

  it('writes from a copy without managedFields, and the field ownership others recorded stays', async () => {
    const { server, store, raw } = await world();
    const a = store('process-a');
    const key = keyOf('owned');
    await a.claim(key, 'unit-a', 60_000);
    // Another client adds a label under its own field manager.
    const labelled = await raw(key);
    const url = `${server.url}/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${labelled.metadata.name}?fieldManager=labeller`;
    const body = JSON.stringify({ ...labelled, metadata: { ...labelled.metadata, labels: { ...labelled.metadata.labels, team: 'db' } } });
    expect((await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/json' } })).status).toBe(200);

    expect((await a.claim(key, 'unit-a', 60_000)).outcome).toBe('extended'); // a 409 on its copy, a fresh read, a write
    const extended = (await raw(key)) as RawLease & { metadata: { managedFields?: { manager: string }[] } };
    expect(extended.metadata.labels).toEqual({ 'leasehold.io/managed-lease': 'true', team: 'db' });
    expect(extended.metadata.managedFields?.map((entry) => entry.manager)).toContain('labeller');
  });

  it('creates without reading first while its feed is up; an object the feed has not shown yet costs an AlreadyExists and a fresh read', async () => {
    const { store, proxy, count } = await world();
    const through = await proxy();
    through.faults = (request) => (request.url?.includes('watch=true') ? 'hold' : undefined); // listed, then no news
    const a = store('process-a', { url: through.url });
    const feed = collect(a.changes());
    await feed.until(() => feed.batches.length === 1);

    const gets = count('get');
    expect((await a.claim(keyOf('fresh'), 'unit-a', 60_000)).outcome).toBe('claimed');
    expect(count('get')).toBe(gets); // one POST, no GET
    expect(count('create', 201)).toBe(1);

    expect((await store('process-b').claim(keyOf('raced'), 'unit-b', 60_000)).outcome).toBe('claimed'); // b has no feed: GET, then POST
    expect(count('get')).toBe(gets + 1);
    expect(await a.claim(keyOf('raced'), 'unit-a', 60_000)).toEqual({ outcome: 'denied', holder: 'unit-b' });
    expect(count('create', 409)).toBe(1);
    expect(count('get')).toBe(gets + 2);
    feed.stop();
  });

  it('revokes only for the holder and never while pinned; pins are per entity and idempotent; unpinning restores', async () => {
    const { store, raw } = await world();
    const [a, b] = [store('process-a'), store('process-b')];
    const key = keyOf('postgresql');
    const pinned = async () => (await raw(key)).metadata.annotations?.['leasehold.io/pinned-by'];

    expect(await a.revoke(key, 'postgresql/0')).toBe('notHeld');
    expect(await a.pin(key, 'machine-0')).toEqual({ outcome: 'notHeld' });
    expect((await a.claim(key, 'postgresql/0', 10_000)).outcome).toBe('claimed');
    expect(await b.revoke(key, 'postgresql/1')).toBe('notHeld');

    expect(await a.pin(key, 'machine-0')).toEqual({ outcome: 'done', lease: { key, holder: 'postgresql/0', expiry: START + 10_000, pinnedBy: ['machine-0'] } });
    const once = await raw(key);
    expect(await a.pin(key, 'machine-0')).toMatchObject({ outcome: 'done', lease: { pinnedBy: ['machine-0'] } });
    expect((await raw(key)).metadata.resourceVersion).toBe(once.metadata.resourceVersion); // no write
    expect(await b.pin(key, 'machine-1')).toMatchObject({ outcome: 'done', lease: { pinnedBy: ['machine-0', 'machine-1'] } });
    expect(await pinned()).toBe('["machine-0","machine-1"]');

    expect(await a.revoke(key, 'postgresql/0')).toBe('pinned');
    expect((await raw(key)).spec.holderIdentity).toBe('postgresql/0');

    expect(await a.unpin(key, 'machine-0')).toMatchObject({ outcome: 'done', lease: { pinnedBy: ['machine-1'] } });
    expect(await a.unpin(key, 'machine-0')).toMatchObject({ outcome: 'done', lease: { pinnedBy: ['machine-1'] } });
    expect(await b.unpin(key, 'machine-1')).toMatchObject({ outcome: 'done', lease: { pinnedBy: [] } });
    expect(await pinned()).toBeUndefined();
    expect((await raw(key)).spec).toMatchObject({ holderIdentity: 'postgresql/0', leaseTransitions: 0 });

    expect(await a.revoke(key, 'postgresql/0')).toBe('revoked');
    expect((await raw(key)).spec).toMatchObject({ holderIdentity: '', leaseTransitions: 0 });
    expect(await a.unpin(key, 'machine-1')).toEqual({ outcome: 'notHeld' });
  });

  it('expires a lease only a duration after the observer first saw it, on the observer’s clock; never while pinned', async () => {
    const { store, raw } = await world();
    const holderClock = new VirtualClock(START);
    // An hour ahead of the holder: comparing its renewTime with this clock would expire it at once.
    const observerClock = new VirtualClock(START + 3_600_000);
    const holder = store('holder', { clock: holderClock });
    const observer = store('observer', { clock: observerClock });

    const key = keyOf('redis');
    await holder.claim(key, 'redis/0', 1_500); // written as 2 s
    expect(await observer.expire(key)).toBe('notExpired'); // first sighting starts the observer's clock
    await observerClock.advance(1_999);
    expect(await observer.expire(key)).toBe('notExpired');
    await observerClock.advance(1);
    expect(await observer.expire(key)).toBe('expired');
    expect((await raw(key)).spec).toMatchObject({ holderIdentity: '', leaseTransitions: 0 });
    expect(await observer.expire(key)).toBe('gone');
    expect(await observer.expire(keyOf('never-claimed'))).toBe('gone');

    // The writer reckons its own write from when it sent it, with the duration it asked for.
    const own = keyOf('memcached');
    await holder.claim(own, 'memcached/0', 1_500);
    await holderClock.advance(1_499);
    expect(await holder.expire(own)).toBe('notExpired');
    await holderClock.advance(1);
    expect(await holder.expire(own)).toBe('expired');

    // Pinned: lapsed long ago, yet neither expired nor free to claim until unpinned.
    const pinned = keyOf('kafka');
    await holder.claim(pinned, 'kafka/0', 1_000);
    await holder.pin(pinned, 'machine-0');
    await holderClock.advance(60_000);
    expect(await holder.expire(pinned)).toBe('pinned');
    expect(await holder.claim(pinned, 'kafka/1', 1_000)).toEqual({ outcome: 'denied', holder: 'kafka/0' });
    expect((await raw(pinned)).spec.holderIdentity).toBe('kafka/0');
    await holder.unpin(pinned, 'machine-0');
    expect(await holder.expire(pinned)).toBe('expired');
  });

  it('gives every key a valid, distinct object name and keeps the key readable in annotations', async () => {
    const { store, raw } = await world();
    const a = store('process-a');
    const keys: LeaseKey[] = [
      { namespace: 'a/b', model: 'c', lease: 'd' },
      { namespace: 'a', model: 'b/c', lease: 'd' },
      { namespace: 'UPPER', model: 'Case', lease: 'Lease.Name' },
      { namespace: 'ünïcödé', model: '模型', lease: '🔒 lock' },
      { namespace: 'n'.repeat(300), model: 'm'.repeat(300), lease: 'l'.repeat(300) },
      { namespace: '', model: '', lease: '' },
    ];
    for (const key of keys) {
      const name = managedLeaseObjectName(key);
      expect(name).toMatch(SUBDOMAIN);
      expect(name.length).toBeLessThanOrEqual(253);
      expect((await a.claim(key, 'unit/0', 60_000)).outcome).toBe('claimed'); // the server validates the name
      expect((await raw(key)).metadata.annotations).toMatchObject({
        'leasehold.io/lease-namespace': key.namespace,
        'leasehold.io/model': key.model,
        'leasehold.io/lease': key.lease,
      });
    }
    expect(new Set(keys.map(managedLeaseObjectName)).size).toBe(keys.length);

    const feed = collect(store('process-b').changes());
    await feed.until(() => feed.batches.length === 1);
    feed.stop();
    const keyStrings = (list: LeaseKey[]) => list.map((key) => JSON.stringify(key)).sort();
    expect(keyStrings(feed.batches[0]!.map((change) => change.key))).toEqual(keyStrings(keys));
  });
  it('feeds every live lease on subscribe, then each change another process makes, its own included', async () => {
    const { clock, store } = await world();
    const [writer, reader] = [store('writer'), store('reader')];
    const [k1, k2, k3, k4] = [keyOf('one'), keyOf('two'), keyOf('three'), keyOf('four')];
    await writer.claim(k1, 'one/0', 60_000);
    await writer.claim(k2, 'two/0', 60_000);
    await writer.revoke(k2, 'two/0'); // gone: not in the first batch

    const feed = collect(reader.changes());
    const next = async (write: () => Promise<unknown>) => {
      const seen = feed.batches.length;
      await write();
      await feed.until(() => feed.batches.length > seen);
    };
    await feed.until(() => feed.batches.length === 1);
    await next(() => writer.claim(k3, 'three/0', 60_000));
    await next(() => writer.pin(k1, 'machine-0'));
    await next(() => writer.revoke(k3, 'three/0'));
    await next(() => reader.claim(k4, 'four/0', 5_000));
    feed.stop();

    // The reader's clock never moved: every lease it saw lapses a duration after START.
    const live = (key: LeaseKey, holder: string, durationMs: number, pinnedBy: string[] = []) => ({
      key,
      lease: { key, holder, expiry: clock.now() + durationMs, pinnedBy },
    });
    expect(feed.batches).toEqual([
      [live(k1, 'one/0', 60_000)],
      [live(k3, 'three/0', 60_000)],
      [live(k1, 'one/0', 60_000, ['machine-0'])],
      [{ key: k3, lease: null }],
      [live(k4, 'four/0', 5_000)],
    ]);
    expect(feed.state.error).toBeUndefined();
  });

  it('re-lists after the watch history is exceeded and emits only the difference', async () => {
    const { clock, store, proxy, count } = await world({ historyLimit: 4 });
    const through = await proxy();
    const writer = store('writer');
    const reader = store('reader', { url: through.url });
    const [k1, k2, k3, k4, k5] = ['one', 'two', 'three', 'four', 'five'].map((lease) => keyOf(lease));
    await writer.claim(k1!, 'one/0', 60_000);
    await writer.claim(k2!, 'two/0', 60_000);

    const feed = collect(reader.changes());
    await feed.until(() => feed.batches.length === 1);
    await writer.claim(k3!, 'three/0', 60_000);
    await feed.until(() => feed.batches.length === 2); // the watch is up

    // The network drops; while the reader cannot reconnect, six writes push its resourceVersion out of the history.
    through.faults = () => ({ status: 503, body: status(503, 'ServiceUnavailable', 'partitioned') });
    through.cut();
    await writer.revoke(k1!, 'one/0');
    await writer.revoke(k2!, 'two/0');
    await writer.claim(k2!, 'two/1', 60_000);
    await writer.claim(k4!, 'four/0', 60_000);
    await writer.claim(k5!, 'five/0', 60_000);
    await writer.revoke(k5!, 'five/0');
    expect(feed.batches).toHaveLength(2);

    through.faults = undefined;
    const lists = count('list');
    await clock.advance(1_000); // the back-off: the watch resumes, gets 410 Expired, and re-lists
    await feed.until(() => feed.batches.length === 3);
    expect(count('list')).toBe(lists + 1);

    const byLease = (changes: ManagedLeaseChange[]) => [...changes].sort((a, b) => a.key.lease.localeCompare(b.key.lease));
    const expiry = clock.now() + 60_000; // first seen at the re-list
    expect(byLease(feed.batches[2]!)).toEqual([
      { key: k4, lease: { key: k4, holder: 'four/0', expiry, pinnedBy: [] } },
      { key: k1, lease: null },
      { key: k2, lease: { key: k2, holder: 'two/1', expiry, pinnedBy: [] } },
    ]); // three is unchanged and five came and went: neither is reported

    await writer.claim(k5!, 'five/1', 60_000);
    await feed.until(() => feed.batches.length === 4); // watching again after the re-list
    expect(feed.batches[3]).toEqual([{ key: k5, lease: { key: k5, holder: 'five/1', expiry, pinnedBy: [] } }]);
    feed.stop();
    await through.whenIdle(); // unsubscribing aborted the watch (this would hang otherwise)
    expect(feed.state.error).toBeUndefined();
  });

  it('errors the feed with a typed error when the watch is forbidden', async () => {
    const { store, proxy } = await world();
    const through = await proxy();
    through.faults = (request) =>
      request.url?.includes('watch=true') ? { status: 403, body: status(403, 'Forbidden', 'leases.coordination.k8s.io is forbidden') } : undefined;
    const feed = collect(store('reader', { url: through.url }).changes());
    await feed.until(() => feed.state.error !== undefined);
    expect(feed.batches).toEqual([[]]);
    expect(feed.state.error).toBeInstanceOf(LeaseForbiddenError);
    expect(String(feed.state.error)).toContain('grant the verb "watch" on leases.coordination.k8s.io in namespace juju-leases');
  });

  it('gives up a watch that does not connect within the request timeout and opens another', async () => {
    const { clock, store, proxy } = await world();
    const through = await proxy();
    through.faults = (request) => (request.url?.includes('watch=true') ? 'hold' : undefined);
    const feed = collect(store('reader', { url: through.url, requestTimeoutMs: 2_000 }).changes());
    await feed.until(() => feed.batches.length === 1); // the list answered
    await through.whenHeld(1);
    await clock.advance(1_999);
    await clock.advance(1); // given up: the back-off (100 ms in these tests) runs, then a new attempt
    through.faults = undefined;
    await clock.advance(100);
    await store('writer').claim(keyOf('after-hang'), 'unit/0', 60_000);
    await feed.until(() => feed.batches.some((batch) => batch.some((change) => change.key.lease === 'after-hang')));
    expect(feed.state.error).toBeUndefined();
    feed.stop();
    through.cut();
  });

  it('reports contention that outlasts five attempts as Unavailable, after reading afresh each time', async () => {
    const { store, proxy, count } = await world();
    const through = await proxy();
    const key = keyOf('contended');
    await store('writer').claim(key, 'unit/0', 60_000);
    await store('writer').revoke(key, 'unit/0');
    through.faults = (request) =>
      request.method === 'PUT' ? { status: 409, body: status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again') } : undefined;
    const gets = count('get');
    const outcome = await store('loser', { url: through.url })
      .claim(key, 'unit/1', 60_000)
      .catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(LeaseUnavailableError);
    expect(String(outcome)).toContain('other writers changed the lease 5 times');
    expect(count('get') - gets).toBe(5);
  });

  it('gives up on a call that gets no answer after the request timeout (at least 1 s) on its clock', async () => {
    const { clock, store, proxy } = await world();
    const through = await proxy();
    through.faults = () => 'hold';
    let settled = false;
    const outcome = store('impatient', { url: through.url, requestTimeoutMs: 10 })
      .claim(keyOf('hung'), 'unit/0', 60_000)
      .catch((error: unknown) => error)
      .finally(() => (settled = true));
    await through.whenHeld(1);
    await clock.advance(999);
    expect(settled).toBe(false);
    await clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(LeaseUnavailableError);
    expect(String(error)).toContain('get: no answer within 1000 ms');
  });

  it('sends only the verbs deploy/rbac.yaml grants', async () => {
    const { store, requests } = await world();
    const [a, b] = [store('process-a'), store('process-b')];
    const key = keyOf('rbac');
    const feed = collect(a.changes());
    await feed.until(() => feed.batches.length === 1);
    await Promise.all([a.claim(key, 'unit/0', 1_000), b.claim(key, 'unit/1', 1_000)]);
    await a.claim(key, 'unit/0', 1_000);
    await a.pin(key, 'machine-0');
    await a.unpin(key, 'machine-0');
    await a.revoke(key, 'unit/0');
    await b.expire(key);
    await feed.until(() => feed.batches.some((batch) => batch.some((change) => change.lease === null)));
    feed.stop();

    const documents = loadAllYaml(readFileSync(join(import.meta.dirname, '../../deploy/rbac.yaml'), 'utf8')) as {
      kind: string;
      rules: { resources: string[]; verbs: string[] }[];
    }[];
    const granted = documents.find((d) => d.kind === 'Role')!.rules.filter((r) => r.resources.includes('leases')).flatMap((r) => r.verbs);
    const sent = [...new Set(requests.map((r) => r.verb))].sort();
    expect(sent).toEqual(['create', 'get', 'list', 'update', 'watch']);
    expect(sent.filter((verb) => !granted.includes(verb))).toEqual([]);
  });
});
