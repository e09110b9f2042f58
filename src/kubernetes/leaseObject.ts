/**
 * One Lease object, as everything that works on a single lease sees it (KubernetesLeaseLock,
 * `leasehold handover`, the demo): read, create and replace it (kubernetesCall: typed errors, an
 * optional timeout), follow it through the list-then-watch loop (`null` while it does not exist),
 * and the two edits of a hand-over request, written on the object's annotation and, where the
 * server keeps it, its spec.preferredHolder (src/lease/handOverRequest.ts holds the rule).
 */
import type { CoordinationV1Api, KubeConfig, V1Lease, Watch } from '@kubernetes/client-node';
import { type Observable, mergeMap } from 'rxjs';
import { HAND_OVER_ANNOTATION, handOverRequest } from '../lease/handOverRequest.js';
import type { LeaseRef } from '../lease/record.js';
import type { Clock } from '../time/clock.js';
import { kubernetesCall, type KubernetesErrorContext } from './call.js';
import { kubernetesClient } from './client.js';
import { leaseListWatch } from './listWatch.js';

export interface LeaseObjectOptions {
  clock: Clock;
  /** What errors name; a function, so that it is built only for an error. */
  context: () => KubernetesErrorContext;
  /** Each read and write gives up after this long on `clock`; undefined: only its signal ends it. */
  timeoutMs?: number | undefined;
}

export interface FollowOptions {
  /** First and largest delay before a failed watch reconnects; default 500 ms doubling to 30 s. */
  backoff?: { initial: number; max: number } | undefined;
  /** How long a watch may take to connect (list included) before it is reported down; default 10 s. */
  connectTimeout?: number | undefined;
}

export type LeaseObjectEvent =
  /** The object as it is now; null: it does not exist. */
  | { type: 'observed'; lease: V1Lease | null }
  /** The watch is down (a typed error says why); it reconnects by itself. */
  | { type: 'down'; error: Error };

export class LeaseObject {
  private readonly api: CoordinationV1Api;
  private readonly watcher: Watch;

  constructor(
    kubeConfig: KubeConfig,
    readonly ref: LeaseRef,
    private readonly options: LeaseObjectOptions,
  ) {
    ({ api: this.api, watch: this.watcher } = kubernetesClient(kubeConfig));
  }

  read(signal?: AbortSignal): Promise<V1Lease> {
    return kubernetesCall('get', (options) => this.api.readNamespacedLease({ name: this.ref.name, namespace: this.ref.namespace }, options), this.callOptions(signal));
  }

  create(body: V1Lease, signal?: AbortSignal): Promise<V1Lease> {
    return kubernetesCall('create', (options) => this.api.createNamespacedLease({ namespace: this.ref.namespace, body }, options), this.callOptions(signal));
  }

  /** Replaces the object; conditional on `body.metadata.resourceVersion` (LeaseConflictError when it moved on). */
  replace(body: V1Lease, signal?: AbortSignal): Promise<V1Lease> {
    return kubernetesCall(
      'update',
      (options) => this.api.replaceNamespacedLease({ name: this.ref.name, namespace: this.ref.namespace, body }, options),
      this.callOptions(signal),
    );
  }

  /** The object now, then every change of it; never errors (reports 'down' and reconnects instead). */
  follow(options: FollowOptions = {}): Observable<LeaseObjectEvent> {
    const { name, namespace } = this.ref;
    const events = leaseListWatch({ api: this.api, watch: this.watcher }, namespace, { fieldSelector: `metadata.name=${name}` }, {
      clock: this.options.clock,
      errorContext: this.options.context(),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
    });
    return events.pipe(
      mergeMap((event): LeaseObjectEvent[] => {
        switch (event.type) {
          case 'listed':
            return [{ type: 'observed', lease: event.objects.find((lease) => lease.metadata?.name === name) ?? null }];
          case 'changed':
            return event.object.metadata?.name === name ? [{ type: 'observed', lease: event.change === 'DELETED' ? null : event.object }] : [];
          case 'down':
            return [event];
        }
      }),
    );
  }

  private callOptions(signal: AbortSignal | undefined) {
    return { signal, timeoutMs: this.options.timeoutMs, clock: this.options.clock, context: this.options.context };
  }
}

/** Who the object asks its holder to hand over to (the annotation, else spec.preferredHolder). */
export const handOverRequestOf = (lease: V1Lease): string | undefined =>
  handOverRequest({ annotation: lease.metadata?.annotations?.[HAND_OVER_ANNOTATION], preferredHolder: lease.spec?.preferredHolder });

/** A copy of `lease` asking its holder to hand over to `to`: the annotation, and spec.preferredHolder unless told not to. */
export function withHandOverRequest(lease: V1Lease, to: string, { preferredHolder }: { preferredHolder: boolean }): V1Lease {
  return {
    ...lease,
    metadata: { ...lease.metadata, annotations: { ...lease.metadata?.annotations, [HAND_OVER_ANNOTATION]: to } },
    spec: { ...lease.spec, ...(preferredHolder ? { preferredHolder: to } : {}) } as V1Lease['spec'],
  };
}

/**
 * A copy of `lease` without the request: the annotation goes, and spec.preferredHolder too unless
 * `ifNaming` is given and the field names someone else (a request that is not ours to withdraw).
 */
export function withoutHandOverRequest(lease: V1Lease, ifNaming?: string): V1Lease {
  const copy: V1Lease = { ...lease };
  if (lease.metadata?.annotations) {
    const { [HAND_OVER_ANNOTATION]: _request, ...annotations } = lease.metadata.annotations;
    copy.metadata = { ...lease.metadata, annotations };
  }
  if (lease.spec) {
    const { preferredHolder, ...spec } = lease.spec;
    copy.spec = ifNaming !== undefined && preferredHolder !== undefined && preferredHolder !== ifNaming ? lease.spec : spec;
  }
  return copy;
}
