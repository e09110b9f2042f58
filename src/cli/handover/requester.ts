/**
 * Asking a lease's leader from outside to hand the lease to a chosen identity, as `leasehold
 * handover` does: write the request on the Lease (the annotation leasehold.io/hand-over-to, and
 * spec.preferredHolder where the server keeps it), conditionally on the version just read (re-read
 * and retried on 409, as kubectl edit does), then follow the lease through the list-then-watch loop
 * until the target leads (progress.ts), and withdraw a request still pending when the wait
 * ends without it (a timeout, Ctrl-C), so no later leader acts on a request nobody waits for.
 *
 * It reads, writes and follows the lease through the single-lease view KubernetesLeaseLock uses
 * (src/kubernetes/leaseObject.ts): the same client, the same typed errors, the same request timeout.
 */
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import { formatDuration } from '../../lease/duration.js';
import { requestTimeout } from '../../lease/config.js';
import { HandOverError, LeaseConflictError, LeaseInvalidError } from '../../lease/errors.js';
import { HAND_OVER_ANNOTATION } from '../../lease/handOverRequest.js';
import { describeLease, type LeaseRef } from '../../lease/record.js';
import { LeaseObject, withHandOverRequest, withoutHandOverRequest } from '../../kubernetes/leaseObject.js';
import type { Clock } from '../../time/clock.js';
import { HandOverProgress, type LeaseView, viewOf } from './progress.js';

/** Without --timeout: twice the lease's duration (a leader sees the request and a target renews well within one), at least this. */
const MIN_DEFAULT_TIMEOUT_MS = 30_000;
/** How long withdrawing a pending request may take once the wait is over. */
const WITHDRAW_TIMEOUT_MS = 5_000;

const defaultTimeout = (leaseDurationSeconds: number) => Math.max(MIN_DEFAULT_TIMEOUT_MS, 2 * leaseDurationSeconds * 1000);

export interface HandOverRequest {
  ref: LeaseRef;
  to: string;
  /** Milliseconds from the start until the command gives up; undefined: defaultTimeout of the lease. */
  timeout: number | undefined;
  clock: Clock;
  /** Progress lines. */
  print(line: string): void;
  /** Aborts the wait (Ctrl-C): the request is withdrawn and the call rejects with HandOverError 'aborted'. */
  signal: AbortSignal;
}

export type HandOverOutcome = { kind: 'alreadyHolder'; lease: LeaseView } | { kind: 'leads'; lease: LeaseView; afterMs: number };

