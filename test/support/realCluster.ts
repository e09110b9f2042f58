/**
 * The real cluster the tests in test/real/ run against: the one LEASEHOLD_KUBECONFIG names (the suite
 * starts its own control plane and sets it when the binaries are cached, see test/setup/controlPlane.ts),
 * and, for the tests that must restart kube-apiserver or turn a feature gate on, a private control
 * plane started from the cached binaries.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe } from 'vitest';
import { cachedControlPlane } from '../cluster/binaries.js';
import { type ControlPlane, startControlPlane } from '../cluster/controlPlane.js';

/** The kubeconfig of the real cluster, if there is one. */
export const REAL_KUBECONFIG = process.env.LEASEHOLD_KUBECONFIG;

/** A describe for the real cluster, skipped by name when LEASEHOLD_KUBECONFIG is unset (CI refuses a skip). */
export function describeOnRealCluster(title: string, body: () => void): void {
  describe.skipIf(!REAL_KUBECONFIG)(`${title} (needs LEASEHOLD_KUBECONFIG)`, body);
}

/** The binaries for private control planes; undefined when they are not built. */
export const CONTROL_PLANE_BINARIES = cachedControlPlane();

/**
 * A describe whose tests start their own control plane (to restart kube-apiserver, or with a feature
 * gate on): it cannot run on "any cluster", only where the binaries are built. Skipped by name otherwise.
 */
export function describeOnPrivateControlPlane(title: string, body: () => void): void {
  describe.skipIf(!CONTROL_PLANE_BINARIES)(`${title} (needs a private control plane: npm run cluster -- --build)`, body);
}

export function privateControlPlane(options: { coordinated?: boolean } = {}): Promise<ControlPlane> {
  if (!CONTROL_PLANE_BINARIES) throw new Error('the control plane is not built (npm run cluster -- --build)');
  return startControlPlane({ binaries: CONTROL_PLANE_BINARIES, ...options });
}

export function adminKubeConfig(path = REAL_KUBECONFIG): KubeConfig {
  if (!path) throw new Error('LEASEHOLD_KUBECONFIG is not set');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

/**
 * A namespace of its own for a test (`leasehold-<purpose>-<random>`), and a kubeconfig file in `dir`
 * whose context uses it. `remove()` deletes it (without a controller-manager it stays Terminating).
 */
export async function testNamespace(purpose: string, dir: string, kubeconfigPath = REAL_KUBECONFIG) {
  const admin = adminKubeConfig(kubeconfigPath);
  const core = admin.makeApiClient(CoreV1Api);
  const name = `leasehold-${purpose}-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'leasehold.dev/test': purpose } } } });
  const scoped = new KubeConfig();
  scoped.loadFromString(admin.exportConfig());
  scoped.contexts = scoped.contexts.map((context) => ({ ...context, namespace: name }));
  const kubeconfig = join(dir, `kubeconfig-${name}`);
  writeFileSync(kubeconfig, scoped.exportConfig());
  return {
    name,
    kubeconfig,
    kubeConfig: scoped,
    remove: () => core.deleteNamespace({ name }).then(
      () => undefined,
      () => undefined,
    ),
  };
}
