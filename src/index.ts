// The public API of leasehold: the only import path users need.
export { PrimaryLease, PRIMARY_LEASE_DEFAULTS, type PrimaryLeaseConfig, type CallOptions } from './api/PrimaryLease.js';
export { LeaderElector, runOrThrow, type LeaderCallbacks, type LeaderElectionConfig } from './api/LeaderElector.js';
export { HealthzAdaptor } from './api/HealthzAdaptor.js';
export { LeaseMetrics } from './metrics/leaseMetrics.js';
export { LeaseLocker, LEASE_LOCKER_DEFAULTS, type LeaseLockerConfig } from './api/LeaseLocker.js';
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
} from './api/LeaseManager.js';
export { leaseManagerMachine, type LeaseManagerContext, type LeaseManagerEvent } from '../machines/leaseManager.js';
export { defaultSecretaryFinder, genericSecretary, applicationLeadershipSecretary, type Secretary, type SecretaryFinder } from './lease/secretary.js';
export { leaseKeyString, type LeaseKey, type ManagedLease, type ManagedLeaseStore } from './lock/managedLeaseStore.js';
export { MemoryManagedLeaseStore } from './lock/memoryManagedLeaseStore.js';
export { KubernetesManagedLeaseStore, type KubernetesManagedLeaseStoreOptions } from './lock/kubernetesManagedLeaseStore.js';

export { Participant, type ParticipantActor, type ParticipantSnapshot, type RuntimeOptions, type Inspector, type LeadershipHooks } from './runtime/participant.js';
export { leaseParticipantMachine, isLeading, windowCloses, type ParticipantContext, type ParticipantEvent } from '../machines/leaseParticipant.js';

export type { LeaseLock, LeaseLockFactory, LeaseWatchEvent } from './lock/leaseLock.js';
export { MemoryLeaseStore, type InjectedFault, type StoreCall, type StoreChange, type StoreVerb } from './lock/memoryLeaseStore.js';
export { MemoryLeaseLock } from './lock/memoryLeaseLock.js';

export type { LeaseRecord, LeaseRef, ObservedLease } from './lease/record.js';
export { leaseSpecToLockRecord, lockRecordToLeaseSpec, type LeaseSpecJson } from './lease/spec.js';
export { formatMicroTime, parseTime } from './lease/microTime.js';
export { parseDuration, formatDuration } from './lease/duration.js';
export { BASE_DEFAULTS, JITTER_FACTOR, resolveConfig, validateTiming, type LeaseTiming, type ParticipantConfig } from './lease/config.js';
export * from './lease/errors.js';

export type { Clock } from './time/clock.js';
export { realClock } from './time/realClock.js';
export { VirtualClock } from './time/virtualClock.js';

export { KubernetesLeaseLock, KubernetesLeaseLocks, type KubernetesLeaseLockOptions } from './lock/kubernetesLeaseLock.js';
export { loadKubeConfig } from './lock/kubeConfig.js';
export { startLeaseApiServer, type LeaseApiServer, type LeaseApiServerOptions } from './server/index.js';
export { SkewedClock } from './time/skewedClock.js';

export { startLiveView, type LiveView, type LiveViewOptions, type LeaseView, type RegisterOptions } from '../visualize/liveView.js';

export { RolloutManager, ROLLOUT_ENV, type RolloutManagerActor, type RolloutManagerConfig, type RolloutManagerOptions, type RolloutManagerSnapshot } from './api/RolloutManager.js';
export { rolloutManagerMachine, remainingWait, type RolloutContext, type RolloutDecision, type RolloutEvent, type RolloutSpacing } from '../machines/rolloutManager.js';

export { createLogger, silentLogger, withFields, type ConsoleLoggerOptions, type LogFields, type Logger, type LogLevel } from './log/logger.js';
