/**
 * deploy/rbac.yaml grants exactly the verbs leasehold uses: every request the Kubernetes adapter
 * sends in a full life cycle (create, acquire, renew, watch, conflict re-read, release, status,
 * and the Events it records about leader changes, one of them repeated) is seen at a proxy in front
 * of the embedded server, and the Role must grant each verb on each resource and nothing unused.
 * Lease time runs on the world's virtual clock; only the Events, sent on their own, are waited for
 * as they arrive at the proxy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.js';
import { httpWorld } from '../support/httpWorld.js';
import { track } from '../support/leaseWorld.js';

interface Role {
  kind: string;
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}

/** The Kubernetes verb of a request as the proxy saw it ("METHOD url"), and the resource it names. */
function verbOf(line: string): { resource: 'leases' | 'events' | undefined; verb: string } {
  const [method, url = ''] = line.split(' ');
  const path = url.split('?')[0]!;
  const resource = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases(\/|$)/.test(path)
    ? 'leases'
    : /^\/api\/v1\/namespaces\/[^/]+\/events(\/|$)/.test(path)
      ? 'events'
      : undefined;
  const item = !/\/(leases|events)$/.test(path);
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: item ? 'delete' : 'deletecollection' };
  const verb = method === 'GET' ? (/[?&]watch=(1|true)/.test(url) ? 'watch' : item ? 'get' : 'list') : verbs[method!]!;
  return { resource, verb };
}

describe('deploy/rbac.yaml', () => {
  it('grants every verb the adapter sends, and only those', async () => {
    let proxy: FaultProxy | undefined;
    const world = await httpWorld('rbac', 'embedded', { locksThrough: async (url) => (proxy = await startFaultProxy(url)) });
    const sent = () => {
      const verbs = { leases: new Set<string>(), events: new Set<string>() };
      for (const line of proxy!.seen) {
        const { resource, verb } = verbOf(line);
        if (resource) verbs[resource].add(verb);
      }
      return verbs;
    };
    /** Waits, request by request as they reach the proxy (no timer), until `done`. */
    const seenUntil = async (done: () => boolean) => {
      while (!done()) await proxy!.whenSeen(proxy!.seen.length + 1);
    };
    try {
      const timing = { leaseDuration: 2_000, renewDeadline: 1_500, retryPeriod: 500 };
      const lead = async (until: () => boolean) => {
        const controller = new AbortController();
        const elector = new LeaderElector({
          lock: world.lock('a'),
          ...timing,
          releaseOnCancel: true,
          clock: world.clock,
          callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
        });
        const running = track(elector.run({ signal: controller.signal }));
        await world.clock.advanceUntil(() => elector.isLeader(), 10_000);
        await world.clock.advanceUntil(until, 10_000);
        controller.abort();
        await world.clock.advanceUntil(() => running.settled, 10_000);
        expect(running.error).toBeUndefined();
      };
      await lead(() => sent().leases.has('update') && sent().leases.has('watch'));
      const candidate = new PrimaryLease({ lock: world.lock('b'), clock: world.clock });
      const acquired = track(candidate.acquire({ ...timing, retryPeriod: 1_000 }));
      await world.clock.advanceUntil(() => acquired.settled, 10_000);
      expect(candidate.isLeader()).toBe(true);
      const released = track(candidate.release());
      await world.clock.advanceUntil(() => released.settled, 10_000);
      await lead(() => true);
      await seenUntil(() => sent().events.has('patch')); // "a became leader" again: the event's count goes up
      await world.lock('status').get(); // leasehold status
      candidate.stop();
    } finally {
      await world.close();
    }

    const documents = loadAllYaml(readFileSync(join(import.meta.dirname, '../../deploy/rbac.yaml'), 'utf8')) as Role[];
    const role = documents.find((d) => d.kind === 'Role')!;
    const granted = (group: string, resource: string) =>
      new Set(role.rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs));
    const { leases, events } = sent();
    for (const [group, resource, verbs] of [['coordination.k8s.io', 'leases', leases], ['', 'events', events]] as const) {
      const allowed = granted(group, resource);
      expect([...verbs].filter((verb) => !allowed.has(verb)), `${resource}: verbs sent but not granted`).toEqual([]);
      expect([...allowed].filter((verb) => !verbs.has(verb)), `${resource}: verbs granted but never used`).toEqual([]);
    }
    expect(events).toEqual(new Set(['create', 'patch']));
  });
});
