/**
 * leasehold: lease-based leadership for Kubernetes. The main entry: the facades, the Kubernetes
 * adapters, time, logging, metrics and errors. Test doubles are in 'leasehold/testing', the
 * embedded Lease API server in 'leasehold/server', the live view in 'leasehold/live-view' and the
 * machine definitions in 'leasehold/machines'.
 */
import './supportedNode.js'; // first: a clear error on a Node.js too old for the rest

// One lease, one identity: the facades.
export { type CallOptions } from './api/leaseFacade.js';
export { PrimaryLease, PRIMARY_LEASE_DEFAULTS, type PrimaryLeaseConfig, type PrimaryLeaseOptions } from './api/primaryLease.js';
export { LeaderElector, runOrThrow, type LeaderCallbacks, type LeaderElectionConfig } from './api/leaderElector.js';
export { HealthzAdaptor, type HealthCheckable, type HealthzAdaptorOptions } from './api/healthzAdaptor.js';
export { LeaseLocker, LEASE_LOCKER_DEFAULTS, type LeaseLockerConfig, type LeaseLockerOptions } from './api/leaseLocker.js';
export type { ParticipantActor, ParticipantSnapshot, Inspector, RuntimeOptions } from './runtime/participant.js';
export type { ParticipantConfig, LeaseTiming } from './lease/config.js';

// Many leases, many holders; rollout spacing.
export {
  LeaseManager,
  type LeaseManagerActor,
  type LeaseManagerSnapshot,
  type LeaseManagerOptions,
  type LeaseManagerReport,
  type Claimer,
  type Checker,
  type Token,
  type Revoker,
  type Pinner,
  type Reader,
} from './api/leaseManager.js';
export { defaultSecretaryFinder, genericSecretary, applicationLeadershipSecretary, type Secretary, type SecretaryFinder } from './lease/secretary.js';
export {
  RolloutManager,
  ROLLOUT_ENV,
  type RolloutManagerActor,
  type RolloutManagerConfig,
  type RolloutManagerOptions,
  type RolloutRuntimeOptions,
  type RolloutManagerSnapshot,
} from './api/rolloutManager.js';
export type { RolloutDecision, RolloutSpacing } from '../machines/rolloutManager.js';

// Storage: the ports and the Kubernetes adapters.
export type { LeaseLock, LeaseLockFactory, LeaseWatchEvent } from './ports/leaseLock.js';
export type {
  ClaimOutcome,
  ExpireOutcome,
  LeaseKey,
  ManagedLease,
  ManagedLeaseChange,
  ManagedLeaseStore,
  PinOutcome,
  RevokeOutcome,
} from './ports/managedLeaseStore.js';
export { KubernetesLeaseLock, KubernetesLeaseLocks, type KubernetesLeaseLockOptions } from './kubernetes/leaseLock.js';
export type { EventRecorderOptions } from './kubernetes/events.js';
export { KubernetesManagedLeaseStore, type KubernetesManagedLeaseStoreOptions } from './kubernetes/managed/store.js';
export { loadKubeConfig } from './kubernetes/kubeConfig.js';
export type { LeaseRecord, LeaseRef, ObservedLease } from './lease/record.js';
export { leaseSpecToLockRecord, lockRecordToLeaseSpec, type LeaseSpecJson } from './lease/spec.js';
export { HAND_OVER_ANNOTATION, handOverRequest, type HandOverRequestFields } from './lease/handOverRequest.js';
export { parseDuration, formatDuration } from './lease/duration.js';

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
export { LEASE_ERROR_KINDS } from './lease/errorKind.js';
