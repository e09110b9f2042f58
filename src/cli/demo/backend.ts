/** Where the demo's lease lives: the embedded API server over HTTP (npm start), or memory (fast tests). */
import { KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { describeLease, type LeaseRecord, type LeaseRef } from '../../lease/record.js';
import { lockRecordToLeaseSpec } from '../../lease/spec.js';
import { LeaseObject } from '../../kubernetes/leaseObject.js';
import { KubernetesLeaseLocks } from '../../kubernetes/leaseLock.js';
import type { LeaseLockFactory } from '../../ports/leaseLock.js';
import { MemoryLeaseStore } from '../../memory/leaseStore.js';
import { startLeaseApiServer } from '../../server/index.js';
import type { Clock } from '../../time/clock.js';

export interface DemoBackend extends LeaseLockFactory {
  /** What the demo prints about where the lease lives. */
  description: string;
  /** The operator's job: create the lease. */
  createLease(ref: LeaseRef, record: LeaseRecord): Promise<void>;
  close(): Promise<void>;
}

export function memoryBackend(clock: Clock): DemoBackend {
  const store = new MemoryLeaseStore(clock);
  return {
    description: 'an in-memory lease store',
    lockFor: (ref, identity) => store.lockFor(ref, identity),
    createLease: async (ref, record) => void store.put(ref, record),
    close: async () => {},
  };
}

export async function embeddedServerBackend(clock: Clock): Promise<DemoBackend> {
  const server = await startLeaseApiServer({ clock });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeConfig());
  const locks = new KubernetesLeaseLocks(kubeConfig, { clock });
  return {
    description: `the embedded Lease API server at ${server.url} (KubernetesLeaseLock on @kubernetes/client-node)`,
    lockFor: (ref, identity) => locks.lockFor(ref, identity),
    createLease: async (ref, record) => {
      const body: V1Lease = { metadata: { name: ref.name }, spec: lockRecordToLeaseSpec(record) as V1Lease['spec'] };
      await new LeaseObject(kubeConfig, ref, { clock, context: () => ({ lease: describeLease(ref), namespace: ref.namespace }) }).create(body);
    },
    close: () => server.close(),
  };
}
