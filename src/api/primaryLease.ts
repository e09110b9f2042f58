import { AT_LEAST_ONE_SECOND, BASE_DEFAULTS, type ParticipantConfig, resolveConfig } from '../lease/config.js';
import { LeadershipError, LeaseNotFoundError, LeaseUnavailableError } from '../lease/errors.js';
import type { LeaseLock } from '../ports/leaseLock.js';
import { Participant, type ParticipantSnapshot, type ParticipantRuntimeOptions } from '../runtime/participant.js';
import { type CallOptions, LeaseFacade } from './leaseFacade.js';

/** The timing an `acquire` applies (first call only); every value at least 1 s. */
export interface PrimaryLeaseConfig {
  /** Default 15 s. */
  leaseDuration: number;
  /** Default 10 s. */
  renewDeadline: number;
  /** Default 2 s. */
  retryPeriod: number;
  /** leaseDurationSeconds written on release; default 1 s. */
  releasedLeaseDuration: number;
}

/** What `new PrimaryLease(...)` takes: the lock, plus clock, inspect and logger. */
export interface PrimaryLeaseOptions extends ParticipantRuntimeOptions {
  /** The lease named after the cluster, under this instance's identity (the pod name). */
  lock: LeaseLock;
  /**
   * leaseDurationSeconds written on release, also by an instance that never acquired (CloudNativePG's
   * Release uses the configured value); default 1 s. An `acquire` config's own value wins.
   */
  releasedLeaseDuration?: number;
}


/** Read and found missing (observed null once seen; null before the first read says nothing). */
const isMissing = (snapshot: ParticipantSnapshot) => snapshot.context.observed === null && snapshot.context.seenAt !== null;

/**
 * CloudNativePG's primary lease, as the instance manager uses it: whoever holds the lease named
 * after the cluster may run PostgreSQL as primary.
 *
 * - The lease is never created here (the operator creates it); a missing lease is "not acquired":
 *   acquire waits for it to be created (saying so once, at info).
 * - `acquire(config)` applies the config of the first call only and resolves once held.
 * - A lease already naming this identity is re-adopted without a transition (in-place upgrade).
 * - After leadership is lost, seeing another holder (even "") is fatal: `onFatal` listeners run
 *   and the participant stops; the instance manager must stop PostgreSQL.
 * - `release()` is a no-op unless we hold the lease, and keeps it while `setUpgrading(true)`.
 */
export class PrimaryLease extends LeaseFacade {
  /** CloudNativePG's defaults: 15 s / 10 s / 2 s, released 1 s; never creates the lease; fatal on preemption. */
  static readonly DEFAULTS: Readonly<ParticipantConfig> = {
    ...BASE_DEFAULTS,
    createIfMissing: false,
    afterLoss: 'reacquire',
    fatalOnPreemption: true,
  };

  readonly lock: LeaseLock;
  protected readonly participant: Participant;
  private readonly defaults: ParticipantConfig;
  private readonly fatalListeners = new Set<(error: LeadershipError) => void>();

  constructor(options: PrimaryLeaseOptions) {
    super();
    const { lock, releasedLeaseDuration, ...runtime } = options;
    this.lock = lock;
    this.defaults = resolveConfig({ releasedLeaseDuration }, PrimaryLease.DEFAULTS, this.context);
    this.participant = new Participant(lock, this.defaults, runtime, {
      startedEvent: 'acquired primary lease',
      stoppedEvent: 'lost primary lease',
    });
    this.participant.actor.subscribe({
      complete: () => {
        if (this.snapshot.context.stopReason === 'preempted') this.emitFatal();
      },
    });
    this.participant.start();
  }

  private get snapshot(): ParticipantSnapshot {
    return this.participant.snapshot;
  }

  private get context() {
    return { lease: this.lock.describe(), identity: this.lock.identity };
  }

  /**
   * Resolves once this identity holds the lease. The first call's config is validated and applied;
   * later calls' configs are ignored. Rejects when `signal` aborts (the participant keeps trying in
   * the background): with LeaseNotFoundError, the signal's reason as its `cause`, when the lease
   * still did not exist (PrimaryLease never creates it; it logs once, at info, that it waits for it
   * to be created); else with the signal's reason. Rejects with LeadershipError when the participant
   * stopped on a fatal preemption.
   */
  async acquire(config: Partial<PrimaryLeaseConfig> = {}, { signal }: CallOptions = {}): Promise<void> {
    if (!this.snapshot.context.configApplied) {
      const resolved = resolveConfig(config, this.defaults, this.context, AT_LEAST_ONE_SECOND);
      this.participant.send({ type: 'ACQUIRE', config: resolved });
    } else {
      this.participant.send({ type: 'ACQUIRE' });
    }
    let said = false;
    const saying = this.participant.actor.subscribe((current) => {
      if (said || !isMissing(current)) return;
      said = true;
      this.participant.log.info('the lease does not exist yet: waiting for it to be created (PrimaryLease never creates it)');
    });
    try {
      const snapshot = await this.participant.until(() => this.participant.leading, signal).catch((reason: unknown) => {
        if (!isMissing(this.snapshot)) throw reason;
        throw new LeaseNotFoundError('the lease does not exist: acquire stopped waiting for it to be created', this.context, { cause: reason });
      });
      if (!this.participant.leading) throw this.fatalError(snapshot);
    } finally {
      saying.unsubscribe();
    }
  }

  /**
   * Hands the lease back if we hold it: holder "", leaseDurationSeconds = releasedLeaseDuration,
   * transitions kept. A no-op when the lease is missing, held by another, or we are upgrading.
   * Rejects with LeaseUnavailableError when the store refused the release for unlockWithRetryPeriod.
   */
  async release({ signal }: CallOptions = {}): Promise<void> {
    if (this.snapshot.context.upgrading || this.snapshot.status !== 'active') return;
    if ((await this.participant.release(signal)) === 'failed') {
      const error = new LeaseUnavailableError(`release failed: ${this.snapshot.context.lastError?.message ?? 'timed out'}`, this.context);
      this.participant.log.warn('release failed', { error });
      throw error;
    }
  }

  /** While upgrading in place, release() keeps the lease for the successor with our identity. */
  setUpgrading(upgrading: boolean): void {
    this.participant.send({ type: upgrading ? 'UPGRADE_STARTED' : 'UPGRADE_ABORTED' });
  }

  /** Runs `listener` when another holder is seen after we lost the lease: stop being primary. */
  onFatal(listener: (error: LeadershipError) => void): () => void {
    this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  private fatalError(snapshot: ParticipantSnapshot): LeadershipError {
    if (snapshot.context.stopReason !== 'preempted') return new LeadershipError('the participant was stopped', this.context);
    const holder = snapshot.context.leader;
    return new LeadershipError(
      `the lease is held by ${holder ? JSON.stringify(holder) : 'nobody ("")'} after we lost it; stopping`,
      this.context,
    );
  }

  private emitFatal(): void {
    const error = this.fatalError(this.snapshot);
    this.participant.log.error('preempted after losing the lease: stop acting as primary', { error });
    for (const listener of this.fatalListeners) {
      try {
        listener(error);
      } catch (failure) {
        this.participant.log.error('onFatal listener failed', { error: failure });
      }
    }
  }
}
