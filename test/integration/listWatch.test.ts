/**
 * The list-then-watch loop both Kubernetes adapters use, against the embedded server with the real
 * @kubernetes/client-node, a fault proxy in between and its waits on a VirtualClock: what it lists
 * and when, what it resumes, what it reports down, and how long it waits.
 */
import { CoordinationV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseForbiddenError, LeaseUnavailableError } from '../../src/lease/errors.js';
import { type ListWatchEvent, type ListWatchSource, leaseListWatch, listThenWatch } from '../../src/kubernetes/listWatch.js';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.js';

const NAMESPACE = 'default';
const errorContext = { lease: 'leases in default', identity: 'watcher', namespace: NAMESPACE };
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
const lease = (name: string, holder: string) => ({ metadata: { name }, spec: { holderIdentity: holder, leaseDurationSeconds: 15 } });

/** Subscribes and records every event; `until` waits (on the events themselves, never on time) for a condition. */
function record(events$: ReturnType<typeof listThenWatch>) {
  const events: ListWatchEvent[] = [];
  const waiters = new Set<() => void>();
  const subscription = events$.subscribe((event) => {
    events.push(event);
    for (const wake of waiters) wake();
    waiters.clear();
  });
  const until = async (condition: (events: ListWatchEvent[]) => boolean) => {
    while (!condition(events)) await new Promise<void>((resolve) => waiters.add(resolve));
  };
  const summary = () =>
    events.map((e) =>
      e.type === 'listed'
        ? `listed ${e.objects.map((o) => `${o.metadata?.name}=${o.spec?.holderIdentity}`).join(',')}`
        : e.type === 'changed'
          ? `${e.change} ${e.object.metadata?.name}=${e.object.spec?.holderIdentity ?? ''}`
          : `down ${e.error.name}`,
    );
  return { events, until, summary, stop: () => subscription.unsubscribe() };
}

