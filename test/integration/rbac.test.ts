/**
 * deploy/rbac.yaml grants exactly the verbs leasehold uses: every request the Kubernetes adapter
 * sends in a full life cycle (create, acquire, renew, watch, conflict re-read, release, status) is
 * recorded by the embedded server, and the Role must grant each verb and nothing unused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/LeaderElector.js';
import { PrimaryLease } from '../../src/api/PrimaryLease.js';
import { KubernetesLeaseLocks } from '../../src/lock/kubernetesLeaseLock.js';
import { startLeaseApiServer } from '../../src/server/index.js';
import { realClock } from '../../src/time/realClock.js';

interface Role {
  kind: string;
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}

const nextTick = () => new Promise<void>((resolve) => realClock.setTimeout(resolve, 0));

describe('deploy/rbac.yaml', () => {
  it('grants every verb the adapter sends, and only those', async () => {
    const sent = new Set<string>();
    const server = await startLeaseApiServer({
      onRequest: (verb, _code, request) => {
        if (request.url?.startsWith('/apis/coordination.k8s.io/v1/namespaces/')) sent.add(verb);
      },
    });
    try {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(server.kubeConfig());
      const locks = new KubernetesLeaseLocks(kubeConfig);
      const ref = { namespace: 'default', name: 'rbac' };
      const controller = new AbortController();
      const elector = new LeaderElector({
        lock: locks.lockFor(ref, 'a'),
        leaseDuration: 2_000,
        renewDeadline: 1_500,
        retryPeriod: 500,
        releaseOnCancel: true,
        callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
      });
      const running = elector.run({ signal: controller.signal });
      const candidate = new PrimaryLease({ lock: locks.lockFor(ref, 'b') });
      const acquired = candidate.acquire({ leaseDuration: 2_000, renewDeadline: 1_500, retryPeriod: 1_000 });
      while (!sent.has('update') || !sent.has('watch')) await nextTick(); // renewed, and b is watching
      controller.abort();
      await running;
      await acquired;
      await candidate.release();
      await locks.lockFor(ref, 'status').get(); // leasehold status
      candidate.stop();
    } finally {
      await server.close();
    }

    const documents = loadAllYaml(readFileSync(join(import.meta.dirname, '../../deploy/rbac.yaml'), 'utf8')) as Role[];
    const role = documents.find((d) => d.kind === 'Role')!;
    const granted = new Set(
      role.rules.filter((r) => r.apiGroups.includes('coordination.k8s.io') && r.resources.includes('leases')).flatMap((r) => r.verbs),
    );
    expect([...sent].filter((verb) => !granted.has(verb)), 'verbs sent but not granted').toEqual([]);
    expect([...granted].filter((verb) => !sent.has(verb)), 'verbs granted but never used').toEqual([]);
  });
});
