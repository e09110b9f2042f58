/**
 * The ManagedLeaseStore port on coordination.k8s.io/v1 Leases, through @kubernetes/client-node: one
 * Lease object per managed lease (see object.ts for names, annotations and pins), so
 * several processes can share a manager's leases.
 *
 * Guarantee: two stores on the same API server are never both told they hold a lease. Every write
 * is conditional on the resourceVersion last read; when someone wrote first (409 Conflict, or
 * AlreadyExists on create) the store reads again and decides again, up to 5 times, then reports
 * LeaseUnavailableError: contention is transient, and the manager retries Unavailable with back-off.
 *
 * Not guaranteed: fencing. Expiry is reckoned on this process's clock only (LocalExpiries): a lease
 * written by others lapses its leaseDurationSeconds after this process first saw that version, never
 * by comparing their renewTime with our clock. So a process that first sees an abandoned lease waits
 * one full duration before it may take it, and clock *rate* skew must stay small against the duration.
 *
 * A revoked or expired lease is kept as an object with holder "" rather than deleted, so the store
 * needs only get, list, watch, create and update (deploy/rbac.yaml).
 */
import type { CoordinationV1Api, KubeConfig, V1Lease, Watch } from '@kubernetes/client-node';
import { type Observable, defer, finalize, tap } from 'rxjs';
import { because, validate } from '../../lease/validation.js';
import { LeaseAlreadyExistsError, LeaseConflictError, LeaseInvalidError, LeaseNotFoundError, LeaseUnavailableError } from '../../lease/errors.js';
import { leaseSpecToLockRecord } from '../../lease/spec.js';
import { namespaceProblem } from '../../lease/kubernetesNames.js';
import type { Clock } from '../../time/clock.js';
import { realClock } from '../../time/realClock.js';
import { requestTimeout } from '../../lease/config.js';
import { kubernetesCall } from '../call.js';
import { kubernetesClient } from '../client.js';
import type { KubernetesVerb } from '../errors.js';
import { DEFAULT_WATCH_BACKOFF, type ListWatchEvent, leaseListWatch } from '../listWatch.js';
import { LocalExpiries } from './localExpiries.js';
import { type Decision, decideClaim, decideExpire, decidePin, decideRevoke, type ReadLease } from './decisions.js';
import { managedLeaseFeed } from './feed.js';
import { MANAGED_LEASE_SELECTOR, cachedLease, leaseKeyOf, managedLeaseBody, managedLeaseObjectName, pinnedByOf } from './object.js';
import {
  type ClaimOutcome,
  type ExpireOutcome,
  type LeaseKey,
  type ManagedLease,
  type ManagedLeaseChange,
  type ManagedLeaseStore,
  type PinOutcome,
  type RevokeOutcome,
  leaseKeyString,
} from '../../ports/managedLeaseStore.js';

export interface KubernetesManagedLeaseStoreOptions {
  /** The Kubernetes namespace holding the Lease objects (not the lease key's namespace). */
  namespace: string;
  /** Local time: expiry reckoning, request deadlines and watch back-off all use it; default realClock. */
  clock?: Clock;
  /** How long one API call may take before it fails as Unavailable; at least 1 s, default 10 s. */
  requestTimeoutMs?: number;
  /** Names this process in error messages; default none. */
  identity?: string;
  /** First and largest delay before a failed watch reconnects; default 500 ms doubling to 30 s. */
  watchBackoff?: { initial: number; max: number };
}

/** Reads and conditional writes one decision may take before contention is reported as Unavailable. */
const MAX_ATTEMPTS = 5;

/** Someone wrote between our read and our write: read again and decide again. */
const isLostRace = (error: unknown) =>
  error instanceof LeaseConflictError || error instanceof LeaseAlreadyExistsError || error instanceof LeaseNotFoundError;

interface ReadObject {
  object: V1Lease;
  lease: ReadLease;
}

