/**
 * How a call to the lease store failed, read from any value. A pure leaf module (it imports
 * nothing at run time), so the machines in machines/ can use it as well as the adapters: see
 * "Layering" in machines/leaseParticipant.ts for the rule.
 */

/** Every kind a LeaseApiError can have, as `error.kind` names it. */
export const LEASE_ERROR_KINDS = ['NotFound', 'Conflict', 'AlreadyExists', 'Invalid', 'Forbidden', 'Unavailable'] as const;

export type LeaseErrorKind = (typeof LEASE_ERROR_KINDS)[number];

/**
 * The kind of a lease-store error (a LeaseApiError, or anything carrying one of the kinds in
 * `kind`), undefined for anything else. Duck-typed on purpose: the machines never see classes.
 */
export function errorKind(error: unknown): LeaseErrorKind | undefined {
  const kind = typeof error === 'object' && error !== null ? (error as { kind?: unknown }).kind : undefined;
  return LEASE_ERROR_KINDS.find((known) => known === kind);
}
