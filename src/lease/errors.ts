/**
 * The one error hierarchy of leasehold. Every error names the lease and, where there is one, the
 * identity acting on it, so a log line alone says who failed on what.
 *
 * LeaseholdError
 * ├── ConfigError              bad configuration or environment (thrown at construction)
 * ├── LeaseApiError            a call to the lease store failed; `kind` says how
 * │   ├── LeaseNotFoundError       404: no such lease
 * │   ├── LeaseConflictError       409 Conflict: resourceVersion is stale (someone wrote first)
 * │   ├── LeaseAlreadyExistsError  409 AlreadyExists: create of an existing name
 * │   ├── LeaseInvalidError        400/422: the store refused the object; `causes` lists why
 * │   ├── LeaseForbiddenError      401/403: credentials or RBAC; `hint` names what is missing
 * │   └── LeaseUnavailableError    5xx, timeouts, network: transient, retried
 * ├── LeadershipError          leadership was lost or refused (fatal preemption, health check, run twice)
 * │   └── HandOverError            handOver(to) did not end with `to` leading; `reason` says why
 * ├── RolloutManagerError      coordinateRollout could not answer (stopped, or called re-entrantly)
 * └── LeaseManagerError        the multi-lease manager refused or could not finish a request
 *     ├── InvalidLeaseRequestError the secretary rejected a lease name, holder or duration
 *     ├── ClaimDeniedError         another holder has the lease
 *     ├── NotHeldError             the holder does not hold the lease (check, revoke, pin)
 *     ├── LeaseTimeoutError        the store stayed unavailable through every retry
 *     ├── WaitCancelledError       waitUntilExpired was aborted by its signal
 *     └── LeaseManagerStoppedError the manager stopped (stop(), or a fatal store error as `cause`)
 */

import type { LeaseErrorKind } from './errorKind.js';

export { errorKind, type LeaseErrorKind } from './errorKind.js';

/** Who failed on what: every error carries it. */
export interface LeaseErrorContext {
  /** `namespace/name` of the lease. */
  lease?: string;
  identity?: string;
}

