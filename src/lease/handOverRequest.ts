/**
 * Asking a leader from outside to hand its lease over: the Lease's annotation
 * `leasehold.io/hand-over-to` or, where the API server keeps it (coordination.k8s.io/v1 since
 * Kubernetes 1.31), `spec.preferredHolder`. The annotation wins when both name someone. A pure leaf
 * module (no run-time imports): the adapters and the machine read the same rule.
 */

/** The annotation a hand-over request is written to (`leasehold handover` writes it). */
export const HAND_OVER_ANNOTATION = 'leasehold.io/hand-over-to';

/** Where a request can be written on a Lease, as read from it (any value: only non-empty strings count). */
export interface HandOverRequestFields {
  annotation?: unknown;
  preferredHolder?: unknown;
}

const named = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The identity a Lease asks its holder to hand over to: the annotation, else spec.preferredHolder; undefined if neither. */
export function handOverRequest({ annotation, preferredHolder }: HandOverRequestFields): string | undefined {
  return named(annotation) ?? named(preferredHolder);
}

/**
 * A write settles the request, and clears both fields, when it changes the holder (a hand-over, a
 * takeover, a release: the request was made to a holder that is gone) or names the identity the
 * request names (it holds the lease already: a request naming the holder itself is void). Any
 * other write (a renew by the holder asked) keeps it.
 */
export function settlesHandOverRequest(previousHolder: string, request: string | undefined, writtenHolder: string): boolean {
  return request !== undefined && (writtenHolder !== previousHolder || writtenHolder === request);
}