export class KubernetesManagedLeaseStore implements ManagedLeaseStore {
  private readonly api: CoordinationV1Api;
  private readonly watcher: Watch;
  private readonly namespace: string;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly identity: string | undefined;
  private readonly watchBackoff: { initial: number; max: number };
  private readonly expiries: LocalExpiries;
  /**
   * Each object as this process last read, wrote or saw on its feed, without its managedFields
   * (cachedLease): the first attempt of a write starts from it. While a feed of this store is up
   * (listed, not down since), an object missing here does not exist as far as the feed knows, and a
   * claim creates it without reading first.
   */
  private readonly lastSeen = new Map<string, V1Lease>();
  private feedsUp = 0;

  constructor(
    private readonly kubeConfig: KubeConfig,
    options: KubernetesManagedLeaseStoreOptions,
  ) {
    validate(options, [
      {
        field: 'namespace',
        problem: ({ namespace }) => because(namespaceProblem(namespace), `the Kubernetes namespace for managed leases, ${JSON.stringify(namespace)}, is not a namespace name`),
      },
    ]);
    ({ api: this.api, watch: this.watcher } = kubernetesClient(kubeConfig));
    this.namespace = options.namespace;
    this.clock = options.clock ?? realClock;
    this.requestTimeoutMs = requestTimeout({ requestTimeoutMs: options.requestTimeoutMs });
    this.identity = options.identity;
    this.watchBackoff = options.watchBackoff ?? DEFAULT_WATCH_BACKOFF;
    this.expiries = new LocalExpiries(() => this.clock.now());
  }

  describe(): string {
    const server = this.kubeConfig.getCurrentCluster()?.server ?? 'no cluster';
    return `Leases labelled ${MANAGED_LEASE_SELECTOR} in namespace ${this.namespace} at ${server}`;
  }

  async claim(key: LeaseKey, holder: string, durationMs: number): Promise<ClaimOutcome> {
    if (holder === '') throw new LeaseInvalidError('a claim needs a holder ("" means the lease is gone)', this.errorContext(key));
    return this.decide(key, (current, now) => decideClaim(key, current, holder, durationMs, now));
  }

  revoke(key: LeaseKey, holder: string): Promise<RevokeOutcome> {
    return this.decide(key, (current) => decideRevoke(current, holder));
  }

  expire(key: LeaseKey): Promise<ExpireOutcome> {
    return this.decide(key, decideExpire);
  }

  pin(key: LeaseKey, entity: string): Promise<PinOutcome> {
    return this.decide(key, (current) => decidePin(key, current, entity, true));
  }

  unpin(key: LeaseKey, entity: string): Promise<PinOutcome> {
    return this.decide(key, (current) => decidePin(key, current, entity, false));
  }

  changes(): Observable<ManagedLeaseChange[]> {
    const events = leaseListWatch({ api: this.api, watch: this.watcher }, this.namespace, { labelSelector: MANAGED_LEASE_SELECTOR }, {
      clock: this.clock,
      backoff: this.watchBackoff,
      connectTimeout: this.requestTimeoutMs,
      errorContext: { identity: this.identity, lease: `managed leases in ${this.namespace}`, namespace: this.namespace },
    });
    return managedLeaseFeed(events.pipe(this.remembering()), { observe: (object) => this.observe(object), forget: (name) => this.expiries.forget(name) });
  }

  /** Keeps `lastSeen` as the feed shows the objects, and counts the feeds that are up. */
  private remembering() {
    return (events: Observable<ListWatchEvent>) =>
      defer(() => {
        let up = false;
        const setUp = (now: boolean) => {
          if (now !== up) this.feedsUp += now ? 1 : -1;
          up = now;
        };
        return events.pipe(
          tap((event) => {
            if (event.type === 'down') return setUp(false);
            if (event.type === 'changed') {
              const name = event.object.metadata?.name;
              if (name === undefined) return;
              if (event.change === 'DELETED') this.lastSeen.delete(name);
              else this.remember(name, event.object);
              return;
            }
            const listed = new Map(event.objects.flatMap((object) => (object.metadata?.name ? [[object.metadata.name, object] as const] : [])));
            for (const name of this.lastSeen.keys()) if (!listed.has(name)) this.lastSeen.delete(name);
            for (const [name, object] of listed) this.remember(name, object);
            setUp(true);
          }),
          finalize(() => setUp(false)),
        );
      });
  }

