/**
 * Kubernetes Events about a lease, recorded the way client-go's EventRecorder records leader
 * election: a core/v1 Event in the lease's namespace, `involvedObject` the Lease, reason
 * `LeaderElection`, named `<lease>.<hex nanoseconds>`, source and reportingComponent the component,
 * host and reportingInstance the host. Repeating the same event on the same lease within 10 minutes
 * patches the first one's `count` and `lastTimestamp` instead of creating another (client-go's
 * correlator), so `kubectl get events` shows "(x3 over 5m)".
 *
 * Recording never blocks or fails the caller: events go out in order, one at a time, and a failure
 * is logged and forgotten (an event is a courtesy to the operator, never part of the protocol).
 * RBAC: `create` and `patch` on core `events` (deploy/rbac.yaml).
 */
import { hostname } from 'node:os';
import { CoreV1Api, type CoreV1Event, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type Logger, silentLogger } from '../log/logger.js';
import { kubernetesClient } from './client.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';

export interface EventRecorderOptions {
  /** `source.component` and `reportingComponent`; default "leasehold". */
  component?: string;
  /** `source.host` and `reportingInstance`; default the hostname. */
  host?: string;
  clock?: Clock;
  /** Where failures to record go (at warn); default silent. */
  logger?: Logger;
}

/** What an event is about: the Lease as last read. */
export interface EventSubject {
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

/** client-go's correlator aggregates identical events seen within this window. */
const AGGREGATION_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 256;

interface Recorded {
  name: string;
  count: number;
  seenAt: number;
}

const time = (epochMs: number) => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class KubernetesEventRecorder {
  private readonly api: CoreV1Api;
  private readonly component: string;
  private readonly host: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recent = new Map<string, Recorded>();
  private queue: Promise<void> = Promise.resolve();
  /** Keeps names unique when two events fall in the same millisecond. */
  private sequence = 0;
  /** A failure was logged and no event has been recorded since: the next failure is not logged again. */
  private failing = false;

  constructor(kubeConfig: KubeConfig, options: EventRecorderOptions = {}) {
    this.api = kubernetesClient(kubeConfig).makeApiClient(CoreV1Api);
    this.component = options.component ?? 'leasehold';
    this.host = options.host ?? hostname();
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Queues one event about `subject`; resolves once it was sent (or its failure logged). */
  record(subject: EventSubject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = this.clock.now();
    this.queue = this.queue.then(() => this.send(subject, type, reason, message, now));
    return this.queue;
  }

  private async send(subject: EventSubject, type: 'Normal' | 'Warning', reason: string, message: string, now: number): Promise<void> {
    const key = JSON.stringify([subject.namespace, subject.name, subject.uid, type, reason, message]);
    const previous = this.recent.get(key);
    try {
      if (previous && now - previous.seenAt < AGGREGATION_WINDOW_MS) {
        const patched = await this.aggregate(subject.namespace, previous, now);
        if (patched) return;
      }
      const nanos = BigInt(Math.floor(now)) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
      const name = `${subject.name}.${nanos.toString(16)}`;
      const event: CoreV1Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: subject.namespace },
        involvedObject: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          namespace: subject.namespace,
          name: subject.name,
          ...(subject.uid ? { uid: subject.uid } : {}),
          ...(subject.resourceVersion ? { resourceVersion: subject.resourceVersion } : {}),
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: time(now) as unknown as Date,
        lastTimestamp: time(now) as unknown as Date,
        source: { component: this.component, host: this.host },
        reportingComponent: this.component,
        reportingInstance: this.host,
      };
      await this.api.createNamespacedEvent({ namespace: subject.namespace, body: event });
      this.remember(key, { name, count: 1, seenAt: now });
      this.recovered();
    } catch (error) {
      this.failed(subject, error);
    }
  }

  /**
   * Logs the first failure of a run of them, in one line that says what to grant when RBAC forbids it
   * (the most common cause in a new deployment); later failures stay quiet until an event goes out.
   */
  private failed(subject: EventSubject, error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const lease = `${subject.namespace}/${subject.name}`;
    const code = (error as { code?: unknown }).code;
    if (code === 403) {
      this.logger.warn(`cannot record Events about lease ${lease}: the API server forbids it (grant the verbs create and patch on events in namespace ${subject.namespace}, see deploy/rbac.yaml); leadership is not affected`, { lease });
    } else {
      this.logger.warn('could not record an event; leadership is not affected', { lease, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info('recording Events again');
  }

  /** Counts a repeat on the event already recorded; false when that event is gone (expired). */
  private async aggregate(namespace: string, previous: Recorded, now: number): Promise<boolean> {
    try {
      await this.api.patchNamespacedEvent(
        { namespace, name: previous.name, body: { count: previous.count + 1, lastTimestamp: time(now) } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      previous.count++;
      previous.seenAt = now;
      this.recovered();
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return false;
      throw error;
    }
  }

  private remember(key: string, recorded: Recorded): void {
    this.recent.delete(key);
    this.recent.set(key, recorded);
    if (this.recent.size > MAX_REMEMBERED) this.recent.delete(this.recent.keys().next().value!);
  }
}

const recorders = new WeakMap<KubeConfig, Map<string, KubernetesEventRecorder>>();

/**
 * The recorder for a kubeconfig, component and host, shared by every lock made from them (as
 * client-go shares one broadcaster per process), so that a repeat is counted whichever lock
 * records it. The first caller's clock and logger are the ones it keeps.
 */
export function eventRecorderFor(kubeConfig: KubeConfig, options: EventRecorderOptions = {}): KubernetesEventRecorder {
  const byOptions = recorders.get(kubeConfig) ?? new Map<string, KubernetesEventRecorder>();
  recorders.set(kubeConfig, byOptions);
  const key = JSON.stringify([options.component, options.host]);
  let recorder = byOptions.get(key);
  if (!recorder) byOptions.set(key, (recorder = new KubernetesEventRecorder(kubeConfig, options)));
  return recorder;
}