describe('listThenWatch over HTTP', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function world(options: { historyLimit?: number } = {}) {
    const requests: string[] = [];
    const server: LeaseApiServer = await startLeaseApiServer({
      ...options,
      onRequest: (verb, code, request) => requests.push(`${verb} ${code} ${request.url}`),
    });
    cleanups.push(() => server.close());
    const proxy: FaultProxy = await startFaultProxy(server.url);
    cleanups.push(() => proxy.close());
    const clock = new VirtualClock();
    const client = (url: string) => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kubeConfigFor(url));
      return { api: kubeConfig.makeApiClient(CoordinationV1Api), watch: new Watch(kubeConfig) };
    };
    const writer = client(server.url).api;
    const write = async (name: string, holder: string) => {
      const existing = await writer.readNamespacedLease({ name, namespace: NAMESPACE }).catch(() => undefined);
      if (!existing) return writer.createNamespacedLease({ namespace: NAMESPACE, body: lease(name, holder) });
      return writer.replaceNamespacedLease({ name, namespace: NAMESPACE, body: { ...existing, spec: { ...existing.spec, holderIdentity: holder } } });
    };
    const remove = (name: string) => writer.deleteNamespacedLease({ name, namespace: NAMESPACE });
    const watch = (connectTimeout = 5_000) => {
      const recorder = record(
        leaseListWatch(client(proxy.url), NAMESPACE, { fieldSelector: `metadata.namespace=${NAMESPACE}` }, { clock, errorContext, backoff: { initial: 100, max: 1_000 }, connectTimeout }),
      );
      cleanups.push(() => recorder.stop());
      return recorder;
    };
    const count = (verb: string) => requests.filter((r) => r.startsWith(`${verb} `)).length;
    const watchesFrom = () => requests.filter((r) => r.startsWith('watch ')).map((r) => new URL(r.split(' ')[2]!, server.url).searchParams.get('resourceVersion'));
    return { server, proxy, clock, write, remove, watch, requests, count, watchesFrom };
  }

  it('lists, then watches from the list’s resourceVersion: every change once, in order', async () => {
    const { write, remove, watch, watchesFrom } = await world();
    const first = await write('a', 'one');
    const watcher = watch();
    await watcher.until((events) => events.length === 1);
    await write('b', 'two');
    await write('a', 'three');
    await remove('b');
    await watcher.until((events) => events.length === 4);
    expect(watcher.summary()).toEqual(['listed a=one', 'ADDED b=two', 'MODIFIED a=three', 'DELETED b=two']);
    expect(watchesFrom()).toEqual([first.metadata!.resourceVersion]);
  });

  it('resumes a stream the server ended from the last resourceVersion: no list, nothing reported down', async () => {
    const { proxy, write, watch, count, watchesFrom } = await world();
    await write('a', 'one');
    const watcher = watch();
    await watcher.until((events) => events.length === 1);
    const last = await write('a', 'two');
    await watcher.until((events) => events.length === 2);
    proxy.endStreams(); // as a server does at the watch's timeoutSeconds
    await proxy.whenSeen(3); // list, watch, the resumed watch
    await write('a', 'three');
    await watcher.until((events) => events.length === 3);
    expect(watcher.summary()).toEqual(['listed a=one', 'MODIFIED a=two', 'MODIFIED a=three']);
    expect(count('list')).toBe(1);
    expect(watchesFrom().at(-1)).toBe(last.metadata!.resourceVersion);
  });

  it('lists again at once after 410 Expired, and emits nothing down', async () => {
    const { proxy, write, watch, count } = await world({ historyLimit: 2 });
    await write('a', 'one');
    const watcher = watch();
    await watcher.until((events) => events.length === 1);
    // The stream ends while the server moves on: the resume asks for a resourceVersion it no longer has.
    proxy.faults = (request) => (request.url?.includes('watch=true') ? 'hold' : undefined);
    proxy.endStreams();
    await proxy.whenHeld(1);
    for (const holder of ['two', 'three', 'four']) await write('a', holder);
    proxy.faults = undefined;
    proxy.release();
    await watcher.until((events) => events.length === 2);
    expect(watcher.summary()).toEqual(['listed a=one', 'listed a=four']);
    expect(count('list')).toBe(2);
  });

  it('reports any other ERROR event down, waits the back-off on its clock, then lists afresh', async () => {
    const { proxy, clock, write, watch, count } = await world();
    await write('a', 'one');
    proxy.faults = (request) =>
      request.url?.includes('watch=true') ? { status: 200, body: { type: 'ERROR', object: status(500, 'InternalError', 'etcd is unhappy') } } : undefined;
    const watcher = watch();
    await watcher.until((events) => events.length === 2);
    const down = watcher.events[1]!;
    expect(down.type === 'down' && down.error).toBeInstanceOf(LeaseUnavailableError);
    expect(down.type === 'down' && down.error.message).toContain('etcd is unhappy');
    proxy.faults = undefined;
    await write('a', 'two');
    await clock.advance(99);
    expect(count('list')).toBe(1);
    await clock.advance(1);
    await watcher.until((events) => events.length === 3);
    expect(watcher.summary()).toEqual(['listed a=one', 'down LeaseUnavailableError', 'listed a=two']);
  });

  it('backs off 100 ms doubling to 1 s while the server refuses, and starts again from 100 ms once it answers', async () => {
    const { proxy, clock, write, watch } = await world();
    await write('a', 'one');
    proxy.faults = () => ({ status: 503, body: status(503, 'ServiceUnavailable', 'starting') });
    const watcher = watch();
    const downs = () => watcher.events.filter((e) => e.type === 'down').length;
    /** After the `n`th failure has been reported: the next attempt comes `ms` later, not earlier. */
    const nextAttemptAfter = async (n: number, ms: number) => {
      await watcher.until(() => downs() === n);
      const before = proxy.seen.length;
      await clock.advance(ms - 1);
      expect(proxy.seen.length, `no attempt before ${ms} ms`).toBe(before);
      await clock.advance(1);
      await proxy.whenSeen(before + 1);
    };
    const delays = [100, 200, 400, 800, 1_000, 1_000];
    for (const [index, delay] of delays.entries()) await nextAttemptAfter(index + 1, delay);
    await watcher.until(() => downs() === delays.length + 1);
    proxy.faults = undefined;
    await clock.advance(1_000);
    await watcher.until((events) => events.at(-1)?.type === 'listed');
    // Healthy again: the next failure waits the initial delay.
    proxy.faults = () => ({ status: 503, body: status(503, 'ServiceUnavailable', 'again') });
    proxy.cut();
    await nextAttemptAfter(delays.length + 2, 100);
    expect(watcher.events.filter((e) => e.type === 'down').every((e) => e.type === 'down' && e.error instanceof LeaseUnavailableError)).toBe(true);
  });

  it('gives up an attempt whose list is not answered within the connect timeout, and aborts the list', async () => {
    const { proxy, clock, write, watch } = await world();
    await write('a', 'one');
    proxy.faults = () => 'hold';
    const watcher = watch(2_000);
    await proxy.whenHeld(1);
    await clock.advance(1_999);
    expect(watcher.events).toEqual([]);
    await clock.advance(1);
    await watcher.until((events) => events.length === 1);
    const down = watcher.events[0]!;
    expect(down.type === 'down' && down.error.message).toMatch(/^list: no answer within 2000 ms/);
    await proxy.whenHeldAbandoned(1); // the client closed the held list
    proxy.faults = undefined;
    await clock.advance(100);
    await watcher.until((events) => events.length === 2);
    expect(watcher.summary()).toEqual(['down LeaseUnavailableError', 'listed a=one']);
  });

  it('gives up a watch that has not opened within the connect timeout, list included', async () => {
    const { proxy, clock, write, watch } = await world();
    await write('a', 'one');
    proxy.faults = (request) => (request.url?.includes('watch=true') ? 'hold' : undefined);
    const watcher = watch(2_000);
    await proxy.whenHeld(1);
    await clock.advance(2_000);
    await watcher.until((events) => events.length === 2);
    const down = watcher.events[1]!;
    expect(down.type === 'down' && down.error.message).toMatch(/^watch: no answer within 2000 ms/);
    // client-node gives no handle on a watch before it answers: when the given-up one does, it is closed at once.
    proxy.faults = undefined;
    proxy.release();
    await proxy.whenIdle();
    await clock.advance(100);
    await watcher.until((events) => events.length === 3);
    expect(watcher.summary()).toEqual(['listed a=one', 'down LeaseUnavailableError', 'listed a=one']);
  });

  it('reports a refused watch down with its typed error', async () => {
    const { proxy, write, watch } = await world();
    await write('a', 'one');
    proxy.faults = (request) =>
      request.url?.includes('watch=true') ? { status: 403, body: status(403, 'Forbidden', 'leases is forbidden') } : undefined;
    const watcher = watch();
    await watcher.until((events) => events.length === 2);
    const down = watcher.events[1]!;
    expect(down.type === 'down' && down.error).toBeInstanceOf(LeaseForbiddenError);
    expect(down.type === 'down' && down.error.message).toContain('grant the verb "watch" on leases.coordination.k8s.io in namespace default');
  });

  it('stops listing and watching when unsubscribed', async () => {
    const { proxy, write, watch } = await world();
    await write('a', 'one');
    const watcher = watch();
    await watcher.until((events) => events.length === 1);
    await proxy.whenSeen(2);
    watcher.stop();
    await proxy.whenIdle(); // the open watch was aborted
    await write('a', 'two');
    expect(watcher.summary()).toEqual(['listed a=one']);
  });
});

