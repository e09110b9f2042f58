/**
 * The LeaseLock port on a real coordination.k8s.io/v1 Lease, through @kubernetes/client-node:
 * read, create, and replace conditional on the resourceVersion last read; a watch of the one lease
 * (fieldSelector metadata.name) that resumes from the last resourceVersion, re-lists after 410
 * Expired, backs off on errors and reports itself down meanwhile so participants poll.
 *
 * Every call honours the AbortSignal it is given; the participant runtime bounds each call with a
 * timeout of max(1 s, renewDeadline / 2) on its clock.
 */
import { CoordinationV1Api, KubeConfig, type V1Lease, Watch } from '@kubernetes/client-node';
import { Observable } from 'rxjs';
import { LeaseUnavailableError } from '../lease/errors.js';
import { describeLease, type LeaseRecord, type LeaseRef, type ObservedLease } from '../lease/record.js';
import { isWellFormedSpec, leaseSpecToLockRecord, lockRecordToLeaseSpec } from '../lease/spec.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import { type KubernetesVerb, toLeaseError } from './kubernetesErrors.js';
import { type EventRecorderOptions, eventRecorderFor, type KubernetesEventRecorder } from './kubernetesEvents.js';
import { abortableBy } from './requestOptions.js';
import type { LeaseLock, LeaseLockFactory, LeaseWatchEvent } from './leaseLock.js';

export interface KubernetesLeaseLockOptions {
  /** Clock for watch back-off; default realClock. */
  clock?: Clock;
  /** Called with every recorded event (also kept in `events`, the last 100). */
  onEvent?: (message: string, lock: KubernetesLeaseLock) => void;
  /**
   * Record each event as a Kubernetes Event on the Lease, as client-go's EventRecorder does
   * (`kubectl get events`); default true, with component "leasehold". false: keep them local.
   */
  kubernetesEvents?: boolean | EventRecorderOptions;
  /** First and largest delay before a failed watch reconnects; default 500 ms doubling to 30 s. */
  watchBackoff?: { initial: number; max: number };
  /**
   * How long a watch may take to connect (list included) before it is given up and reported down;
   * default 10 s. client-node's Watch has no connect timeout of its own.
   */
  watchConnectTimeout?: number;
}

const MAX_EVENTS = 100;

