/**
 * A fleet of `leasehold run` sidecars (test/support/sidecar.ts) on a real cluster: a namespace of its
 * own, a kubeconfig whose context uses it, a pid directory and an observer of the CMDs' lives. The
 * stored Lease is read with a plain client, never asked of the runners.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { testNamespace } from './realCluster.js';
import { CmdObserver, type Runner } from './sidecar.js';

export interface RealFleet {
  namespace: string;
  dir: string;
  kubeconfig: string;
  observer: CmdObserver;
  runners: Runner[];
  /** The stored Lease, or undefined when there is none. */
  lease(name?: string): Promise<V1Lease | undefined>;
  holder(name?: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function startRealFleet(purpose: string, kubeconfigPath?: string): Promise<RealFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-real-fleet-'));
  const namespace = await testNamespace(purpose, dir, kubeconfigPath);
  const api = namespace.kubeConfig.makeApiClient(CoordinationV1Api);
  const observer = new CmdObserver(dir);
  const lease = (name = 'job') => api.readNamespacedLease({ name, namespace: namespace.name }).catch(() => undefined);
  const fleet: RealFleet = {
    namespace: namespace.name,
    dir,
    kubeconfig: namespace.kubeconfig,
    observer,
    runners: [],
    lease,
    holder: async (name) => (await lease(name))?.spec?.holderIdentity,
    close: async () => {
      observer.stop();
      for (const runner of fleet.runners) runner.destroy();
      for (const life of observer.lives.values()) {
        try {
          process.kill(life.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await namespace.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}
