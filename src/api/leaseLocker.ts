import type { KubeConfig } from '@kubernetes/client-node';
import { BASE_DEFAULTS, type ParticipantConfig, resolveConfig } from '../lease/config.js';
import { ConfigError, LeadershipError } from '../lease/errors.js';
import type { LeaseRef } from '../lease/record.js';
import { KubernetesLeaseLocks } from '../kubernetes/leaseLock.js';
import type { LeaseLockFactory } from '../ports/leaseLock.js';
import { Participant, type RuntimeOptions } from '../runtime/participant.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import { type CallOptions, LeaseFacade } from './leaseFacade.js';

/** Swisscom leaselocker's settings, in milliseconds. */
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

/** What `new LeaseLocker(...)` takes: where the lease lives, which lease, who we are, and the settings. */
export interface LeaseLockerOptions extends Partial<LeaseLockerConfig>, RuntimeOptions {
  /** Where the lease lives: a kubeconfig (Kubernetes) or any LeaseLockFactory (e.g. a MemoryLeaseStore). */
  locks: KubeConfig | LeaseLockFactory;
  /** The lease; its name is lowercased, as Swisscom's leaselocker does. */
  lease: LeaseRef;
  /** This process's identity (the lease's holderIdentity while locked). */
  owner: string;
}

/** Lease 60 s, renew deadline 10 s, retry 2 s (jittered), unlock retried for 10 s. */
export const LEASE_LOCKER_DEFAULTS: ParticipantConfig = {
  ...BASE_DEFAULTS,
  leaseDuration: 60_000,
  renewDeadline: 10_000,
  retryPeriod: 2_000,
  unlockWithRetryPeriod: 10_000,
  jitterFactor: 1.2,
};

const isLockFactory = (locks: KubeConfig | LeaseLockFactory): locks is LeaseLockFactory =>
  typeof (locks as Partial<LeaseLockFactory>).lockFor === 'function';

/**
 * Swisscom's leaselocker: a Kubernetes Lease used as a distributed lock. `lock()` blocks until the
 * lock is held and keeps renewing it in the background; `tryLock()` gives up after the lease's
 * duration + 1 s; `unlock()` hands it back.
 *
 * One deliberate difference: expiry is always judged by how long *we* have seen the record
 * unchanged on our own clock (Swisscom's useObservedTime), never by comparing the holder's
 * renewTime with our clock, which breaks under clock offset.
 */
export class LeaseLocker extends LeaseFacade {
  readonly ref: LeaseRef;
  readonly owner: string;
  private readonly locks: LeaseLockFactory;
  private current: Participant;
  private readonly config: ParticipantConfig;
  private readonly releaseOnCancel: boolean;
  private readonly runtime: RuntimeOptions;
  private readonly clock: Clock;

  constructor(options: LeaseLockerOptions) {
    super();
    const { locks, lease, owner, releaseOnCancel = false, leaseDuration, renewDeadline, retryPeriod, unlockWithRetryPeriod, watch, ...runtime } =
      options;
    if (!lease?.name || !lease.namespace) throw new ConfigError('lease must name a namespace and a name', 'lease');
    if (!owner) throw new ConfigError('owner must not be empty', 'owner', { lease: `${lease.namespace}/${lease.name}` });
    this.ref = { namespace: lease.namespace, name: lease.name.toLowerCase() };
    this.owner = owner;
    this.runtime = runtime;
    this.clock = runtime.clock ?? realClock;
    this.locks = isLockFactory(locks) ? locks : new KubernetesLeaseLocks(locks, { clock: runtime.clock });
    this.releaseOnCancel = releaseOnCancel;
    this.config = resolveConfig({ leaseDuration, renewDeadline, retryPeriod, unlockWithRetryPeriod, watch }, LEASE_LOCKER_DEFAULTS, this.context);
    this.current = this.newParticipant();
  }

  protected get participant(): Participant {
    return this.current;
  }

  /**
   * Blocks until the lock is held, then renews it in the background until unlock(), loss, or
   * `signal` aborts (with releaseOnCancel the lease is then released; otherwise it expires).
   */
  async lock({ signal }: CallOptions = {}): Promise<void> {
    const participant = this.ready();
    participant.send({ type: 'ACQUIRE' });
    await participant.until(() => participant.leading, signal).catch((error: unknown) => {
      participant.send({ type: 'RELEASE' });
      throw error;
    });
    this.failIfNotHeld('lock');
    signal?.addEventListener('abort', () => this.cancel(participant), { once: true });
  }

  /** One attempt, then keeps trying for the lease's duration + 1 s; LeadershipError if not acquired by then. */
  async tryLock({ signal }: CallOptions = {}): Promise<void> {
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
    const participant = this.current;
    if (participant.snapshot.status !== 'active') return true;
    participant.send({ type: 'RELEASE' });
    const snapshot = await participant.until((s) => s.matches('idle'));
    const released = snapshot.context.lastRelease !== 'failed';
    if (!released) participant.log.warn('unlock failed', { error: snapshot.context.lastError?.message ?? 'timed out' });
    return released;
  }

  /** unlock(), retried until it succeeds, `signal` aborts, or unlockWithRetryPeriod has passed (LeadershipError). */
  async unlockWithRetry({ signal }: CallOptions = {}): Promise<void> {
    const deadline = this.clock.now() + this.config.unlockWithRetryPeriod;
    for (;;) {
      if (await this.unlock()) return;
      signal?.throwIfAborted();
      if (this.clock.now() >= deadline) {
        throw new LeadershipError(`unlock failed for ${this.config.unlockWithRetryPeriod / 1000}s`, this.context);
      }
    }
  }

  /** An error when we hold the lock but have not renewed for leaseDuration + maxTolerableExpiredLease. */
  check(maxTolerableExpiredLease: number): LeadershipError | null {
    if (this.current.stuckFor(maxTolerableExpiredLease) === null) return null;
    return new LeadershipError(`failed locking attempt to renew leadership on lease ${this.ref.name}`, this.context);
  }

  private get context() {
    return { lease: `${this.ref.namespace}/${this.ref.name}`, identity: this.owner };
  }

  private newParticipant(): Participant {
    return new Participant(this.locks.lockFor(this.ref, this.owner), this.config, this.runtime, {
      startedEvent: 'acquired lock',
      stoppedEvent: 'lost lock',
    }).start();
  }

  /** A stopped participant cannot compete again: a new one takes its place (same identity). */
  private ready(): Participant {
    if (this.current.snapshot.status !== 'active') this.current = this.newParticipant();
    return this.current;
  }

  private cancel(participant: Participant): void {
    if (this.releaseOnCancel) participant.send({ type: 'RELEASE' });
    else participant.stop();
  }

  private failIfNotHeld(call: string): void {
    if (!this.current.leading) throw new LeadershipError(`${call}: the participant stopped before acquiring`, this.context);
  }
}
