/**
 * The LeaseLock port on a real coordination.k8s.io/v1 Lease, through @kubernetes/client-node:
 * read, create, and replace conditional on the resourceVersion last read; a watch of the one lease
 * (fieldSelector metadata.name) through the list-then-watch loop (listWatch.ts), which reports
 * itself down while it cannot reach the server, so participants poll meanwhile. The calls and the
 * watch go through the single-lease view (leaseObject.ts) that `leasehold handover` uses too.
 *
 * Every call honours the AbortSignal it is given; the participant runtime bounds each call with a
 * timeout of max(1 s, renewDeadline / 2) on its clock.
 */
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import { type Observable, map } from 'rxjs';
import { LeaseUnavailableError } from '../lease/errors.js';
import { because, type Rule, validate } from '../lease/validation.js';
import { namespaceProblem, objectNameProblem } from '../lease/kubernetesNames.js';
import { describeLease, type LeaseRecord, type LeaseRef, type ObservedLease } from '../lease/record.js';
import { compareResourceVersions } from '../lease/resourceVersion.js';
import { settlesHandOverRequest } from '../lease/handOverRequest.js';
import { isWellFormedSpec, leaseSpecToLockRecord, lockRecordToLeaseSpec } from '../lease/spec.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import type { KubernetesVerb } from './errors.js';
import { type EventRecorderOptions, eventRecorderFor, type KubernetesEventRecorder } from './events.js';
import type { LeaseLock, LeaseLockFactory, LeaseWatchEvent } from '../ports/leaseLock.js';
import { LeaseObject, handOverRequestOf, withoutHandOverRequest } from './leaseObject.js';

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

const REF_RULES: readonly Rule<LeaseRef>[] = [
  { field: 'namespace', problem: ({ namespace }) => because(namespaceProblem(namespace), `namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name`) },
  { field: 'name', problem: ({ name }) => because(objectNameProblem(name), `lease name ${JSON.stringify(name)} is not a Kubernetes object name`) },
];

export class KubernetesLeaseLock implements LeaseLock {
  readonly events: string[] = [];
  private readonly object: LeaseObject;
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
    validate(ref, REF_RULES, { lease: describeLease(ref), identity });
    // No timeout of its own: the participant bounds each call (src/kubernetes/call.ts says why).
    this.object = new LeaseObject(kubeConfig, ref, { clock: options.clock ?? realClock, context: () => this.errorContext });
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
    return this.object.read(signal).then((lease) => this.answered('get', lease));
  }

  create(record: LeaseRecord, signal?: AbortSignal): Promise<ObservedLease> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.ref.name, namespace: this.ref.namespace },
      spec: lockRecordToLeaseSpec(record) as V1Lease['spec'],
    };
    return this.object.create(body, signal).then((lease) => this.answered('create', lease));
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
    const settles = base && settlesHandOverRequest(leaseSpecToLockRecord(base.spec).holderIdentity, handOverRequestOf(base), record.holderIdentity);
    return this.object.replace(settles ? withoutHandOverRequest(body) : body, signal).then((lease) => this.answered('update', lease));
  }

  watch(): Observable<LeaseWatchEvent> {
    const follow = this.object.follow({ backoff: this.options.watchBackoff, connectTimeout: this.options.watchConnectTimeout });
    return follow.pipe(map((event): LeaseWatchEvent => (event.type === 'down' ? event : { type: 'observed', lease: event.lease ? this.observe(event.lease) : null })));
  }

  private get errorContext() {
    return { lease: this.describe(), identity: this.identity, namespace: this.ref.namespace };
  }

  /** What a call answered, as the port reports it; an answer without a Lease is no answer. */
  private answered(verb: KubernetesVerb, lease: V1Lease): ObservedLease {
    if (!lease?.metadata?.resourceVersion) throw new LeaseUnavailableError(`${verb}: the API answered without a Lease`, this.errorContext);
    return this.observe(lease);
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
    const request = handOverRequestOf(lease);
    if (request !== undefined) observed.handOverTo = request;
    return observed;
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
