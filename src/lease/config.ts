/**
 * Participant configuration: every duration in milliseconds, its meaning, its default, and the
 * validation rules of client-go (same messages, same order) plus the ones leasehold adds.
 */
import { ConfigError, type LeaseErrorContext } from './errors.js';

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

/** client-go's JitterFactor: renewDeadline must exceed retryPeriod times this. */
export const JITTER_FACTOR = 1.2;

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

/**
 * Validates timing exactly as client-go's NewLeaderElector does, in its order, with its messages;
 * the 1.2 factor is checked in integers (5 * renewDeadline > 6 * retryPeriod) as CloudNativePG does.
 */
export function validateTiming(timing: LeaseTiming, context: LeaseErrorContext = {}): void {
  for (const field of ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const) {
    if (typeof timing[field] !== 'number' || !Number.isFinite(timing[field])) {
      throw new ConfigError(`${field} must be a finite number of milliseconds`, field, context);
    }
  }
  const { leaseDuration, renewDeadline, retryPeriod } = timing;
  if (leaseDuration <= renewDeadline) {
    throw new ConfigError('leaseDuration must be greater than renewDeadline', 'leaseDuration', context);
  }
  if (5 * renewDeadline <= 6 * retryPeriod) {
    throw new ConfigError('renewDeadline must be greater than retryPeriod*JitterFactor', 'renewDeadline', context);
  }
  if (leaseDuration < 1) throw new ConfigError('leaseDuration must be greater than zero', 'leaseDuration', context);
  if (renewDeadline < 1) throw new ConfigError('renewDeadline must be greater than zero', 'renewDeadline', context);
  if (retryPeriod < 1) throw new ConfigError('retryPeriod must be greater than zero', 'retryPeriod', context);
  if (!isWholeSeconds(leaseDuration)) {
    throw new ConfigError(
      'leaseDuration must be a whole number of seconds, at least 1s (it is written as leaseDurationSeconds)',
      'leaseDuration',
      context,
    );
  }
}

/** CloudNativePG additionally requires every duration to be at least one second. */
export function validateAtLeastOneSecond(timing: LeaseTiming, context: LeaseErrorContext = {}): void {
  for (const field of ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const) {
    if (timing[field] < 1000) throw new ConfigError(`${field} must be at least 1s`, field, context);
  }
}

/** Fills defaults and validates the whole configuration once, at construction. */
export function resolveConfig(
  options: Partial<ParticipantConfig>,
  defaults: ParticipantConfig = BASE_DEFAULTS,
  context: LeaseErrorContext = {},
): ParticipantConfig {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const config: ParticipantConfig = { ...defaults, ...defined };
  validateTiming(config, context);
  if (!isWholeSeconds(config.releasedLeaseDuration)) {
    throw new ConfigError('releasedLeaseDuration must be a whole number of seconds, at least 1s', 'releasedLeaseDuration', context);
  }
  if (!(config.unlockWithRetryPeriod >= 0)) {
    throw new ConfigError('unlockWithRetryPeriod must not be negative', 'unlockWithRetryPeriod', context);
  }
  if (!(config.jitterFactor >= 0)) throw new ConfigError('jitterFactor must not be negative', 'jitterFactor', context);
  if (config.afterLoss !== 'reacquire' && config.afterLoss !== 'stop') {
    throw new ConfigError(`afterLoss must be "reacquire" or "stop", not ${JSON.stringify(config.afterLoss)}`, 'afterLoss', context);
  }
  return config;
}
