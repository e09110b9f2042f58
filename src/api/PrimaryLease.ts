/**
 * CloudNativePG's primary lease, as the instance manager uses it: whoever holds the lease named
 * after the cluster may run PostgreSQL as primary.
 *
 * - The lease is never created here (the operator creates it); a missing lease is "not acquired".
 * - `acquire(config)` applies the config of the first call only and resolves once held.
 * - A lease already naming this identity is re-adopted without a transition (in-place upgrade).
 * - After leadership is lost, seeing another holder (even "") is fatal: `onFatal` listeners run
 *   and the participant stops; the instance manager must stop PostgreSQL.
 * - `release()` is a no-op unless we hold the lease, and keeps it while `setUpgrading(true)`.
 */
import { BASE_DEFAULTS, type ParticipantConfig, resolveConfig, validateAtLeastOneSecond } from '../lease/config.js';
import { LeadershipError, LeaseUnavailableError } from '../lease/errors.js';
import type { LeaseLock } from '../lock/leaseLock.js';
import { Participant, type ParticipantSnapshot, type RuntimeOptions } from '../runtime/participant.js';

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

export const PRIMARY_LEASE_DEFAULTS: ParticipantConfig = {
  ...BASE_DEFAULTS,
  createIfMissing: false,
  afterLoss: 'reacquire',
  fatalOnPreemption: true,
};

export interface CallOptions {
  signal?: AbortSignal;
}

export interface PrimaryLeaseOptions extends RuntimeOptions {
  /**
   * leaseDurationSeconds written by release(), in ms (whole seconds, default 1 s): used also by an
   * instance that never acquired, as CloudNativePG's Release uses the configured value. An
   * acquire() config that sets it wins.
   */
  releasedLeaseDuration?: number;
}

export class PrimaryLease {
  private readonly participant: Participant;
  private readonly fatalListeners = new Set<(error: LeadershipError) => void>();
  /** What acquire() fills in: CloudNativePG's defaults and the constructor's releasedLeaseDuration. */
  private readonly defaults: ParticipantConfig;

  constructor(
    readonly lock: LeaseLock,
    options: PrimaryLeaseOptions = {},
  ) {
    const context = { lease: lock.describe(), identity: lock.identity };
    this.defaults = resolveConfig({ releasedLeaseDuration: options.releasedLeaseDuration }, PRIMARY_LEASE_DEFAULTS, context);
    this.participant = new Participant(lock, this.defaults, options, {
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

  get actor() {
    return this.participant.actor;
  }

  get state$() {
    return this.participant.state$;
  }

  private get snapshot(): ParticipantSnapshot {
    return this.participant.snapshot;
  }

  /**
   * Resolves once this identity holds the lease. The first call's config is validated and applied;
   * later calls' configs are ignored. Rejects when `signal` aborts (the participant keeps trying in
   * the background), or with LeadershipError when the participant stopped on a fatal preemption.
   */
  async acquire(config: Partial<PrimaryLeaseConfig> = {}, { signal }: CallOptions = {}): Promise<void> {
    if (!this.snapshot.context.configApplied) {
      const context = { lease: this.lock.describe(), identity: this.lock.identity };
      const resolved = resolveConfig(config, this.defaults, context);
      validateAtLeastOneSecond(resolved, context);
      this.participant.send({ type: 'ACQUIRE', config: resolved });
    } else {
      this.participant.send({ type: 'ACQUIRE' });
    }
    const snapshot = await this.participant.until(() => this.participant.leading, signal);
    if (!this.participant.leading) throw this.fatalError(snapshot);
  }

  /**
   * Hands the lease back if we hold it: holder "", leaseDurationSeconds = releasedLeaseDuration,
   * transitions kept. A no-op when the lease is missing, held by another, or we are upgrading.
   */
  async release({ signal }: CallOptions = {}): Promise<void> {
    if (this.snapshot.context.upgrading || this.snapshot.status !== 'active') return;
    this.participant.send({ type: 'RELEASE' });
    const snapshot = await this.participant.until((s) => s.matches('idle'), signal);
    if (snapshot.context.lastRelease === 'failed') {
      throw new LeaseUnavailableError(`release failed: ${snapshot.context.lastError?.message ?? 'timed out'}`, {
        lease: this.lock.describe(),
        identity: this.lock.identity,
      });
    }
  }

  /** While upgrading in place, release() keeps the lease for the successor with our identity. */
  setUpgrading(upgrading: boolean): void {
    this.participant.send({ type: upgrading ? 'UPGRADE_STARTED' : 'UPGRADE_ABORTED' });
  }

  /** Stops without releasing (the process is about to be replaced, or is shutting down hard). */
  stop(): void {
    this.participant.stop();
  }

  get isHeld(): boolean {
    return this.participant.leading;
  }

  /** Local time (epoch ms) the current tenure began, or null. */
  get heldSince(): number | null {
    return this.participant.leading ? this.snapshot.context.heldSince : null;
  }

  /** Fencing token: the lease's transitions count for our tenure, or null when not held. */
  get term(): number | null {
    return this.participant.leading ? this.snapshot.context.term : null;
  }

  /** Aborts the moment the current tenure ends; undefined when not held. */
  get heldSignal(): AbortSignal | undefined {
    return this.participant.leadershipSignal;
  }

  /** Runs `listener` when another holder is seen after we lost the lease: stop being primary. */
  onFatal(listener: (error: LeadershipError) => void): () => void {
    this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  private fatalError(snapshot: ParticipantSnapshot): LeadershipError {
    const context = { lease: this.lock.describe(), identity: this.lock.identity };
    if (snapshot.context.stopReason !== 'preempted') return new LeadershipError('the participant was stopped', context);
    const holder = snapshot.context.leader;
    return new LeadershipError(
      `the lease is held by ${holder ? JSON.stringify(holder) : 'nobody ("")'} after we lost it; stopping`,
      context,
    );
  }

  private emitFatal(): void {
    const error = this.fatalError(this.snapshot);
    for (const listener of this.fatalListeners) listener(error);
  }
}
