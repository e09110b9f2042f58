/**
 * A watch across a kube-apiserver restart, on a private control plane (it cannot run on "any
 * cluster"): the restart ends every watch and empties the watch cache, so the resourceVersion a
 * candidate watched from is too old (410 Gone) when it comes back. The candidate must list again
 * and keep watching: a release after the restart reaches it through the watch, with no poll.
 * Real time, lease durations long enough that nothing expires while kube-apiserver is away.
 */
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { filter, firstValueFrom, Subject, tap } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { lockRecordToLeaseSpec } from '../../src/lease/spec.js';
import { KubernetesLeaseLock } from '../../src/kubernetes/leaseLock.js';
import type { LeaseLock, LeaseWatchEvent } from '../../src/ports/leaseLock.js';
import type { ControlPlane } from '../cluster/controlPlane.js';
import { describeOnPrivateControlPlane, privateControlPlane } from '../support/realCluster.js';

const CONFIG = { leaseDuration: 60_000, renewDeadline: 40_000, retryPeriod: 2_000 };
const ref = { namespace: 'default', name: 'restart-example' };

/** The watch of a kube-apiserver from `resourceVersion`: the status code, or the ERROR event's code when the stream opened. */
function watchAnswer(controlPlane: ControlPlane, resourceVersion: string): Promise<number> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${ref.namespace}/leases?watch=1&fieldSelector=metadata.name%3D${ref.name}&resourceVersion=${resourceVersion}`;
  return new Promise((resolve, reject) => {
    const req = request(`${controlPlane.url}${path}`, { headers: { authorization: `Bearer ${controlPlane.token}` }, ca: readFileSync(controlPlane.caFile) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(res.statusCode ?? 0);
        return;
      }
      res.setEncoding('utf8').once('data', (line: string) => {
        const event = JSON.parse(line.split('\n')[0]!) as { type: string; object: { code?: number } };
        req.destroy();
        resolve(event.type === 'ERROR' ? (event.object.code ?? 0) : 200);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A lock whose watch events and GETs the test sees; `seen(predicate)` resolves on the first event (past or future) that matches. */
function tapped(lock: LeaseLock) {
  const events: LeaseWatchEvent[] = [];
  const arrivals = new Subject<LeaseWatchEvent>();
  let gets = 0;
  const watched: LeaseLock = {
    identity: lock.identity,
    ref: lock.ref,
    describe: () => lock.describe(),
    recordEvent: (message) => lock.recordEvent(message),
    get: (signal) => {
      gets++;
      return lock.get(signal);
    },
    create: (record, signal) => lock.create(record, signal),
    update: (record, resourceVersion, signal) => lock.update(record, resourceVersion, signal),
    watch: () =>
      lock.watch().pipe(
        tap((event) => {
          events.push(event);
          arrivals.next(event);
        }),
      ),
  };
  const seen = (predicate: (event: LeaseWatchEvent) => boolean) => {
    const past = events.find(predicate);
    return past ? Promise.resolve(past) : firstValueFrom(arrivals.pipe(filter(predicate)));
  };
  return { lock: watched, seen, gets: () => gets };
}

describeOnPrivateControlPlane('a watch across a kube-apiserver restart', () => {
  let controlPlane: ControlPlane | undefined;
  const facades: PrimaryLease[] = [];
  beforeAll(async () => {
    controlPlane = await privateControlPlane();
  }, 180_000);
  afterAll(async () => {
    for (const facade of facades) facade.stop();
    await controlPlane?.stop();
  });

  it('the candidate lists again after 410 Gone and the release after the restart reaches it through its watch', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane!.kubeconfig);
    const api = kubeConfig.makeApiClient(CoordinationV1Api);
    const now = Date.now();
    await api.createNamespacedLease({ namespace: ref.namespace, body: { metadata: { name: ref.name }, spec: lockRecordToLeaseSpec({ holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: 0 }) as V1Lease['spec'] } });
    const leader = new PrimaryLease({ lock: new KubernetesLeaseLock(kubeConfig, ref, 'pod-a') });
    facades.push(leader);
    await leader.acquire(CONFIG);
    const candidate = tapped(new KubernetesLeaseLock(kubeConfig, ref, 'pod-b'));
    const follower = new PrimaryLease({ lock: candidate.lock });
    facades.push(follower);
    const following = follower.acquire(CONFIG);
    await candidate.seen((event) => event.type === 'observed');
    const before = (await api.readNamespacedLease({ ...ref })).metadata!.resourceVersion!;

    await controlPlane!.restartApiServer();
    expect(await watchAnswer(controlPlane!, before), 'a watch from the resourceVersion before the restart').toBe(410);
    // The candidate's watch is back once it delivers the lease again (its list, or the leader's next renew).
    await candidate.seen((event) => event.type === 'observed' && Number(event.lease?.resourceVersion) > Number(before));
    const getsWhileWatching = candidate.gets();

    await leader.release();
    await following;
    expect((await api.readNamespacedLease({ ...ref })).spec?.holderIdentity).toBe('pod-b');
    expect(candidate.gets(), 'reads by the candidate after its watch came back (a poll)').toBe(getsWhileWatching);
  });
});
