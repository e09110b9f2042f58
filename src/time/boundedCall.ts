/**
 * One call with a deadline on the injected clock (so tests on a VirtualClock decide when a call
 * times out): `call` gets a signal that aborts when `signal` does or when `timeoutMs` have passed,
 * and a call cut off that way rejects with the abort's reason — `timedOut()` for the deadline.
 * Every store call of the participant runtime and of the Kubernetes managed-lease store goes through it.
 */
import type { Clock } from './clock.js';

export async function boundedCall<T>(
  clock: Clock,
  timeoutMs: number,
  call: (signal: AbortSignal) => Promise<T>,
  { signal, timedOut }: { signal?: AbortSignal; timedOut: () => Error },
): Promise<T> {
  signal?.throwIfAborted();
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = clock.setTimeout(() => controller.abort(timedOut()), timeoutMs);
  try {
    return await call(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