function describeContext({ lease, identity }: LeaseErrorContext): string {
  const parts = [lease && `lease ${lease}`, identity && `identity ${identity}`].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The root of every error leasehold throws; the message ends with the lease and the identity. */
export class LeaseholdError extends Error {
  readonly lease: string | undefined;
  readonly identity: string | undefined;

  constructor(message: string, context: LeaseErrorContext = {}, options?: ErrorOptions) {
    super(`${message}${describeContext(context)}`, options);
    this.name = new.target.name;
    this.lease = context.lease;
    this.identity = context.identity;
  }
}

/** Invalid configuration; `field` names the option or environment variable. */
export class ConfigError extends LeaseholdError {
  constructor(
    message: string,
    readonly field?: string,
    context: LeaseErrorContext = {},
  ) {
    super(message, context);
  }
}

/** A call to the lease store failed; `kind` says how, `transient` whether retrying may help. */
export abstract class LeaseApiError extends LeaseholdError {
  abstract readonly kind: LeaseErrorKind;
  /** True when retrying the same call later may succeed. */
  get transient(): boolean {
    return this.kind === 'Unavailable';
  }
}

/** 404: no such lease. */
export class LeaseNotFoundError extends LeaseApiError {
  readonly kind = 'NotFound';
}

/** 409 Conflict: the resourceVersion is stale (someone wrote first). */
export class LeaseConflictError extends LeaseApiError {
  readonly kind = 'Conflict';
}

/** 409 AlreadyExists: create of a name that exists. */
export class LeaseAlreadyExistsError extends LeaseApiError {
  readonly kind = 'AlreadyExists';
}

/** 400/422: the store refused the object; `causes` lists why. */
export class LeaseInvalidError extends LeaseApiError {
  readonly kind = 'Invalid';
  constructor(
    message: string,
    context: LeaseErrorContext = {},
    readonly causes: readonly string[] = [],
  ) {
    super(message, context);
  }
}

/** 401/403: credentials or RBAC; `hint` names the missing verb. */
export class LeaseForbiddenError extends LeaseApiError {
  readonly kind = 'Forbidden';
  constructor(
    message: string,
    context: LeaseErrorContext = {},
    readonly hint: string = '',
  ) {
    super(hint ? `${message}; ${hint}` : message, context);
  }
}

/** 5xx, 429, timeouts and network failures: transient, retried. */
export class LeaseUnavailableError extends LeaseApiError {
  readonly kind = 'Unavailable';
}

/** Leadership was lost or refused, e.g. another holder took the lease while we believed we led. */
export class LeadershipError extends LeaseholdError {}

/** Why a handOver(to) did not end with `to` leading. */
export type HandOverFailure =
  /** We were not leading: nothing was written. */
  | 'notLeading'
  /** `to` was empty or our own identity: nothing was written. */
  | 'invalidTarget'
  /** The call's signal aborted before the hand-over began: nothing was written, leadership intact. */
  | 'aborted'
  /** Someone else wrote the lease first: our window had closed already, the lease is not ours to give. */
  | 'conflict'
  /** The store failed the hand-over write (it may have landed); the window had closed already. */
  | 'failed'
  /** Another write than the target's renew followed the hand-over (a takeover, a release, an edit). */
  | 'overtaken'
  /** The target did not renew within leaseDuration: the lease expires and an ordinary takeover follows. */
  | 'timeout'
  /** The participant was stopped while handing over. */
  | 'stopped'
  /** The call's signal aborted after the hand-over write was sent: the lease may already be the target's. */
  | 'abandoned';

/** handOver(to) did not end with `to` leading; `target` is `to`, `reason` says what happened. */
export class HandOverError extends LeadershipError {
  constructor(
    message: string,
    context: LeaseErrorContext,
    readonly target: string,
    readonly reason: HandOverFailure,
  ) {
    super(message, context);
  }
}

/** coordinateRollout could not give this call's answer; `lease` is the cluster, `identity` the instance. */
export class RolloutManagerError extends LeaseholdError {}

/** The multi-lease manager refused or could not finish a request (also: revoke of a pinned lease). */
export class LeaseManagerError extends LeaseholdError {}
/** The secretary rejected a lease name, holder or duration. */
export class InvalidLeaseRequestError extends LeaseManagerError {}
/** Another holder has the lease; `holder` names it. */
export class ClaimDeniedError extends LeaseManagerError {
  constructor(
    message: string,
    context: LeaseErrorContext,
    /** Who holds the lease instead. */
    readonly holder: string,
  ) {
    super(message, context);
  }
}
/** The holder does not hold the lease (check, revoke, pin). */
export class NotHeldError extends LeaseManagerError {}
/** The store stayed unavailable through every retry. */
export class LeaseTimeoutError extends LeaseManagerError {}
/** waitUntilExpired was aborted by its signal. */
export class WaitCancelledError extends LeaseManagerError {}
/** The manager stopped: stop(), or a fatal store error (as `cause`). */
export class LeaseManagerStoppedError extends LeaseManagerError {}

const byKind: Record<LeaseErrorKind, new (message: string, context?: LeaseErrorContext) => LeaseApiError> = {
  NotFound: LeaseNotFoundError,
  Conflict: LeaseConflictError,
  AlreadyExists: LeaseAlreadyExistsError,
  Invalid: LeaseInvalidError,
  Forbidden: LeaseForbiddenError,
  Unavailable: LeaseUnavailableError,
};

/** Builds the typed error for a kind (used by fault injection and adapters). */
export function leaseApiError(kind: LeaseErrorKind, message: string, context: LeaseErrorContext = {}): LeaseApiError {
  return new byKind[kind](message, context);
}
