/**
 * The one way leasehold calls the Kubernetes API: a client-node call sent through the pooled undici
 * dispatcher (requestOptions.ts), abortable by `signal`, given up after `timeoutMs` on the injected
 * clock when one is set, and failing only with the typed errors of src/lease/errors.ts (errors.ts
 * maps them). KubernetesLeaseLock, the managed store and `leasehold handover` all call through here.
 *
 * The request timeout: a participant bounds each of its LeaseLock calls itself, with
 * max(1 s, renewDeadline / 2) on its clock (runtime/participantImplementations.ts), whatever the
 * adapter, so a lock's calls here carry no timeout of their own. Callers without a participant
 * above them (the managed store, the CLI) pass `timeoutMs`.
 */
import { LeaseUnavailableError, type LeaseErrorContext } from '../lease/errors.js';
import { boundedCall } from '../time/boundedCall.js';
import type { Clock } from '../time/clock.js';
import { type KubernetesVerb, toLeaseError } from './errors.js';
import { requestOptions } from './requestOptions.js';

export type KubernetesErrorContext = LeaseErrorContext & { namespace: string };

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Give the call up after this long on `clock`, as LeaseUnavailableError; undefined: only `signal` ends it. */
  timeoutMs?: number | undefined;
  clock: Clock;
  /** What an error names; a function, so that it is built only for an error (not on every renew). */
  context: () => KubernetesErrorContext;
}

/** Sends `send(options)`; an abort rejects with the signal's reason, any other failure with a typed error. */
export async function kubernetesCall<T>(verb: KubernetesVerb, send: (options: object) => Promise<T>, options: CallOptions): Promise<T> {
  const { signal, timeoutMs, clock, context } = options;
  signal?.throwIfAborted();
  try {
    if (timeoutMs === undefined) return await send(requestOptions(signal));
    const timedOut = () => new LeaseUnavailableError(`${verb}: no answer within ${timeoutMs} ms`, context());
    return await boundedCall(clock, timeoutMs, (bounded) => send(requestOptions(bounded)), { ...(signal ? { signal } : {}), timedOut });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toLeaseError(error, verb, context());
  }
}
