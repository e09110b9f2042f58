/**
 * The lease manager on kube-apiserver: two managers in two "processes" (each with its own
 * KubernetesManagedLeaseStore) share 1,000 leases, one Lease object each, in a namespace of their own.
 * What the server stored is read back with a plain list, not through the managers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LeaseManager } from '../../src/api/leaseManager.js';
import { ClaimDeniedError } from '../../src/lease/errors.js';
import { KubernetesManagedLeaseStore } from '../../src/kubernetes/managed/store.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { describeOnRealCluster, testNamespace } from '../support/realCluster.js';

const LEASES = 1_000;
const NS = 'workers';
const MODEL = 'model-1';

describeOnRealCluster('LeaseManager with 1,000 leases on kube-apiserver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-real-manager-'));
  let namespace: Awaited<ReturnType<typeof testNamespace>>;
  const managers: LeaseManager[] = [];
  beforeAll(async () => {
    namespace = await testNamespace('manager', dir);
  });
  afterAll(async () => {
    for (const manager of managers) manager.stop();
    await namespace?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims 1,000 leases from one process, the other sees every holder, is denied, and takes them after a revoke', async () => {
    const clock = new VirtualClock();
    const start = (identity: string) => {
      const store = new KubernetesManagedLeaseStore(namespace.kubeConfig, { namespace: namespace.name, clock, identity });
      const manager = new LeaseManager({ store, clock });
      managers.push(manager);
      return manager;
    };
    const a = start('process-a');
    const b = start('process-b');
    const names = Array.from({ length: LEASES }, (_, i) => `unit-${i}`);
    await Promise.all(names.map((name, i) => a.claimer(NS, MODEL).claim(name, `app/${i}`, 60_000)));

    const stored = await namespace.kubeConfig.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: namespace.name });
    expect(stored.items).toHaveLength(LEASES);
    const holders = new Set(stored.items.map((lease) => lease.spec?.holderIdentity));
    expect(holders.size).toBe(LEASES);

    await firstValueFrom(b.state$.pipe(filter((snapshot) => snapshot.context.leases.size === LEASES)));
    const seen = b.reader(NS, MODEL).leases();
    expect(names.every((name, i) => seen[name]?.holder === `app/${i}`)).toBe(true);

    const denied = await b.claimer(NS, MODEL).claim('unit-7', 'other/7', 60_000).catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(ClaimDeniedError);
    expect((denied as ClaimDeniedError).holder).toBe('app/7');

    const revoked = names.slice(0, 10);
    const waits = revoked.map((name) => b.claimer(NS, MODEL).waitUntilExpired(name));
    await Promise.all(revoked.map((name) => a.revoker(NS, MODEL).revoke(name, `app/${name.slice('unit-'.length)}`)));
    await Promise.all(waits);
    await Promise.all(revoked.map((name) => b.claimer(NS, MODEL).claim(name, `other/${name}`, 60_000)));
    const after = await namespace.kubeConfig.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: namespace.name });
    const byHolder = after.items.filter((lease) => lease.spec?.holderIdentity?.startsWith('other/'));
    expect(byHolder.map((lease) => lease.spec?.holderIdentity).sort()).toEqual(revoked.map((name) => `other/${name}`).sort());
  });
});