  /**
   * Caches `object` as the latest of `name`. The feed's echo of this store's own write carries the
   * version already cached (from the write's answer): the cached copy is kept, not replaced by an equal one.
   */
  private remember(name: string, object: V1Lease): void {
    const version = object.metadata?.resourceVersion;
    if (version === undefined || this.lastSeen.get(name)?.metadata?.resourceVersion !== version) this.lastSeen.set(name, cachedLease(object));
  }

  /** The lease an object holds now (null: gone), or undefined when the object is no managed lease. */
  private observe(object: V1Lease): ManagedLease | null | undefined {
    const key = leaseKeyOf(object);
    const name = object.metadata?.name;
    if (!key || name === undefined) return undefined;
    const { record, pinnedBy, expiry } = this.readLease(name, object);
    return record.holderIdentity === '' ? null : { key, holder: record.holderIdentity, expiry, pinnedBy };
  }

  private readLease(name: string, object: V1Lease): ReadLease {
    const record = leaseSpecToLockRecord(object.spec);
    const expiry = this.expiries.observed(name, object.metadata?.resourceVersion ?? '', record.leaseDurationSeconds);
    return { record, pinnedBy: pinnedByOf(object), expiry };
  }

  /**
   * Decides and writes conditionally; on a lost race reads and decides again. The first attempt
   * decides on the object as this process last saw it (or, while the feed is up, on its absence),
   * saving a GET on every extend and before every create: the write is conditional on that
   * resourceVersion (a create fails if the object exists), so a stale view can only cost a 409 and a
   * fresh read. A decision not to write is never taken on that view (it could be stale): it is re-read first.
   */
  private async decide<T>(key: LeaseKey, decision: (current: ReadLease | undefined, now: number) => Decision<T>): Promise<T> {
    const name = managedLeaseObjectName(key);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const cached = attempt === 1 ? this.lastSeen.get(name) : undefined;
      const known = cached !== undefined || (attempt === 1 && this.feedsUp > 0);
      let current = known ? cached && { object: cached, lease: this.readLease(name, cached) } : await this.read(key, name);
      let { outcome, write } = decision(current?.lease, this.clock.now());
      if (!write && known) {
        current = await this.read(key, name);
        ({ outcome, write } = decision(current?.lease, this.clock.now()));
      }
      if (!write) return outcome;
      const body = managedLeaseBody(name, this.namespace, key, write.record, write.pinnedBy, current?.object);
      try {
        const written = current
          ? await this.request('update', key, (options) => this.api.replaceNamespacedLease({ name, namespace: this.namespace, body }, options))
          : await this.request('create', key, (options) => this.api.createNamespacedLease({ namespace: this.namespace, body }, options));
        this.expiries.wrote(name, written.metadata?.resourceVersion ?? '', write.expiry);
        this.lastSeen.set(name, cachedLease(written));
        return outcome;
      } catch (error) {
        this.lastSeen.delete(name);
        if (!isLostRace(error)) throw error;
      }
    }
    throw new LeaseUnavailableError(`other writers changed the lease ${MAX_ATTEMPTS} times between our reads and writes`, this.errorContext(key));
  }

  private async read(key: LeaseKey, name: string): Promise<ReadObject | undefined> {
    try {
      const object = cachedLease(await this.request('get', key, (options) => this.api.readNamespacedLease({ name, namespace: this.namespace }, options)));
      this.lastSeen.set(name, object);
      return { object, lease: this.readLease(name, object) };
    } catch (error) {
      this.lastSeen.delete(name);
      if (error instanceof LeaseNotFoundError) return undefined;
      throw error;
    }
  }

  /** One call, given up as Unavailable after the request timeout on our clock; failures typed. */
  private request(verb: KubernetesVerb, key: LeaseKey, send: (options: object) => Promise<V1Lease>): Promise<V1Lease> {
    // The context (a hash of the key) is built only for an error: not on every extend.
    return kubernetesCall(verb, send, { timeoutMs: this.requestTimeoutMs, clock: this.clock, context: () => this.errorContext(key) });
  }

  private errorContext(key: LeaseKey) {
    return {
      lease: `${this.namespace}/${managedLeaseObjectName(key)} (${leaseKeyString(key)})`,
      identity: this.identity,
      namespace: this.namespace,
    };
  }
}