describe('listThenWatch and the way client-node ends a watch', () => {
  /**
   * A source that lists one empty page, and whose watches end as the test says: `open` resolves
   * (ended later through `done`), `timeoutBeforeOpen` ends with client-node's TimeoutError before
   * resolving, as its Watch does when no response arrives within its 30 s.
   */
  function scripted(script: ('open' | 'timeoutBeforeOpen')[]) {
    const watches: { resourceVersion: string; done: (error: unknown) => void }[] = [];
    let lists = 0;
    const source: ListWatchSource = {
      list: async () => {
        lists++;
        return { items: [], metadata: { resourceVersion: '7' } };
      },
      watch: async (resourceVersion, _onEvent, onDone) => {
        watches.push({ resourceVersion, done: onDone });
        if (script.shift() === 'timeoutBeforeOpen') onDone(timeoutError());
        return new AbortController();
      },
    };
    return { source, watches, lists: () => lists };
  }
  const timeoutError = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');

  it('resumes at once a watch client-node ended after 30 s without data (TimeoutError once open)', async () => {
    const clock = new VirtualClock();
    const { source, watches, lists } = scripted(['open', 'open']);
    const watcher = record(listThenWatch(source, { clock, errorContext }));
    await clock.advance(0);
    expect(watches).toHaveLength(1);
    clock.stall(30_000);
    watches[0]!.done(timeoutError());
    await clock.advance(0);
    expect(watches.map((w) => w.resourceVersion)).toEqual(['7', '7']);
    expect(lists()).toBe(1);
    expect(watcher.summary()).toEqual(['listed ']);
    watcher.stop();
  });

  it('reports down a watch client-node timed out before it opened, and one the server ended at once with nothing in it', async () => {
    const clock = new VirtualClock();
    const { source, watches, lists } = scripted(['timeoutBeforeOpen', 'open']);
    const watcher = record(listThenWatch(source, { clock, errorContext, backoff: { initial: 100, max: 100 } }));
    await clock.advance(0);
    expect(watcher.summary()).toEqual(['listed ', 'down LeaseUnavailableError']);
    await clock.advance(100);
    expect(lists()).toBe(2);
    watches[1]!.done(null); // a 200 that ended at once, nothing delivered: not resumed in a tight loop
    await clock.advance(0);
    expect(watcher.summary()).toEqual(['listed ', 'down LeaseUnavailableError', 'listed ', 'down LeaseUnavailableError']);
    expect(watches).toHaveLength(2);
    watcher.stop();
  });
});