export async function requestHandOver(kubeConfig: KubeConfig, request: HandOverRequest): Promise<HandOverOutcome> {
  const { ref, to, clock, print } = request;
  const started = clock.now();
  const context = { lease: describeLease(ref), namespace: ref.namespace };
  const object = new LeaseObject(kubeConfig, ref, { clock, context: () => context, timeoutMs: requestTimeout({}) });
  const fail = (message: string, reason: 'timeout' | 'overtaken' | 'aborted') => new HandOverError(message, context, to, reason);

  // One deadline for everything, known once the lease (and so its duration) has been read.
  const deadline = new AbortController();
  const interrupted = () => deadline.abort(fail('interrupted', 'aborted'));
  if (request.signal.aborted) interrupted();
  request.signal.addEventListener('abort', interrupted, { once: true });
  let timer: unknown;
  const armDeadline = (timeout: number) => {
    timer = clock.setTimeout(() => deadline.abort(fail(`${to} did not take the lease within ${formatDuration(timeout)}`, 'timeout')), Math.max(0, started + timeout - clock.now()));
  };
  if (request.timeout !== undefined) armDeadline(request.timeout);
  /** A request of ours may be on the lease: from the moment its write is sent until the target leads. */
  let pending = false;
  try {
    const written = await writeRequest();
    if (written.kind === 'alreadyHolder') return written;
    const progress = new HandOverProgress(to, written.lease);
    const lease = await follow(progress);
    pending = false;
    return { kind: 'leads', lease, afterMs: clock.now() - started };
  } catch (error) {
    if (pending && deadline.signal.aborted) await withdraw();
    throw error;
  } finally {
    clock.clearTimeout(timer);
    request.signal.removeEventListener('abort', interrupted);
  }

  /** The request on the lease, conditionally on the version read; 409: read again and retry. */
  async function writeRequest(): Promise<{ kind: 'written'; lease: LeaseView } | { kind: 'alreadyHolder'; lease: LeaseView }> {
    let withPreferredHolder = true;
    for (;;) {
      const lease = await object.read(deadline.signal);
      const current = viewOf(lease);
      if (request.timeout === undefined && timer === undefined) armDeadline(defaultTimeout(current.record.leaseDurationSeconds));
      if (current.record.holderIdentity === to) return { kind: 'alreadyHolder', lease: current };
      try {
        pending = true;
        const answer = await object.replace(withHandOverRequest(lease, to, { preferredHolder: withPreferredHolder }), deadline.signal);
        const stored = viewOf(answer);
        // The answer is the object as stored: a server without the field (or with it gated off) drops it.
        const kept = answer.spec?.preferredHolder === to;
        if (stored.request !== to) throw fail(`the server did not keep the request (annotation ${HAND_OVER_ANNOTATION})`, 'overtaken');
        print(
          `request written: annotation ${HAND_OVER_ANNOTATION}=${to}${kept ? ` and spec.preferredHolder=${to}` : ' (the server did not keep spec.preferredHolder)'}` +
            ` at resourceVersion ${stored.resourceVersion}; holder ${describeHolder(stored)}`,
        );
        return { kind: 'written', lease: stored };
      } catch (error) {
        if (error instanceof LeaseConflictError) continue; // written meanwhile (a renew): read it again
        // Kubernetes accepts spec.preferredHolder only on a lease with a spec.strategy: the annotation alone then.
        if (withPreferredHolder && error instanceof LeaseInvalidError && /preferredHolder/.test(`${error.message} ${error.causes.join(' ')}`)) {
          withPreferredHolder = false;
          continue;
        }
        throw error;
      }
    }
  }

  /** Follows the lease until the target leads; rejects when it cannot any more, or at the deadline. */
  function follow(progress: HandOverProgress): Promise<LeaseView> {
    return new Promise<LeaseView>((resolve, reject) => {
      const onDeadline = () => {
        subscription.unsubscribe();
        reject(deadline.signal.reason);
      };
      const observe = (lease: V1Lease | null) => {
        const view = lease ? viewOf(lease) : null;
        const step = progress.next(view);
        const settle = (outcome: () => void) => {
          subscription.unsubscribe();
          deadline.signal.removeEventListener('abort', onDeadline);
          outcome();
        };
        switch (step.kind) {
          case 'waiting':
            if (step.holderChanged) print(`holder now ${describeHolder(view!)}; the request still names ${to}`);
            return;
          case 'named':
            return print(`the lease names ${to} now (term ${view!.record.leaseTransitions}); waiting for ${to} to renew it`);
          case 'leads':
            return settle(() => resolve(view!));
          case 'failed':
            return settle(() => reject(fail(step.why, 'overtaken')));
        }
      };
      const subscription = object.follow().subscribe((event) => {
        if (event.type === 'down') print(`watch down (${event.error.message}); reconnecting`);
        else observe(event.lease);
      });
      if (deadline.signal.aborted) onDeadline();
      else deadline.signal.addEventListener('abort', onDeadline, { once: true });
    });
  }

  /** Removes a request still naming the target from a lease the target does not hold; 409: read again. */
  async function withdraw(): Promise<void> {
    const giveUp = new AbortController();
    const giveUpTimer = clock.setTimeout(() => giveUp.abort(new Error('timed out')), WITHDRAW_TIMEOUT_MS);
    try {
      for (;;) {
        const lease = await object.read(giveUp.signal);
        const current = viewOf(lease);
        if (current.request !== to || current.record.holderIdentity === to) return;
        try {
          await object.replace(withoutHandOverRequest(lease, to), giveUp.signal);
          return print(`request withdrawn: the lease no longer asks for ${to}`);
        } catch (error) {
          if (!(error instanceof LeaseConflictError)) throw error;
        }
      }
    } catch (error) {
      print(`could not withdraw the request (${error instanceof Error ? error.message : String(error)}): the lease still asks for ${to}`);
    } finally {
      clock.clearTimeout(giveUpTimer);
    }
  }
}

const describeHolder = ({ record }: LeaseView) => `${record.holderIdentity || '(none: free)'} (term ${record.leaseTransitions})`;
