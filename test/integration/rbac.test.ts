/**
 * deploy/rbac.yaml grants exactly the verbs leasehold uses: every request the Kubernetes adapter
 * sends in a full life cycle (create, acquire, renew, watch, conflict re-read, release, status,
 * and the Events it records about leader changes, one of them repeated) is recorded by the
 * embedded server, and the Role must grant each verb on each resource and nothing unused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { KubernetesLeaseLocks } from '../../src/kubernetes/leaseLock.js';
import { startLeaseApiServer } from '../../src/server/index.js';
import { realClock } from '../../src/time/realClock.js';

interface Role {
  kind: string;
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}

const nextTick = () => new Promise<void>((resolve) => realClock.setTimeout(resolve, 0));

describe('deploy/rbac.yaml', () => {
  it('grants every verb the adapter sends, and only those', async () => {
    const sent = { leases: new Set<string>(), events: new Set<string>() };
    const server = await startLeaseApiServer({
      onRequest: (verb, _code, request) => {
        if (request.url?.startsWith('/apis/coordination.k8s.io/v1/namespaces/')) sent.leases.add(verb);
        if (/^\/api\/v1\/namespaces\/[^/]+\/events/.test(request.url ?? '')) sent.events.add(verb);
      },
    });
    try {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(server.kubeConfig());
      const locks = new KubernetesLeaseLocks(kubeConfig);
      const ref = { namespace: 'default', name: 'rbac' };
      const lead = async (until: () => boolean) => {
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
        while (!until()) await nextTick();
        controller.abort();
        await running;
      };
      const candidate = new PrimaryLease({ lock: locks.lockFor(ref, 'b') });
      const acquired = lead(() => sent.leases.has('update') && sent.leases.has('watch')).then(() =>
        candidate.acquire({ leaseDuration: 2_000, renewDeadline: 1_500, retryPeriod: 1_000 }),
      );
      await acquired;
      await candidate.release();
      await lead(() => sent.events.has('patch')); // "a became leader" again: the event's count goes up
      await locks.lockFor(ref, 'status').get(); // leasehold status
      candidate.stop();
    } finally {
      await server.close();
    }

    const documents = loadAllYaml(readFileSync(join(import.meta.dirname, '../../deploy/rbac.yaml'), 'utf8')) as Role[];
    const role = documents.find((d) => d.kind === 'Role')!;
    const granted = (group: string, resource: string) =>
      new Set(role.rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs));
    for (const [group, resource, verbs] of [['coordination.k8s.io', 'leases', sent.leases], ['', 'events', sent.events]] as const) {
      const allowed = granted(group, resource);
      expect([...verbs].filter((verb) => !allowed.has(verb)), `${resource}: verbs sent but not granted`).toEqual([]);
      expect([...allowed].filter((verb) => !verbs.has(verb)), `${resource}: verbs granted but never used`).toEqual([]);
    }
    expect(sent.events).toEqual(new Set(['create', 'patch']));
  });
});
