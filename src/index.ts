/**
 * leasehold: lease-based leadership for Kubernetes. The main entry: the five facades, the
 * Kubernetes adapters, time, logging, metrics and errors. Besides it: 'leasehold/rules' (the lease
 * record and its spec conversion, the ports' types, durations, secretaries: for a store or tools of
 * your own), 'leasehold/testing' (test doubles), 'leasehold/server' (the embedded Lease API
 * server), 'leasehold/live-view' and 'leasehold/machines' (the machine definitions and actor types).
 */
import './supportedNode.js'; // first: a clear error on a Node.js too old for the rest

// One lease, one identity.
export { PrimaryLease, type PrimaryLeaseConfig, type PrimaryLeaseOptions } from './api/primaryLease.js';
export { LeaderElector, runOrThrow, type LeaderCallbacks, type LeaderElectionConfig } from './api/leaderElector.js';
export { HealthzAdaptor, type HealthCheckable, type HealthzAdaptorOptions } from './api/healthzAdaptor.js';
export { LeaseLocker, type LeaseLockerOptions } from './api/leaseLocker.js';
// Many leases, many holders; rollout spacing.
export {
  LeaseManager,
  type LeaseManagerOptions,
  type LeaseManagerReport,
  type Claimer,
  type Checker,
  type Token,
  type Revoker,
  type Pinner,
  type Reader,
} from './api/leaseManager.js';
export { RolloutManager, type RolloutManagerOptions } from './api/rolloutManager.js';
export type { RolloutDecision } from '../machines/rolloutManager.js';
// What every facade takes.
export type { CallOptions } from './api/leaseFacade.js';
export type { RuntimeOptions, Inspector } from './runtime/options.js';

// Storage: the ports and the Kubernetes adapters.
export type { LeaseLock } from './ports/leaseLock.js';
export type { ManagedLeaseStore } from './ports/managedLeaseStore.js';
export type { LeaseRef } from './lease/record.js';
export { KubernetesLeaseLock, KubernetesLeaseLocks, type KubernetesLeaseLockOptions } from './kubernetes/leaseLock.js';
export type { EventRecorderOptions } from './kubernetes/events.js';
export { KubernetesManagedLeaseStore, type KubernetesManagedLeaseStoreOptions } from './kubernetes/managed/store.js';
export { loadKubeConfig } from './kubernetes/kubeConfig.js';
export { HAND_OVER_ANNOTATION } from './lease/handOverRequest.js';

// Time, logging, metrics, errors.
export type { Clock } from './time/clock.js';
export { realClock } from './time/realClock.js';
export { createLogger, silentLogger, withFields, type ConsoleLoggerOptions, type LogFields, type Logger, type LogLevel } from './log/logger.js';
export { LeaseMetrics } from './metrics/leaseMetrics.js';
export {
  LeaseholdError,
  ConfigError,
  LeaseApiError,
  LeaseNotFoundError,
  LeaseConflictError,
  LeaseAlreadyExistsError,
  LeaseInvalidError,
  LeaseForbiddenError,
  LeaseUnavailableError,
  LeadershipError,
  HandOverError,
  type HandOverFailure,
  RolloutManagerError,
  LeaseManagerError,
  InvalidLeaseRequestError,
  ClaimDeniedError,
  NotHeldError,
  LeaseTimeoutError,
  WaitCancelledError,
  LeaseManagerStoppedError,
  type LeaseErrorContext,
  type LeaseErrorKind,
} from './lease/errors.js';
