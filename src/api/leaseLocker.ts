import type { KubeConfig } from '@kubernetes/client-node';
import { BASE_DEFAULTS, type ParticipantConfig, resolveConfig } from '../lease/config.js';
import { LeadershipError } from '../lease/errors.js';
import { type Rule, validate } from '../lease/validation.js';
import type { LeaseRef } from '../lease/record.js';
import { KubernetesLeaseLocks } from '../kubernetes/leaseLock.js';
import type { LeaseLock, LeaseLockFactory } from '../ports/leaseLock.js';
import { Participant, type ParticipantRuntimeOptions } from '../runtime/participant.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import { type CallOptions, LeaseFacade } from './leaseFacade.js';

/**
 * What `new LeaseLocker(...)` takes: the lease's `lock` (as every single-lease facade does) or,
 * as Swisscom's leaselocker is called, where it lives (`locks`), which lease and who we are; then
 * the settings and the runtime options.
 */
export interface LeaseLockerOptions extends ParticipantRuntimeOptions {
  /** Swisscom leaselocker's settings, in milliseconds. Default 60 s. */
  leaseDuration?: number;
  /** Default 10 s. */
  renewDeadline?: number;
  /** Default 2 s. */
  retryPeriod?: number;
  /** How long unlock keeps retrying; default 10 s. */
  unlockWithRetryPeriod?: number;
  /** Release when lock()'s signal aborts; default false (the lease then expires by itself). */
  releaseOnCancel?: boolean;
  /** Watch the lease (default true); false polls every jittered retryPeriod, as Swisscom's does. */
  watch?: boolean;
  /** The lease under this process's identity (a KubernetesLeaseLock, a MemoryLeaseLock). Or, instead: */
  lock?: LeaseLock;
  /** Where the lease lives: a kubeconfig (Kubernetes) or any LeaseLockFactory (e.g. a MemoryLeaseStore); with `lease` and `owner`. */
  locks?: KubeConfig | LeaseLockFactory;
  /** With `locks`: the lease; its name is lowercased, as Swisscom's leaselocker does. */
  lease?: LeaseRef;
  /** With `locks`: this process's identity (the lease's holderIdentity while locked). */
  owner?: string;
}

/** Either a lock, or locks + lease + owner; checked before anything starts. */
const LOCKER_RULES: readonly Rule<LeaseLockerOptions>[] = [
  { field: 'lock', broken: (o) => (o.lock === undefined) === (o.locks === undefined), says: 'give either lock, or locks with lease and owner' },
  { field: 'lease', broken: (o) => !o.lock && (!o.lease?.name || !o.lease.namespace), says: 'lease must name a namespace and a name' },
  { field: 'owner', broken: (o) => !o.lock && !o.owner, says: 'owner must not be empty' },
  { field: 'lock', broken: (o) => o.lock !== undefined && !o.lock.identity, says: 'the lock has no identity' },
];


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
  /** Lease 60 s, renew deadline 10 s, retry 2 s (jittered), unlock retried for 10 s. */
  static readonly DEFAULTS: Readonly<ParticipantConfig> = {
    ...BASE_DEFAULTS,
    leaseDuration: 60_000,
    renewDeadline: 10_000,
    retryPeriod: 2_000,
    unlockWithRetryPeriod: 10_000,
    jitterFactor: 1.2,
  };

  readonly ref: LeaseRef;
  readonly owner: string;
  /** The lease's lock, shared by every participant this locker starts. */
  private readonly leaseLock: LeaseLock;
  private current: Participant;
  private readonly config: ParticipantConfig;
  private readonly releaseOnCancel: boolean;
  private readonly runtime: ParticipantRuntimeOptions;
  private readonly clock: Clock;

  constructor(options: LeaseLockerOptions) {
    super();
    const { lock, locks, lease, owner, releaseOnCancel = false, leaseDuration, renewDeadline, retryPeriod, unlockWithRetryPeriod, watch, ...runtime } =
      options;
    validate(options, LOCKER_RULES, lease?.namespace && lease.name ? { lease: `${lease.namespace}/${lease.name}` } : {});
    this.runtime = runtime;
    this.clock = runtime.clock ?? realClock;
    if (lock) {
      this.leaseLock = lock;
    } else {
      const ref = { namespace: lease!.namespace, name: lease!.name.toLowerCase() };
      this.leaseLock = (isLockFactory(locks!) ? locks : new KubernetesLeaseLocks(locks!, { clock: runtime.clock })).lockFor(ref, owner!);
    }
    this.ref = this.leaseLock.ref;
    this.owner = this.leaseLock.identity;
    this.releaseOnCancel = releaseOnCancel;
    this.config = resolveConfig({ leaseDuration, renewDeadline, retryPeriod, unlockWithRetryPeriod, watch }, LeaseLocker.DEFAULTS, this.context);
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
    const released = (await participant.release()) !== 'failed';
    if (!released) participant.log.warn('unlock failed', { error: participant.snapshot.context.lastError?.message ?? 'timed out' });
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
    return new Participant(this.leaseLock, this.config, this.runtime, {
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