export class KubernetesLeaseLock implements LeaseLock {
  readonly events: string[] = [];
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  /** The last object read or written, so updates keep labels, annotations and owner references. */
  private cached: V1Lease | undefined;
  private readonly recorder: KubernetesEventRecorder | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    readonly ref: LeaseRef,
    readonly identity: string,
    private readonly options: KubernetesLeaseLockOptions = {},
  ) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? realClock;
    const events = options.kubernetesEvents ?? true;
    if (events !== false) this.recorder = eventRecorderFor(kubeConfig, events === true ? {} : events);
  }

  describe(): string {
    return describeLease(this.ref);
  }

  recordEvent(message: string): void {
    this.events.push(message);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    this.options.onEvent?.(message, this);
    if (this.recorder) {
      const failed = message.startsWith('callback failed');
      // client-go prefixes the holder's identity: "pod-1 became leader".
      const text = message.startsWith(this.identity) ? message : `${this.identity} ${message}`;
      const { uid, resourceVersion } = this.cached?.metadata ?? {};
      void this.recorder.record({ ...this.ref, uid, resourceVersion }, failed ? 'Warning' : 'Normal', failed ? 'LeaderElectionCallbackFailed' : 'LeaderElection', text);
    }
  }

  get(signal?: AbortSignal): Promise<ObservedLease> {
    return this.call('get', signal, (options) =>
      this.api.readNamespacedLease({ name: this.ref.name, namespace: this.ref.namespace }, options),
    );
  }

  create(record: LeaseRecord, signal?: AbortSignal): Promise<ObservedLease> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.ref.name, namespace: this.ref.namespace },
      spec: lockRecordToLeaseSpec(record) as V1Lease['spec'],
    };
    return this.call('create', signal, (options) => this.api.createNamespacedLease({ namespace: this.ref.namespace, body }, options));
  }

  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal): Promise<ObservedLease> {
    const base = this.cached?.metadata?.resourceVersion === resourceVersion ? this.cached : undefined;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...base,
      metadata: { ...base?.metadata, name: this.ref.name, namespace: this.ref.namespace, resourceVersion },
      spec: { ...base?.spec, ...lockRecordToLeaseSpec(record) } as V1Lease['spec'],
    };
    return this.call('update', signal, (options) =>
      this.api.replaceNamespacedLease({ name: this.ref.name, namespace: this.ref.namespace, body }, options),
    );
  }

  watch(): Observable<LeaseWatchEvent> {
    return new Observable<LeaseWatchEvent>((subscriber) => {
      const { initial = 500, max = 30_000 } = this.options.watchBackoff ?? {};
      let closed = false;
      let resourceVersion: string | undefined;
      let backoff = initial;
      let connection: AbortController | undefined;
      let retry: TimerHandle | undefined;

      const down = (error: unknown) => {
        if (closed) return;
        resourceVersion = undefined; // after a failure, re-list: we may have missed changes
        subscriber.next({ type: 'down', error: toLeaseError(error, 'watch', this.errorContext) });
        retry = this.clock.setTimeout(connect, backoff);
        backoff = Math.min(max, backoff * 2);
      };

      // Each connection attempt has a number; events and ends from an abandoned attempt are ignored.
      let attempt = 0;

      const connect = async () => {
        retry = undefined;
        if (closed) return;
        const current = ++attempt;
        const live = () => !closed && current === attempt;
        const onEvent = (type: string, object: unknown) => {
          if (!live()) return;
          const lease = object as V1Lease;
          if (type === 'ERROR') {
            // 410 Expired: our resourceVersion is too old; the stream ends and we re-list.
            resourceVersion = undefined;
            return;
          }
          resourceVersion = lease?.metadata?.resourceVersion ?? resourceVersion;
          if (type === 'BOOKMARK') return;
          backoff = initial;
          if (lease?.metadata?.name !== this.ref.name) return;
          subscriber.next({ type: 'observed', lease: type === 'DELETED' ? null : this.observe(lease) });
        };
        const onDone = (error: unknown) => {
          if (!live()) return;
          if (error) down(error);
          else void connect(); // the server ended the stream (timeoutSeconds): resume, or re-list after a 410
        };
        const connectTimeout = this.options.watchConnectTimeout ?? 10_000;
        const giveUp = this.clock.setTimeout(() => {
          if (!live()) return;
          attempt++; // whatever this attempt still delivers is stale now
          down(new LeaseUnavailableError(`watch: no answer within ${connectTimeout} ms`, this.errorContext));
        }, connectTimeout);
        try {
          if (resourceVersion === undefined) {
            const list = await this.api.listNamespacedLease({
              namespace: this.ref.namespace,
              fieldSelector: `metadata.name=${this.ref.name}`,
            });
            if (!live()) return;
            const item = list.items.find((lease) => lease.metadata?.name === this.ref.name);
            subscriber.next({ type: 'observed', lease: item ? this.observe(item) : null });
            resourceVersion = list.metadata?.resourceVersion;
          }
          const started = await new Watch(this.kubeConfig).watch(
            `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/leases`,
            { fieldSelector: `metadata.name=${this.ref.name}`, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 },
            onEvent,
            onDone,
          );
          if (live()) connection = started;
          else started.abort();
        } catch (error) {
          if (live()) down(error);
        } finally {
          this.clock.clearTimeout(giveUp);
        }
      };

      void connect();
      return () => {
        closed = true;
        if (retry !== undefined) this.clock.clearTimeout(retry);
        connection?.abort();
      };
    });
  }

  private get errorContext() {
    return { lease: this.describe(), identity: this.identity, namespace: this.ref.namespace };
  }

  private observe(lease: V1Lease): ObservedLease {
    this.cached = lease;
    const observed: ObservedLease = {
      record: leaseSpecToLockRecord(lease.spec),
      resourceVersion: lease.metadata?.resourceVersion ?? '',
    };
    if (!isWellFormedSpec(lease.spec)) observed.malformed = true;
    return observed;
  }

  private async call(
    verb: KubernetesVerb,
    signal: AbortSignal | undefined,
    send: (options: object) => Promise<V1Lease>,
  ): Promise<ObservedLease> {
    signal?.throwIfAborted();
    try {
      const lease = await send(abortableBy(signal));
      if (!lease?.metadata?.resourceVersion) {
        throw new LeaseUnavailableError(`${verb}: the API answered without a Lease`, this.errorContext);
      }
      return this.observe(lease);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw toLeaseError(error, verb, this.errorContext);
    }
  }
}

/** Hands out KubernetesLeaseLocks sharing one kubeconfig (for LeaseLocker and the CLI). */
export class KubernetesLeaseLocks implements LeaseLockFactory {
  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly options: KubernetesLeaseLockOptions = {},
  ) {}

  lockFor(ref: LeaseRef, identity: string): KubernetesLeaseLock {
    return new KubernetesLeaseLock(this.kubeConfig, ref, identity, this.options);
  }
}
