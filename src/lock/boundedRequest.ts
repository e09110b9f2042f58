/**
 * One @kubernetes/client-node call with a deadline on the injected clock (so tests on a VirtualClock
 * decide when a call times out). Failures become leasehold's typed errors; a call that got no answer
 * in time is Unavailable, like any other transient failure.
 */
import type { LeaseErrorContext } from '../lease/errors.js';
import { LeaseUnavailableError } from '../lease/errors.js';
import type { Clock } from '../time/clock.js';
import { type KubernetesVerb, toLeaseError } from './kubernetesErrors.js';
import { abortableBy } from './requestOptions.js';

export async function boundedRequest<T>(
  clock: Clock,
  timeoutMs: number,
  verb: KubernetesVerb,
  context: LeaseErrorContext & { namespace: string },
  send: (options: object) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await send(abortableBy(controller.signal));
  } catch (error) {
    if (controller.signal.aborted) throw new LeaseUnavailableError(`${verb}: no answer within ${timeoutMs} ms`, context);
    throw toLeaseError(error, verb, context);
  } finally {
    clock.clearTimeout(timer);
  }
}
