/**
 * The lease world over real HTTP: the embedded server, KubernetesLeaseLocks on @kubernetes/client-node,
 * and a VirtualClock whose "settle" waits until no request or watch (re)connection is in flight and
 * every open watch has delivered the newest resourceVersion. Hours of lease time still pass in
 * milliseconds, while every call crosses the wire.
 */
import { randomUUID } from 'node:crypto';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { Observable } from 'rxjs';
import type { LeaseRecord, LeaseRef, ObservedLease } from '../../src/lease/record.js';
import { leaseSpecToLockRecord, lockRecordToLeaseSpec } from '../../src/lease/spec.js';
import { loadKubeConfig } from '../../src/kubernetes/kubeConfig.js';
import { KubernetesLeaseLock } from '../../src/kubernetes/leaseLock.js';
import type { LeaseLock, LeaseWatchEvent } from '../../src/ports/leaseLock.js';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

const QUIESCE_LIMIT_MS = 5_000;

/**
 * The API server the HTTP tests run against: the embedded one, or a real cluster when
 * LEASEHOLD_KUBECONFIG names a kubeconfig (namespace LEASEHOLD_NAMESPACE, default "default").
 */
export const REAL_CLUSTER = process.env.LEASEHOLD_KUBECONFIG;

/**
 * Which server a world talks to: the embedded one (started per world), the real cluster of
 * LEASEHOLD_KUBECONFIG, or the kubeconfig a function returns when the world opens (a private
 * control plane started in a hook).
 */
export type WorldTarget = 'embedded' | 'real' | (() => string);

export interface HttpWorldOptions {
  /** Sends the locks' requests (not the world's own put/current) through a proxy started on the server's URL. */
  locksThrough?: (serverUrl: string) => Promise<{ url: string; close(): Promise<void> }>;
}

export async function httpWorld(baseName = 'cluster-example', target: WorldTarget = 'embedded', options: HttpWorldOptions = {}) {
  const server: LeaseApiServer | undefined = target === 'embedded' ? await startLeaseApiServer() : undefined;
  const kubeConfig = target === 'embedded' ? new KubeConfig() : loadKubeConfig(target === 'real' ? REAL_CLUSTER : target());
  if (server) kubeConfig.loadFromString(server.kubeConfig());
  const proxy = server && options.locksThrough ? await options.locksThrough(server.url) : undefined;
  const lockConfig = proxy ? new KubeConfig() : kubeConfig;
  if (server && proxy) lockConfig.loadFromString(server.kubeConfig().replaceAll(server.url, proxy.url));
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  // On a shared cluster every test gets its own lease, deleted afterwards.
  const name = server ? baseName : `leasehold-test-${baseName}-${randomUUID().slice(0, 8)}`;
  const ref: LeaseRef = { namespace: server ? 'default' : (process.env.LEASEHOLD_NAMESPACE ?? 'default'), name };
  let pending = 0;
  let newest = 0;
  const watches = new Set<{ seen: number }>();
  const counts = new Map<string, number>();
  const saw = (resourceVersion: string | undefined) => (newest = Math.max(newest, Number(resourceVersion ?? 0)));
  const quiet = () => pending === 0 && [...watches].every((w) => w.seen >= newest);

  const clock = new VirtualClock(Date.UTC(2026, 0, 1), {
    settle: async () => {
      const giveUp = performance.now() + QUIESCE_LIMIT_MS;
      do {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (performance.now() > giveUp) throw new Error(`HTTP did not quiesce: ${pending} calls in flight`);
      } while (!quiet());
    },
  });

  /** Counts and tracks every call of a KubernetesLeaseLock so the clock can wait for it. */
  function lock(identity: string): LeaseLock {
    const inner = new KubernetesLeaseLock(lockConfig, ref, identity, { clock });
    const tracked = <T extends ObservedLease>(verb: string, call: () => Promise<T>): Promise<T> => {
      counts.set(`${identity} ${verb}`, (counts.get(`${identity} ${verb}`) ?? 0) + 1);
      pending++;
      return call().then(
        (lease) => {
          saw(lease.resourceVersion);
          pending--;
          return lease;
        },
        (error: unknown) => {
          pending--;
          throw error;
        },
      );
    };
    return {
      identity,
      ref,
      describe: () => inner.describe(),
      recordEvent: (message) => inner.recordEvent(message),
      get: (signal) => tracked('get', () => inner.get(signal)),
      create: (record, signal) => tracked('create', () => inner.create(record, signal)),
      update: (record, rv, signal) => tracked('update', () => inner.update(record, rv, signal)),
      watch: () =>
        new Observable<LeaseWatchEvent>((subscriber) => {
          const state = { seen: -1 };
          pending++;
          let connecting = true;
          const subscription = inner.watch().subscribe((event) => {
            if (connecting) {
              connecting = false;
              pending--;
            }
            if (event.type === 'observed') {
              state.seen = Math.max(state.seen, event.lease ? saw(event.lease.resourceVersion) : newest);
              watches.add(state);
            } else {
              watches.delete(state);
            }
            subscriber.next(event);
          });
          return () => {
            if (connecting) pending--;
            watches.delete(state);
            subscription.unsubscribe();
          };
        }),
    };
  }

  async function put(fields: Partial<LeaseRecord>): Promise<void> {
    const record: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 15,
      acquireTime: clock.now(),
      renewTime: clock.now(),
      leaseTransitions: 0,
      ...fields,
    };
    await putSpec(lockRecordToLeaseSpec(record));
  }

  /** Writes a spec as given (another client's record: fields left out stay out). */
  async function putSpec(given: object): Promise<void> {
    const spec = given as V1Lease['spec'];
    const existing = await api.readNamespacedLease({ name, namespace: ref.namespace }).catch(() => undefined);
    if (existing) delete existing.metadata?.managedFields;
    const written = existing
      ? await api.replaceNamespacedLease({ name, namespace: ref.namespace, body: { ...existing, spec } })
      : await api.createNamespacedLease({ namespace: ref.namespace, body: { metadata: { name }, spec } });
    saw(written.metadata?.resourceVersion);
    await clock.advance(0);
  }

  /** Another client edits the stored object (annotations, spec fields leasehold does not write) and replaces it. */
  async function edit(change: (lease: V1Lease) => void): Promise<V1Lease> {
    const existing = await api.readNamespacedLease({ name, namespace: ref.namespace });
    delete existing.metadata?.managedFields;
    change(existing);
    const written = await api.replaceNamespacedLease({ name, namespace: ref.namespace, body: existing });
    saw(written.metadata?.resourceVersion);
    await clock.advance(0);
    return written;
  }

  /** The stored object as it is. */
  const stored = (): Promise<V1Lease> => api.readNamespacedLease({ name, namespace: ref.namespace });

  async function current(): Promise<ObservedLease | null> {
    const lease = await api.readNamespacedLease({ name, namespace: ref.namespace }).catch(() => undefined);
    return lease ? { record: leaseSpecToLockRecord(lease.spec), resourceVersion: lease.metadata!.resourceVersion! } : null;
  }

  return {
    server,
    kubeConfig,
    clock,
    ref,
    lock,
    put,
    putSpec,
    edit,
    stored,
    current,
    record: async () => (await current())!.record,
    /** Calls a tracked lock made, by identity and verb. */
    requestCount: (identity: string, verb: string) => counts.get(`${identity} ${verb}`) ?? 0,
    close: async () => {
      await proxy?.close();
      if (server) return server.close();
      await api.deleteNamespacedLease({ name, namespace: ref.namespace }).catch(() => undefined);
    },
  };
}
