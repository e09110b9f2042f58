/**
 * Two LeaseManagers in two "processes" (each with its own client-node KubernetesManagedLeaseStore)
 * sharing leases through the embedded server: one holder per lease, waiters released by the other
 * process's revoke, pins and expiry seen across processes. Lease time runs on a VirtualClock; HTTP
 * is real, so the tests wait on the managers' state, never on sleeps.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { leaseKeyId } from '../../src/ports/managedLeaseStore.js';
import { LeaseManager, type LeaseManagerSnapshot } from '../../src/api/leaseManager.js';
import { ClaimDeniedError } from '../../src/lease/errors.js';
import { KubernetesManagedLeaseStore } from '../../src/kubernetes/managed/store.js';
import { startLeaseApiServer } from '../../src/server/index.js';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

const NS = 'application-leadership';
const MODEL = 'model-1';

describe('LeaseManager over the Kubernetes store', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function processes({ expirySlack = 0 } = {}) {
    const server = await startLeaseApiServer();
    cleanups.push(() => server.close());
    const clock = new VirtualClock();
    const storeFor = (identity: string) => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kubeConfigFor(server.url));
      return new KubernetesManagedLeaseStore(kubeConfig, { namespace: 'leases', clock, identity });
    };
    const start = (identity: string) => {
      const manager = new LeaseManager({ store: storeFor(identity), clock, expirySlack });
      cleanups.push(() => manager.stop());
      return manager;
    };
    /** A third process writing to the store directly, without a manager. */
    const takeOver = storeFor('process-c');
    return { clock, a: start('process-a'), b: start('process-b'), takeOver };
  }

  /** Resolves once the manager's view satisfies `predicate` (the change feed is asynchronous). */
  const sees = (manager: LeaseManager, predicate: (context: LeaseManagerSnapshot['context']) => boolean) =>
    firstValueFrom(manager.state$.pipe(filter((snapshot) => predicate(snapshot.context))));

  it('gives each lease one holder across processes and releases waiters on the other side’s revoke', async () => {
    const { a, b } = await processes();
    await a.claimer(NS, MODEL).claim('mysql', 'mysql/0', 60_000);
    const denied = await b.claimer(NS, MODEL).claim('mysql', 'mysql/1', 60_000).catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(ClaimDeniedError);
    expect((denied as ClaimDeniedError).holder).toBe('mysql/0');

    await sees(b, (context) => context.leases.size === 1);
    expect(b.reader(NS, MODEL).leases().mysql!.holder).toBe('mysql/0');
    const waiting = b.claimer(NS, MODEL).waitUntilExpired('mysql');
    await a.revoker(NS, MODEL).revoke('mysql', 'mysql/0');
    await waiting; // released by process a's revoke, delivered through the watch

    await b.claimer(NS, MODEL).claim('mysql', 'mysql/1', 60_000);
    await sees(a, (context) => [...context.leases.values()].some((lease) => lease.holder === 'mysql/1'));
    expect(() => a.checker(NS, MODEL).token('mysql', 'mysql/1').check()).not.toThrow();
  });

  it('sees the other process’s pins, and expires its lapsed leases on its own clock', async () => {
    const { clock, a, b } = await processes();
    await a.claimer(NS, MODEL).claim('redis', 'redis/0', 2_000);
    await a.pinner(NS, MODEL).pin('redis', 'machine-0/upgrade');
    await sees(b, (context) => context.leases.get(leaseKeyId({ namespace: NS, model: MODEL, lease: 'redis' }))?.pinnedBy.length === 1);
    expect(b.pinner(NS, MODEL).pinned()).toEqual({ redis: ['machine-0/upgrade'] });

    await a.pinner(NS, MODEL).unpin('redis', 'machine-0/upgrade');
    await sees(b, (context) => context.leases.get(leaseKeyId({ namespace: NS, model: MODEL, lease: 'redis' }))?.pinnedBy.length === 0);
    const waiting = b.claimer(NS, MODEL).waitUntilExpired('redis');
    await clock.advance(2_000);
    await waiting;
    await sees(a, (context) => context.leases.size === 0);
    await b.claimer(NS, MODEL).claim('redis', 'redis/1', 2_000);
  });

  it('releases a waiter when another process takes over the lease after it lapsed, without an expiry in between', async () => {
    const { clock, a, b, takeOver } = await processes({ expirySlack: 60_000 });
    await a.claimer(NS, MODEL).claim('kafka', 'kafka/0', 2_000);
    await sees(b, (context) => context.leases.size === 1);
    a.stop(); // the holder's process is gone; b's slack keeps b from expiring the lease itself
    const waiting = b.claimer(NS, MODEL).waitUntilExpired('kafka');
    const kafka = { namespace: NS, model: MODEL, lease: 'kafka' };
    expect(await takeOver.claim(kafka, 'kafka/1', 60_000)).toMatchObject({ outcome: 'denied' }); // its clock starts now
    await clock.advance(2_000);
    expect(await takeOver.claim(kafka, 'kafka/1', 60_000)).toMatchObject({ outcome: 'claimed' });
    await waiting; // released by the change of holder seen through the watch
    expect(b.reader(NS, MODEL).leases().kafka!.holder).toBe('kafka/1');
  });
});

