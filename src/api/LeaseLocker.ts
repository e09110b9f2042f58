/**
 * Swisscom's leaselocker: a Kubernetes Lease used as a distributed lock. `lock()` blocks until the
 * lock is held and keeps renewing it in the background; `tryLock()` gives up after the lease's
 * duration + 1 s; `unlock()` hands it back.
 *
 * One deliberate difference: expiry is always judged by how long *we* have seen the record
 * unchanged on our own clock (Swisscom's useObservedTime), never by comparing the holder's
 * renewTime with our clock, which breaks under clock offset.
 */
import { BASE_DEFAULTS, type ParticipantConfig, resolveConfig } from '../lease/config.js';
import { LeadershipError, LeaseholdError } from '../lease/errors.js';
import type { LeaseRef } from '../lease/record.js';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesLeaseLocks } from '../lock/kubernetesLeaseLock.js';
import type { LeaseLockFactory } from '../lock/leaseLock.js';
import { Participant, type RuntimeOptions } from '../runtime/participant.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';

export interface LeaseLockerConfig {
  /** Default 60 s. */
  leaseDuration: number;
  /** Default 10 s. */
  renewDeadline: number;
  /** Default 2 s. */
  retryPeriod: number;
  /** How long unlock keeps retrying; default 10 s. */
  unlockWithRetryPeriod: number;
  /** Release when lock()'s signal aborts; default false (the lease then expires by itself). */
  releaseOnCancel: boolean;
  /** Watch the lease (default true); false polls every jittered retryPeriod, as Swisscom's does. */
  watch: boolean;
}

export const LEASE_LOCKER_DEFAULTS: ParticipantConfig = {
  ...BASE_DEFAULTS,
  leaseDuration: 60_000,
  renewDeadline: 10_000,
  retryPeriod: 2_000,
  unlockWithRetryPeriod: 10_000,
  jitterFactor: 1.2,
};

export class LeaseLocker {
  readonly ref: LeaseRef;
  private readonly source: LeaseLockFactory;
  private participant: Participant;
  private readonly config: ParticipantConfig;
  private readonly releaseOnCancel: boolean;
  private readonly clock: Clock;

  /** `source`: a kubeconfig (the lease lives in Kubernetes) or any LeaseLockFactory (e.g. a MemoryLeaseStore). */
  constructor(
    source: KubeConfig | LeaseLockFactory,
    ref: LeaseRef,
    readonly owner: string,
    config: Partial<LeaseLockerConfig> = {},
    private readonly options: RuntimeOptions = {},
  ) {
    this.source = source instanceof KubeConfig ? new KubernetesLeaseLocks(source, { clock: options.clock }) : source;
    this.ref = { namespace: ref.namespace, name: ref.name.toLowerCase() };
    const { releaseOnCancel = false, ...timing } = config;
    this.releaseOnCancel = releaseOnCancel;
    this.config = resolveConfig(timing, LEASE_LOCKER_DEFAULTS, { lease: `${this.ref.namespace}/${this.ref.name}`, identity: owner });
    this.clock = options.clock ?? realClock;
    this.participant = this.newParticipant();
  }

  get actor() {
    return this.participant.actor;
  }

  get state$() {
    return this.participant.state$;
  }

  /**
   * Blocks until the lock is held, then renews it in the background until unlock(), loss, or
   * `signal` aborts (with releaseOnCancel the lease is then released; otherwise it expires).
   */
  async lock(signal?: AbortSignal): Promise<void> {
    const participant = this.ready();
    participant.send({ type: 'ACQUIRE' });
    await participant.until(() => participant.leading, signal).catch((error: unknown) => {
      participant.send({ type: 'RELEASE' });
      throw error;
    });
    this.failIfNotHeld('lock');
    signal?.addEventListener('abort', () => this.cancel(participant), { once: true });
  }

  /** One attempt, then keeps trying for the lease's duration + 1 s; rejects if not acquired by then. */
  async tryLock(signal?: AbortSignal): Promise<void> {
    const participant = this.ready();
    participant.send({ type: 'ACQUIRE' });
    const observed = participant.snapshot.context.observed?.record.leaseDurationSeconds;
    const limit = ((observed || this.config.leaseDuration / 1000) + 1) * 1000;
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => timeout.abort(), limit);
    const both = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    try {
      await participant.until(() => participant.leading, both);
    } catch (error) {
      participant.send({ type: 'RELEASE' });
      if (signal?.aborted) throw error;
      throw new LeadershipError(`lock not acquired within ${limit / 1000}s`, this.context);
    } finally {
      this.clock.clearTimeout(timer);
    }
    this.failIfNotHeld('tryLock');
    signal?.addEventListener('abort', () => this.cancel(participant), { once: true });
  }

  /** Stops renewing and releases; true when the lease is released or was not ours. */
  async unlock(): Promise<boolean> {
    const participant = this.participant;
    if (participant.snapshot.status !== 'active') return true;
    participant.send({ type: 'RELEASE' });
    const snapshot = await participant.until((s) => s.matches('idle'));
    return snapshot.context.lastRelease !== 'failed';
  }

  /** unlock(), retried until it succeeds, `signal` aborts, or unlockWithRetryPeriod has passed. */
  async unlockWithRetry(signal?: AbortSignal): Promise<void> {
    const deadline = this.clock.now() + this.config.unlockWithRetryPeriod;
    for (;;) {
      if (await this.unlock()) return;
      signal?.throwIfAborted();
      if (this.clock.now() >= deadline) {
        throw new LeaseholdError(`unlock failed for ${this.config.unlockWithRetryPeriod / 1000}s`, this.context);
      }
    }
  }

  /** An error when we hold the lock but have not renewed for leaseDuration + maxTolerableExpiredLease. */
  check(maxTolerableExpiredLease: number): Error | null {
    if (this.participant.stuckFor(maxTolerableExpiredLease) === null) return null;
    return new LeaseholdError(`failed locking attempt to renew leadership on lease ${this.ref.name}`, this.context);
  }


  get isLocked(): boolean {
    return this.participant.leading;
  }

  /** Aborts the moment the lock is lost or released; undefined when not held. */
  get lockSignal(): AbortSignal | undefined {
    return this.participant.leadershipSignal;
  }

  private get context() {
    return { lease: `${this.ref.namespace}/${this.ref.name}`, identity: this.owner };
  }

  private newParticipant(): Participant {
    return new Participant(this.source.lockFor(this.ref, this.owner), this.config, this.options, {
      startedEvent: 'acquired lock',
      stoppedEvent: 'lost lock',
    }).start();
  }

  /** A stopped participant cannot compete again: a new one takes its place (same identity). */
  private ready(): Participant {
    if (this.participant.snapshot.status !== 'active') this.participant = this.newParticipant();
    return this.participant;
  }

  private cancel(participant: Participant): void {
    if (this.releaseOnCancel) participant.send({ type: 'RELEASE' });
    else participant.stop();
  }

  private failIfNotHeld(call: string): void {
    if (!this.participant.leading) throw new LeadershipError(`${call}: the participant stopped before acquiring`, this.context);
  }
}
