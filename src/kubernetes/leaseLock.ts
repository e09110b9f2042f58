/**
 * The LeaseLock port on a real coordination.k8s.io/v1 Lease, through @kubernetes/client-node:
 * read, create, and replace conditional on the resourceVersion last read; a watch of the one lease
 * (fieldSelector metadata.name) through the list-then-watch loop (listWatch.ts), which reports
 * itself down while it cannot reach the server, so participants poll meanwhile.
 *
 * Every call honours the AbortSignal it is given; the participant runtime bounds each call with a
 * timeout of max(1 s, renewDeadline / 2) on its clock.
 */
import type { CoordinationV1Api, KubeConfig, V1Lease, Watch } from '@kubernetes/client-node';
import { type Observable, mergeMap } from 'rxjs';
import { ConfigError, LeaseUnavailableError } from '../lease/errors.js';
import { namespaceProblem, objectNameProblem } from '../lease/kubernetesNames.js';
import { describeLease, type LeaseRecord, type LeaseRef, type ObservedLease } from '../lease/record.js';
import { compareResourceVersions } from '../lease/resourceVersion.js';
import { HAND_OVER_ANNOTATION, handOverRequest, settlesHandOverRequest } from '../lease/handOverRequest.js';
import { isWellFormedSpec, leaseSpecToLockRecord, lockRecordToLeaseSpec } from '../lease/spec.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import { kubernetesClient } from './client.js';
import { type KubernetesVerb, toLeaseError } from './errors.js';
import { type EventRecorderOptions, eventRecorderFor, type KubernetesEventRecorder } from './events.js';
import type { LeaseLock, LeaseLockFactory, LeaseWatchEvent } from '../ports/leaseLock.js';
import { leaseListWatch } from './listWatch.js';
import { requestOptions } from './requestOptions.js';

export interface KubernetesLeaseLockOptions {
  /** Clock for the watch's back-off and connect timeout; default realClock. */
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
   * default 10 s, on `clock`.
   */
  watchConnectTimeout?: number;
}

const MAX_EVENTS = 100;

export class KubernetesLeaseLock implements LeaseLock {
  readonly events: string[] = [];
  private readonly api: CoordinationV1Api;
  private readonly watcher: Watch;
  private readonly clock: Clock;
  /** The newest object read, written or watched, so updates keep labels, annotations and owner references. */
  private cached: V1Lease | undefined;
  private readonly recorder: KubernetesEventRecorder | undefined;

  constructor(
    kubeConfig: KubeConfig,
    readonly ref: LeaseRef,
    readonly identity: string,
    private readonly options: KubernetesLeaseLockOptions = {},
  ) {
    // No API server would take these: say so now, not as a 422 (or a 404) on every retry.
    const context = { lease: describeLease(ref), identity };
    const namespaceWhy = namespaceProblem(ref.namespace);
    if (namespaceWhy) throw new ConfigError(`namespace ${JSON.stringify(ref.namespace)} is not a Kubernetes namespace name: ${namespaceWhy}`, 'namespace', context);
    const nameWhy = objectNameProblem(ref.name);
    if (nameWhy) throw new ConfigError(`lease name ${JSON.stringify(ref.name)} is not a Kubernetes object name: ${nameWhy}`, 'name', context);
    ({ api: this.api, watch: this.watcher } = kubernetesClient(kubeConfig));
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
    if (base && settlesHandOverRequest(leaseSpecToLockRecord(base.spec).holderIdentity, this.requestOf(base), record.holderIdentity)) {
      withoutHandOverRequest(body);
    }
    return this.call('update', signal, (options) =>
      this.api.replaceNamespacedLease({ name: this.ref.name, namespace: this.ref.namespace, body }, options),
    );
  }

  watch(): Observable<LeaseWatchEvent> {
    const observed = (lease: V1Lease | null): LeaseWatchEvent[] => [{ type: 'observed', lease: lease ? this.observe(lease) : null }];
    const events = leaseListWatch({ api: this.api, watch: this.watcher }, this.ref.namespace, { fieldSelector: `metadata.name=${this.ref.name}` }, {
      clock: this.clock,
      errorContext: this.errorContext,
      ...(this.options.watchBackoff ? { backoff: this.options.watchBackoff } : {}),
      ...(this.options.watchConnectTimeout !== undefined ? { connectTimeout: this.options.watchConnectTimeout } : {}),
    });
    return events.pipe(
      mergeMap((event): LeaseWatchEvent[] => {
        switch (event.type) {
          case 'listed':
            return observed(event.objects.find((lease) => lease.metadata?.name === this.ref.name) ?? null);
          case 'changed':
            return event.object.metadata?.name === this.ref.name ? observed(event.change === 'DELETED' ? null : event.object) : [];
          case 'down':
            return [{ type: 'down', error: event.error }];
        }
      }),
    );
  }

  private get errorContext() {
    return { lease: this.describe(), identity: this.identity, namespace: this.ref.namespace };
  }

  private observe(lease: V1Lease): ObservedLease {
    // A read answered after the watch delivered a later write keeps the later object: writes spread
    // it (annotations, labels, fields leasehold does not know), and the participant writes over it.
    const older = this.cached && compareResourceVersions(lease.metadata?.resourceVersion ?? '', this.cached.metadata?.resourceVersion ?? '') === -1;
    if (!older) this.cached = lease;
    const observed: ObservedLease = {
      record: leaseSpecToLockRecord(lease.spec),
      resourceVersion: lease.metadata?.resourceVersion ?? '',
    };
    if (!isWellFormedSpec(lease.spec)) observed.malformed = true;
    const request = this.requestOf(lease);
    if (request !== undefined) observed.handOverTo = request;
    return observed;
  }

  private requestOf(lease: V1Lease): string | undefined {
    return handOverRequest({ annotation: lease.metadata?.annotations?.[HAND_OVER_ANNOTATION], preferredHolder: lease.spec?.preferredHolder });
  }

  private async call(
    verb: KubernetesVerb,
    signal: AbortSignal | undefined,
    send: (options: object) => Promise<V1Lease>,
  ): Promise<ObservedLease> {
    signal?.throwIfAborted();
    try {
      const lease = await send(requestOptions(signal));
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

/** Removes both places a hand-over request is written (the body is a fresh copy of the cached object). */
function withoutHandOverRequest(body: V1Lease): void {
  if (body.spec) delete body.spec.preferredHolder;
  const annotations = body.metadata?.annotations;
  if (annotations && HAND_OVER_ANNOTATION in annotations) {
    const { [HAND_OVER_ANNOTATION]: _request, ...rest } = annotations;
    body.metadata!.annotations = rest;
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
