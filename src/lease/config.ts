/**
 * Participant configuration: every duration in milliseconds, its meaning, its default, and the
 * validation rules of client-go (same messages, same order) plus the ones leasehold adds.
 */
import type { LeaseErrorContext } from './errors.js';
import { numberRule, type Rule, validate } from './validation.js';

export interface LeaseTiming {
  /**
   * How long a candidate must see no change of a held lease, on its own clock, before it may take
   * over. Written to the lease as leaseDurationSeconds, so it must be whole seconds.
   */
  leaseDuration: number;
  /** How long the leader keeps acting without a successful renew; must be < leaseDuration. */
  renewDeadline: number;
  /** Interval between renewals, and between reads while the watch is down. */
  retryPeriod: number;
}

export interface ParticipantConfig extends LeaseTiming {
  /** leaseDurationSeconds written on release, so candidates may take over at once. Default 1 s (0 is invalid). */
  releasedLeaseDuration: number;
  /** How long a release keeps retrying conflicts and transient errors. Default 10 s. */
  unlockWithRetryPeriod: number;
  /** Create the lease when it does not exist (client-go); CloudNativePG instances never create it. */
  createIfMissing: boolean;
  /** After leadership is lost by renewDeadline: compete again, or stop (client-go's Run is one-shot). */
  afterLoss: 'reacquire' | 'stop';
  /** After losing leadership, seeing another holder (even "") stops the participant (CloudNativePG). */
  fatalOnPreemption: boolean;
  /** Wake candidates by watching the lease; false polls every retryPeriod like client-go. */
  watch: boolean;
  /** Poll delay is retryPeriod * (1 + random * jitterFactor); client-go uses 1.2, 0 disables. */
  jitterFactor: number;
}

export const BASE_DEFAULTS: ParticipantConfig = {
  leaseDuration: 15_000,
  renewDeadline: 10_000,
  retryPeriod: 2_000,
  releasedLeaseDuration: 1_000,
  unlockWithRetryPeriod: 10_000,
  createIfMissing: true,
  afterLoss: 'reacquire',
  fatalOnPreemption: false,
  watch: true,
  jitterFactor: 0,
};

const MIN_REQUEST_TIMEOUT_MS = 1_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * How long one store request may take before it is given up as LeaseUnavailableError: the one rule,
 * set once as client-go sets it on its client. A participant's calls get max(1 s, renewDeadline / 2),
 * so one hung call cannot eat the renew deadline; callers without a renew deadline (the managed
 * store, the CLI) get the timeout they ask for, 10 s by default, never under 1 s.
 */
export function requestTimeout(of: { renewDeadline: number } | { requestTimeoutMs?: number | undefined }): number {
  const wanted = 'renewDeadline' in of ? of.renewDeadline / 2 : (of.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  return Math.max(MIN_REQUEST_TIMEOUT_MS, wanted);
}
const isWholeSeconds = (ms: number) => Number.isInteger(ms / 1000) && ms >= 1000;
const TIMING_FIELDS = ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const;

/**
 * client-go's NewLeaderElector rules, in its order, with its messages (the jitter factor checked in
 * integers, 5 * renewDeadline > 6 * retryPeriod, as CloudNativePG does), then leasehold's own.
 */
const TIMING_RULES: readonly Rule<LeaseTiming>[] = [
  ...TIMING_FIELDS.map((field) => numberRule<LeaseTiming>(field, () => true, `${field} must be a finite number of milliseconds`)),
  { field: 'leaseDuration', broken: (t) => t.leaseDuration <= t.renewDeadline, says: 'leaseDuration must be greater than renewDeadline' },
  { field: 'renewDeadline', broken: (t) => 5 * t.renewDeadline <= 6 * t.retryPeriod, says: 'renewDeadline must be greater than retryPeriod*JitterFactor' },
  ...TIMING_FIELDS.map((field) => numberRule<LeaseTiming>(field, (ms) => ms >= 1, `${field} must be greater than zero`)),
  {
    field: 'leaseDuration',
    broken: (t) => !isWholeSeconds(t.leaseDuration),
    says: 'leaseDuration must be a whole number of seconds, at least 1s (it is written as leaseDurationSeconds)',
  },
];

const CONFIG_RULES: readonly Rule<ParticipantConfig>[] = [
  ...TIMING_RULES,
  { field: 'releasedLeaseDuration', broken: (c) => !isWholeSeconds(c.releasedLeaseDuration), says: 'releasedLeaseDuration must be a whole number of seconds, at least 1s' },
  { field: 'unlockWithRetryPeriod', broken: (c) => !(c.unlockWithRetryPeriod >= 0), says: 'unlockWithRetryPeriod must not be negative' },
  { field: 'jitterFactor', broken: (c) => !(c.jitterFactor >= 0), says: 'jitterFactor must not be negative' },
  {
    field: 'afterLoss',
    broken: (c) => c.afterLoss !== 'reacquire' && c.afterLoss !== 'stop',
    says: (c) => `afterLoss must be "reacquire" or "stop", not ${JSON.stringify(c.afterLoss)}`,
  },
];

/** CloudNativePG additionally requires every duration to be at least one second. */
export const AT_LEAST_ONE_SECOND: readonly Rule<LeaseTiming>[] = TIMING_FIELDS.map((field) => ({
  field,
  broken: (timing: LeaseTiming) => timing[field] < 1000,
  says: `${field} must be at least 1s`,
}));

/** Validates timing as client-go's NewLeaderElector does (the CLI checks its flags with it). */
export function validateTiming(timing: LeaseTiming, context: LeaseErrorContext = {}): void {
  validate(timing, TIMING_RULES, context);
}

/** Fills defaults and validates the whole configuration once, at construction; `extra` rules after the common ones. */
export function resolveConfig(
  options: Partial<ParticipantConfig>,
  defaults: ParticipantConfig = BASE_DEFAULTS,
  context: LeaseErrorContext = {},
  extra: readonly Rule<ParticipantConfig>[] = [],
): ParticipantConfig {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const config: ParticipantConfig = { ...defaults, ...defined };
  return validate(validate(config, CONFIG_RULES, context), extra, context);
}
