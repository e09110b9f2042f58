/** KubernetesLeaseLock against the embedded server: typed errors, and a watch that survives outages. */
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  LeaseAlreadyExistsError,
  LeaseConflictError,
  LeaseForbiddenError,
  LeaseInvalidError,
  LeaseNotFoundError,
  LeaseUnavailableError,
} from '../../src/lease/errors.js';
import type { LeaseRecord } from '../../src/lease/record.js';
import { toLeaseError } from '../../src/kubernetes/errors.js';
import { KubernetesLeaseLock } from '../../src/kubernetes/leaseLock.js';
import type { LeaseWatchEvent } from '../../src/ports/leaseLock.js';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { startFaultProxy } from '../support/faultProxy.js';
import { startServerRecorder } from '../support/serverRecorder.js';

const record = (holder: string): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: Date.UTC(2026, 0, 1),
  renewTime: Date.UTC(2026, 0, 1, 0, 0, 0, 123) + 0.456,
  leaseTransitions: 0,
});

function lockOn(server: LeaseApiServer, name = 'x', identity = 'me') {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeConfig());
  return new KubernetesLeaseLock(kubeConfig, { namespace: 'default', name }, identity, { watchBackoff: { initial: 20, max: 100 } });
}

/** Collects watch events and resolves when `predicate` holds on them. */
function watchUntil(lock: KubernetesLeaseLock) {
  const events: LeaseWatchEvent[] = [];
  const waiters: (() => void)[] = [];
  const subscription = lock.watch().subscribe((event) => {
    events.push(event);
    for (const wake of waiters.splice(0)) wake();
  });
  /** Resolves once `predicate` holds; a hang guard fails it, with what came, after 10 s of real time. */
  const until = async (predicate: (events: LeaseWatchEvent[]) => boolean) => {
    const givenUp = Date.now() + 10_000;
    while (!predicate(events)) {
      const more = new Promise<boolean>((resolve) => waiters.push(() => resolve(true)));
      const guard = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), Math.max(0, givenUp - Date.now())).unref());
      if (!(await Promise.race([more, guard]))) {
        throw new Error(`watch events never got there; came: ${JSON.stringify(events.map((e) => (e.type === 'observed' ? e.lease?.record.holderIdentity ?? null : 'down')))}`);
      }
    }
  };
  return { events, until, stop: () => subscription.unsubscribe() };
}

