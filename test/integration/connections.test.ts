/**
 * Connection reuse, counted from the server's side: the embedded server's accepted sockets (Node's
 * net.server.socket channel) and a TLS front's handshakes. Every lock and store made from one
 * KubeConfig shares one connection for its calls and one per watch, over HTTP/1.1 even where the
 * server offers HTTP/2 (see src/kubernetes/client.ts for why).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { LeaseManager } from '../../src/api/leaseManager.js';
import type { LeaseRecord } from '../../src/lease/record.js';
import { KubernetesLeaseLock } from '../../src/kubernetes/leaseLock.js';
import { KubernetesManagedLeaseStore } from '../../src/kubernetes/managed/store.js';
import type { LeaseWatchEvent } from '../../src/ports/leaseLock.js';
import { startLeaseApiServer } from '../../src/server/index.js';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { acceptedConnections } from '../support/acceptedConnections.js';
import { httpWorld } from '../support/httpWorld.js';
import { startTlsProxy } from '../support/tlsProxy.js';

const record = (holder: string, renewTime: number): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: Date.UTC(2026, 0, 1),
  renewTime,
  leaseTransitions: 0,
});

describe('connections', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const elector = (lock: KubernetesLeaseLock | ReturnType<Awaited<ReturnType<typeof httpWorld>>['lock']>, clock: VirtualClock) => {
    const stop = new AbortController();
    const leader = new LeaderElector({
      lock,
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      clock,
      callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
    });
    const ran = leader.run({ signal: stop.signal });
    cleanups.push(async () => {
      stop.abort();
      await clock.advance(0);
      await ran;
    });
    return leader;
  };

  it('a leader’s 100 renews and its watch: 2 connections; a watching candidate on the same KubeConfig adds only its watch', async () => {
    const world = await httpWorld('connections');
    cleanups.push(() => world.close());
    await world.put({ holderIdentity: '' });
    const accepted = acceptedConnections(world.server!.port);
    cleanups.push(() => accepted.stop());

    const leader = elector(world.lock('leader'), world.clock);
    await world.clock.advance(0);
    await world.clock.advance(100 * 2_000);
    expect(leader.actor.getSnapshot().context.counters.renewals).toBeGreaterThanOrEqual(100);
    expect(world.requestCount('leader', 'update')).toBeGreaterThanOrEqual(101); // the claim, then every renew
    expect(world.requestCount('leader', 'get')).toBe(1);
    expect(accepted.count).toBe(2);

    elector(world.lock('candidate'), world.clock);
    await world.clock.advance(20 * 2_000);
    expect(leader.isLeader()).toBe(true);
    expect(accepted.count).toBe(3); // the candidate's reads share the calls' connection; its watch is the third
  });

  it('1,000 LeaseManager operations: 2 connections (the calls, the feed’s watch) and no GET', async () => {
    const requests = new Map<string, number>();
    const server = await startLeaseApiServer({ onRequest: (verb) => requests.set(verb, (requests.get(verb) ?? 0) + 1) });
    cleanups.push(() => server.close());
    const accepted = acceptedConnections(server.port);
    cleanups.push(() => accepted.stop());
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeConfigFor(server.url));
    const clock = new VirtualClock();
    const manager = new LeaseManager({ store: new KubernetesManagedLeaseStore(kubeConfig, { namespace: 'juju-leases', clock }), clock });
    cleanups.push(() => manager.stop());
    await firstValueFrom(manager.state$.pipe(filter((snapshot) => snapshot.matches('running'))));
    const claimer = manager.claimer('leases', 'model');
    const names = Array.from({ length: 250 }, (_, i) => `lease-${i}`);
    for (let round = 0; round < 4; round++) await Promise.all(names.map((name) => claimer.claim(name, 'holder', 60_000)));
    expect(manager.report().counters).toMatchObject({ claimed: 250, extended: 750 });
    expect(Object.fromEntries(requests)).toEqual({ list: 1, watch: 1, create: 250, update: 750 });
    expect(accepted.count).toBe(2);
  });

  const kubeConfigOf = (url: string) => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeConfigFor(url));
    return kubeConfig;
  };

  /** One lock's calls and watch through `kubeConfig`: `writes` renews of lease `name`, each seen by the watch. */
  async function renewOver(kubeConfig: KubeConfig, writes: number, name = 'tls') {
    const lock = new KubernetesLeaseLock(kubeConfig, { namespace: 'default', name }, 'me');
    const seen: LeaseWatchEvent[] = [];
    const waiters = new Set<() => void>();
    const subscription = lock.watch().subscribe((event) => {
      seen.push(event);
      for (const wake of waiters) wake();
      waiters.clear();
    });
    cleanups.push(() => subscription.unsubscribe());
    const until = async (condition: (events: LeaseWatchEvent[]) => boolean) => {
      while (!condition(seen)) await new Promise<void>((resolve) => waiters.add(resolve));
    };
    const observed = (resourceVersion: string) => until((events) => events.some((e) => e.type === 'observed' && e.lease?.resourceVersion === resourceVersion));
    let lease = await lock.create(record('me', Date.UTC(2026, 0, 1)));
    await observed(lease.resourceVersion);
    for (let i = 1; i <= writes; i++) {
      lease = await lock.update(record('me', Date.UTC(2026, 0, 1, 0, 0, i)), lease.resourceVersion);
      await observed(lease.resourceVersion);
    }
    return { lock, observed, until };
  }

  it('over TLS: the calls and the watch keep their 2 connections, and every connection after the first resumes the TLS session', async () => {
    const server = await startLeaseApiServer();
    cleanups.push(() => server.close());
    const tls = await startTlsProxy(server.url);
    cleanups.push(() => tls.close());
    const { lock, observed, until } = await renewOver(kubeConfigOf(tls.url), 20);
    // One full handshake: the watch's connection already resumes the session the calls' one was given.
    expect(tls.connections).toEqual([
      { protocol: 'http/1.1', resumed: false },
      { protocol: 'http/1.1', resumed: true },
    ]);
    tls.cut(); // the network drops: the watch lists again, the next call reconnects
    await until((events) => events.some((e) => e.type === 'down'));
    let after = await lock.update(record('me', Date.UTC(2026, 0, 2)), (await lock.get()).resourceVersion);
    await observed(after.resourceVersion); // listed again
    after = await lock.update(record('me', Date.UTC(2026, 0, 3)), after.resourceVersion);
    await observed(after.resourceVersion); // watched again
    expect(tls.connections.slice(2)).toHaveLength(2);
    expect(tls.connections.slice(2).every((connection) => connection.resumed)).toBe(true);
  });

  it('offered HTTP/2 through ALPN (as kube-apiserver does), it speaks HTTP/1.1: one connection for every call, one per watch', async () => {
    const server = await startLeaseApiServer();
    cleanups.push(() => server.close());
    const tls = await startTlsProxy(server.url, { http2: true });
    cleanups.push(() => tls.close());
    const kubeConfig = kubeConfigOf(tls.url);
    await Promise.all(['one', 'two', 'three'].map((name) => renewOver(kubeConfig, 20, name)));
    expect(tls.connections.map((connection) => connection.protocol)).toEqual(['http/1.1', 'http/1.1', 'http/1.1', 'http/1.1']);
  });
});
