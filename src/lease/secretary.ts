/**
 * Secretaries: per lease namespace, what a valid lease name, holder name and duration look like
 * (Juju's lease.Secretary). The LeaseManager asks one before any request reaches its machine, so a
 * bad request fails at the call with InvalidLeaseRequestError and never touches the store.
 */
import { InvalidLeaseRequestError, type LeaseErrorContext } from './errors.js';
import { formatDuration } from './duration.js';

export interface Secretary {
  /** Each throws InvalidLeaseRequestError with a sentence naming the value. */
  checkLease(lease: string): void;
  checkHolder(holder: string): void;
  checkDuration(durationMs: number): void;
}

/** Returns the secretary for a namespace, or undefined when the namespace is unknown. */
export type SecretaryFinder = (namespace: string) => Secretary | undefined;

interface SecretaryRules {
  lease: RegExp;
  leaseMeaning: string;
  holder: RegExp;
  holderMeaning: string;
  minDurationMs: number;
  maxDurationMs: number;
}

function secretary(namespace: string, rules: SecretaryRules): Secretary {
  const fail = (message: string, context: LeaseErrorContext = {}): never => {
    throw new InvalidLeaseRequestError(`${namespace}: ${message}`, context);
  };
  return {
    checkLease(lease) {
      if (!rules.lease.test(lease)) fail(`invalid lease name ${JSON.stringify(lease)}: ${rules.leaseMeaning}`, { lease });
    },
    checkHolder(holder) {
      if (!rules.holder.test(holder)) fail(`invalid holder name ${JSON.stringify(holder)}: ${rules.holderMeaning}`, { identity: holder });
    },
    checkDuration(ms) {
      if (!Number.isFinite(ms) || ms < rules.minDurationMs || ms > rules.maxDurationMs) {
        fail(`invalid duration ${ms} ms: must be between ${formatDuration(rules.minDurationMs)} and ${formatDuration(rules.maxDurationMs)}`);
      }
    },
  };
}

/** Juju's application names, units as `app/N`; leadership leases last 1 s to 5 min. */
export const applicationLeadershipSecretary = secretary('application-leadership', {
  lease: /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$/,
  leaseMeaning: 'expected an application name (lowercase letters, digits and single hyphens, starting with a letter)',
  holder: /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*\/(?:0|[1-9][0-9]*)$/,
  holderMeaning: 'expected a unit name such as "mysql/0"',
  minDurationMs: 1_000,
  maxDurationMs: 5 * 60_000,
});

/** Any other namespace: DNS-1123-like names, printable holders up to 253 characters, 1 s to 1 h. */
export const genericSecretary = (namespace: string): Secretary =>
  secretary(namespace, {
    lease: /^[a-z0-9](?:[-a-z0-9._]{0,251}[a-z0-9])?$/,
    leaseMeaning: 'expected lowercase letters, digits, "-", "." and "_" (at most 253, alphanumeric at both ends)',
    holder: /^[\x21-\x7e]{1,253}$/,
    holderMeaning: 'expected 1 to 253 printable characters without spaces',
    minDurationMs: 1_000,
    maxDurationMs: 3_600_000,
  });

/** The default finder: application leadership as Juju has it, the generic rules for every other namespace. */
export const defaultSecretaryFinder: SecretaryFinder = (namespace) =>
  namespace === 'application-leadership' ? applicationLeadershipSecretary : namespace ? genericSecretary(namespace) : undefined;
