/**
 * One @kubernetes/client-node call with a deadline on the injected clock (so tests on a VirtualClock
 * decide when a call times out). Failures become leasehold's typed errors; a call that got no answer
 * in time is Unavailable, like any other transient failure.
 */
import type { LeaseErrorContext } from '../lease/errors.js';
import { LeaseUnavailableError } from '../lease/errors.js';
import type { Clock } from '../time/clock.js';
import { type KubernetesVerb, toLeaseError } from './kubernetesErrors.js';

/** client-node's object-parameter API takes its own minimal observables: anything with toPromise(). */
const resolved = <T>(value: T) => ({ toPromise: () => Promise.resolve(value) });

export async function boundedRequest<T>(
  clock: Clock,
  timeoutMs: number,
  verb: KubernetesVerb,
  context: LeaseErrorContext & { namespace: string },
  send: (options: object) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), timeoutMs);
  const options = {
    middleware: [
      {
        pre: (request: { setSignal(signal: AbortSignal): void }) => {
          request.setSignal(controller.signal);
          return resolved(request);
        },
        post: <R>(response: R) => resolved(response),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
  try {
    return await send(options);
  } catch (error) {
    if (controller.signal.aborted) throw new LeaseUnavailableError(`${verb}: no answer within ${timeoutMs} ms`, context);
    throw toLeaseError(error, verb, context);
  } finally {
    clock.clearTimeout(timer);
  }
}