describe('KubernetesLeaseLock', () => {
  const servers: LeaseApiServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });
  const serve = async (options = {}) => {
    const server = await startLeaseApiServer(options);
    servers.push(server);
    return server;
  };

  it('creates, reads and replaces conditionally, with MicroTime written at microsecond precision', async () => {
    const lock = lockOn(await serve());
    await expect(lock.get()).rejects.toBeInstanceOf(LeaseNotFoundError);
    const created = await lock.create(record('me'));
    expect(created.record).toEqual(record('me'));
    await expect(lock.create(record('me'))).rejects.toBeInstanceOf(LeaseAlreadyExistsError);
    const updated = await lock.update(record('you'), created.resourceVersion);
    expect(Number(updated.resourceVersion)).toBeGreaterThan(Number(created.resourceVersion));
    const stale = lock.update(record('them'), created.resourceVersion);
    await expect(stale).rejects.toBeInstanceOf(LeaseConflictError);
    await expect(stale).rejects.toThrow('the object has been modified');
    expect((await lock.get()).record.holderIdentity).toBe('you');
  });

  it('maps 422 with causes, 401 and 403 with hints, 5xx and network failures to typed errors', async () => {
    const context = { lease: 'default/x', identity: 'me', namespace: 'default' };
    const plain = await serve();
    const invalid = await lockOn(plain, 'x')
      .create({ ...record('me'), leaseDurationSeconds: 0 })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(LeaseInvalidError);
    expect((invalid as LeaseInvalidError).causes[0]).toMatch(/^spec\.leaseDurationSeconds: Invalid value: 0: must be greater than 0/);
    // A name no server would take is refused before anything is sent.
    expect(() => lockOn(plain, 'Bad_Name')).toThrow(ConfigError);
    expect(() => new KubernetesLeaseLock(new KubeConfig(), { namespace: '', name: 'x' }, 'me')).toThrow(/namespace "" is not a Kubernetes namespace name/);

    const locked = await serve({ token: 'right' });
    const wrongToken = new KubeConfig();
    wrongToken.loadFromString(locked.kubeConfig().replace('"right"', '"wrong"'));
    const unauthorized = await new KubernetesLeaseLock(wrongToken, { namespace: 'default', name: 'x' }, 'me').get().catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(LeaseForbiddenError);
    expect(String(unauthorized)).toContain('rejected the credentials');

    const forbidden = toLeaseError({ code: 403, body: '{"reason":"Forbidden","message":"leases is forbidden"}' }, 'update', context);
    expect(forbidden).toBeInstanceOf(LeaseForbiddenError);
    expect(forbidden.message).toContain('grant the verb "update" on leases.coordination.k8s.io in namespace default');
    // client-node's Watch reports a refused watch with `statusCode` instead of `code`.
    const refusedWatch = toLeaseError(Object.assign(new Error('Forbidden'), { statusCode: 403 }), 'watch', context);
    expect(refusedWatch).toBeInstanceOf(LeaseForbiddenError);
    expect(refusedWatch.message).toContain('grant the verb "watch"');
    expect(toLeaseError({ code: 503, body: 'overloaded' }, 'get', context)).toBeInstanceOf(LeaseUnavailableError);
    expect(toLeaseError({ code: 429, body: '' }, 'get', context)).toBeInstanceOf(LeaseUnavailableError);

    const closed = await serve();
    const gone = lockOn(closed);
    await closed.close();
    servers.splice(servers.indexOf(closed), 1);
    const unreachable = await gone.get().catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(LeaseUnavailableError);
    expect(String(unreachable)).toMatch(/get: the Kubernetes API is unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
    // A watch goes through fetch, which says only "fetch failed": the reason from its cause is kept.
    const failedFetch = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1234') });
    expect(toLeaseError(failedFetch, 'watch', context).message).toMatch(/^watch: the Kubernetes API is unreachable: fetch failed: connect ECONNREFUSED 127\.0\.0\.1:1234/);
  });

  it('watch: current state first, then changes; down when the API goes away, back with a re-list', async () => {
    // The API "goes away" and comes back as another server behind the same proxy (no port re-bound);
    // the back-off between attempts runs on a virtual clock.
    const first = await serve();
    const front = await startServerRecorder();
    front.target(first.port);
    const clock = new VirtualClock();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeConfigFor(front.url));
    const lock = new KubernetesLeaseLock(kubeConfig, { namespace: 'default', name: 'x' }, 'me', { clock, watchBackoff: { initial: 20, max: 100 } });
    const writer = lockOn(first, 'x', 'writer');
    const created = await writer.create(record('a'));
    const watcher = watchUntil(lock);
    const observed = (holder: string) => (events: LeaseWatchEvent[]) =>
      events.some((e) => e.type === 'observed' && e.lease?.record.holderIdentity === holder);
    await watcher.until(observed('a'));
    await writer.update(record('b'), created.resourceVersion);
    await watcher.until(observed('b'));

    front.target(undefined); // every connection cut; 503 until it points somewhere again
    await watcher.until((events) => events.some((e) => e.type === 'down'));
    const second = await serve();
    await lockOn(second, 'x', 'writer').create(record('c'));
    front.target(second.port);
    await clock.advance(100); // the back-off, on the lock's clock
    await watcher.until(observed('c')); // reconnected: re-listed the new server's state
    watcher.stop();
    await front.close();
    const kinds = watcher.events.map((e) => (e.type === 'observed' ? e.lease?.record.holderIdentity : 'down'));
    expect(kinds[0]).toBe('a');
    expect(kinds.indexOf('down')).toBeGreaterThan(kinds.indexOf('b'));
    expect(kinds.at(-1)).toBe('c');
  });

  it('watch: a connection that never answers is given up after the connect timeout and reported down', async () => {
    const server = await serve();
    await lockOn(server, 'x', 'writer').create(record('a'));
    const proxy = await startFaultProxy(server.url);
    const clock = new VirtualClock();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeConfigFor(proxy.url));
    const lock = new KubernetesLeaseLock(kubeConfig, { namespace: 'default', name: 'x' }, 'me', {
      clock,
      watchBackoff: { initial: 20, max: 100 },
      watchConnectTimeout: 5_000,
    });
    // The list answers; the watch request is held: a hung API server.
    proxy.faults = (request) => (request.url?.includes('watch=true') ? 'hold' : undefined);
    const watcher = watchUntil(lock);
    await watcher.until((events) => events.some((e) => e.type === 'observed'));
    await proxy.whenHeld(1);
    await clock.advance(4_999);
    expect(watcher.events.some((e) => e.type === 'down')).toBe(false);
    await clock.advance(1);
    const down = watcher.events.find((e) => e.type === 'down');
    expect(down?.type === 'down' && down.error).toBeInstanceOf(LeaseUnavailableError);
    expect(down?.type === 'down' && down.error.message).toMatch(/watch: no answer within 5000 ms/);

    proxy.faults = undefined; // the API answers again: the next attempt connects
    await clock.advance(20);
    await lockOn(server, 'x', 'writer').update(record('b'), (await lock.get()).resourceVersion);
    await watcher.until((events) => events.some((e) => e.type === 'observed' && e.lease?.record.holderIdentity === 'b'));
    watcher.stop();
    proxy.cut();
    await proxy.close();
  });
});

