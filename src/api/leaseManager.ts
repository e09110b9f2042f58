import type { Registry } from 'prom-client';
import type { Observable } from 'rxjs';
import { createActor } from 'xstate';
import { leaseKeyId } from '../ports/managedLeaseStore.js';
import {
  leaseManagerMachine,
  type ManagerOperation,
  type OperationResult,
} from '../../machines/leaseManager.js';
import {
  ClaimDeniedError,
  InvalidLeaseRequestError,
  LeaseManagerError,
  type LeaseErrorContext,
  LeaseManagerStoppedError,
  LeaseTimeoutError,
  NotHeldError,
  WaitCancelledError,
} from '../lease/errors.js';
import { formatDuration } from '../lease/duration.js';
import { defaultSecretaryFinder, type Secretary, type SecretaryFinder } from '../lease/secretary.js';
import { isLive, leaseKeyString, type LeaseKey, type ManagedLeaseStore } from '../ports/managedLeaseStore.js';
import { type LeaseManagerFigures, registerLeaseManagerMetrics } from '../metrics/leaseManagerMetrics.js';
import { leaseManagerImplementations, type LeaseManagerImplementations } from '../runtime/leaseManagerImplementations.js';
import { numberRule, type Rule, validate } from '../lease/validation.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { CallOptions } from './leaseFacade.js';
import type { RuntimeOptions } from '../runtime/options.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import { snapshots } from '../runtime/snapshots.js';

import type { LeaseManagerActor, LeaseManagerSnapshot } from '../../machines/actors.js';
export type { LeaseManagerActor, LeaseManagerSnapshot };

/** What `new LeaseManager(...)` takes: the store, optional tuning and metrics, and the runtime options. */
export interface LeaseManagerOptions extends RuntimeOptions<LeaseManagerImplementations, { store: ManagedLeaseStore; clock: Clock }> {
  store: ManagedLeaseStore;
  /** Longest sleep between expiry checks; default 1 minute. */
  maxSleep?: number;
  /** Waited past the earliest expiry before expiring it; default 1 second. */
  expirySlack?: number;
  /** Store calls per request before a transient error becomes LeaseTimeoutError; default 10. */
  retryAttempts?: number;
  /** Secretaries by lease namespace; default: Juju's application-leadership rules, generic otherwise. */
  secretaryFinder?: SecretaryFinder;
  /** prom-client registry to publish the manager's metrics in (see src/metrics/leaseManagerMetrics.ts). */
  registry?: Registry;
}

/** Claims and extends leases of one (namespace, model); Juju's Claimer. */
export interface Claimer {
  /** Claims a free lease or extends one `holder` holds; ClaimDeniedError when another holds it. */
  claim(lease: string, holder: string, durationMs: number): Promise<void>;
  /** Resolves once the lease is gone (expired or revoked); WaitCancelledError when `signal` aborts. */
  waitUntilExpired(lease: string, options?: CallOptions): Promise<void>;
}

/** A check that a holder holds a lease, made by `Checker.token`. */
export interface Token {
  /** Throws NotHeldError unless `holder` holds the lease now (not lapsed on the local clock). */
  check(): void;
}

/** Checks leadership of one (namespace, model); Juju's Checker. */
export interface Checker {
  /** A token that checks `holder` holds `lease`. */
  token(lease: string, holder: string): Token;
}

/** Ends leases of one (namespace, model) early; Juju's Revoker. */
export interface Revoker {
  /** Ends the holder's lease at once; NotHeldError if it is not theirs, LeaseManagerError if pinned. */
  revoke(lease: string, holder: string): Promise<void>;
}

/** Freezes leases of one (namespace, model), e.g. during an upgrade; Juju's Pinner. */
export interface Pinner {
  /** While any entity pins a lease it never expires and cannot be revoked. */
  pin(lease: string, entity: string): Promise<void>;
  /** Removes `entity`'s pin; the lease expires normally once nobody pins it. */
  unpin(lease: string, entity: string): Promise<void>;
  /** Pinned leases of this model and who pins them. */
  pinned(): Record<string, string[]>;
}

/** Lists the leases of one (namespace, model); Juju's Reader. */
export interface Reader {
  /** Every live lease of this model: holder and local expiry. */
  leases(): Record<string, { holder: string; expiry: number }>;
}

/** What `report()` returns: sizes, queue, waiters, next wake-up and counters. */
export interface LeaseManagerReport extends LeaseManagerFigures {
  state: unknown;
  nextWakeAt: number | null;
}

/** A request or waiter still outstanding, and the lease (and holder or entity) its errors name. */
interface Pending {
  resolve(result: OperationResult): void;
  reject(error: unknown): void;
  context: LeaseErrorContext;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  context: LeaseErrorContext;
}

/** Omit over each member of a union, keeping it a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const DEFAULTS = { maxSleep: 60_000, expirySlack: 1_000, retryAttempts: 10 };
const MANAGER_RULES: readonly Rule<typeof DEFAULTS>[] = [
  numberRule('maxSleep', (ms) => ms > 0, ({ maxSleep }) => `maxSleep must be a positive number, got ${maxSleep}`),
  numberRule('expirySlack', (ms) => ms >= 0, ({ expirySlack }) => `expirySlack must be zero or more, got ${expirySlack}`),
  numberRule('retryAttempts', (n) => n > 0, ({ retryAttempts }) => `retryAttempts must be a positive number, got ${retryAttempts}`),
];
const LOADING_WARNING_FIRST_MS = 10_000;
const LOADING_WARNING_MAX_MS = 300_000;

/**
 * LeaseManager: many leases, many holders, one actor and one timer (Juju's lease manager).
 *
 * Facades per (namespace, model): `claimer` (claim, waitUntilExpired), `checker` (token checks),
 * `revoker`, `pinner` and `reader`. A secretary per namespace validates lease names, holders and
 * durations before anything reaches the machine. Transient store errors are retried with jittered
 * backoff (50 ms x1.6, 10 tries) and then fail the one request with LeaseTimeoutError; any other
 * store error stops the manager, and every caller still waiting gets LeaseManagerStoppedError with
 * that error as its `cause`.
 */
export class LeaseManager {
  readonly actor: LeaseManagerActor;
  /** The current snapshot, then every change. */
  readonly state$: Observable<LeaseManagerSnapshot>;
  private readonly clock: Clock;
  private readonly secretaryFinder: SecretaryFinder;
  private readonly log: Logger;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  /** Set once the manager has stopped: with the store error that stopped it, if one did. */
  private stoppedBy: { cause: unknown } | null = null;

  constructor(options: LeaseManagerOptions) {
    const input = validate({ ...DEFAULTS, ...definedOf(options) }, MANAGER_RULES);
    this.clock = options.clock ?? realClock;
    this.secretaryFinder = options.secretaryFinder ?? defaultSecretaryFinder;
    this.log = options.logger ?? silentLogger;
    const defaults = leaseManagerImplementations(options.store, this.clock, options.random);
    this.actor = createActor(leaseManagerMachine.provide(options.implementations?.(defaults, { store: options.store, clock: this.clock }) ?? defaults), {
      input,
      clock: this.clock,
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    this.actor.on('settled', ({ id, result }) => this.take(id)?.resolve(result));
    this.actor.on('timedOut', ({ id, error, attempts }) => {
      const pending = this.take(id);
      const message = `the lease store (${options.store.describe()}) stayed unavailable through ${attempts} tries`;
      this.log.warn(message, { ...pending?.context, error });
      pending?.reject(new LeaseTimeoutError(message, pending.context, { cause: error }));
    });
    this.actor.on('released', ({ ids }) => ids.forEach((id) => this.takeWaiter(id)?.resolve()));
    this.actor.on('cancelled', ({ id }) => {
      const waiter = this.takeWaiter(id);
      waiter?.reject(new WaitCancelledError('waitUntilExpired was cancelled', waiter.context));
    });
    this.actor.on('stopped', ({ error }) => this.failEveryone(error));
    this.state$ = snapshots(this.actor);
    this.actor.start();
    if (this.actor.getSnapshot().matches('loading')) this.warnWhileLoading(options.store);
    if (options.registry) registerLeaseManagerMetrics(options.registry, () => this.report());
  }

  /** Claims for leases in `namespace` (a secretary validates them) of `model`. */
  claimer(namespace: string, model: string): Claimer {
    const secretary = this.secretary(namespace);
    return {
      claim: async (lease, holder, durationMs) => {
        secretary.checkLease(lease);
        secretary.checkHolder(holder);
        secretary.checkDuration(durationMs);
        const key = { namespace, model, lease };
        const result = await this.request({ kind: 'claim', key, holder, durationMs });
        if (result.outcome === 'denied') {
          throw new ClaimDeniedError(`claim denied: held by ${result.holder}`, { lease: leaseKeyString(key), identity: holder }, result.holder);
        }
      },
      waitUntilExpired: (lease, { signal } = {}) => {
        secretary.checkLease(lease);
        return this.waitUntilExpired({ namespace, model, lease }, signal);
      },
    };
  }

  /** Token checks for leases in `namespace` of `model`. */
  checker(namespace: string, model: string): Checker {
    const secretary = this.secretary(namespace);
    return {
      token: (lease, holder) => {
        secretary.checkLease(lease);
        secretary.checkHolder(holder);
        const key = { namespace, model, lease };
        return {
          check: () => {
            const held = this.actor.getSnapshot().context.leases.get(leaseKeyId(key));
            if (!held || held.holder !== holder || !isLive(held, this.clock.now())) {
              throw new NotHeldError('lease not held', { lease: leaseKeyString(key), identity: holder });
            }
          },
        };
      },
    };
  }

  /** Revocations for leases in `namespace` of `model`. */
  revoker(namespace: string, model: string): Revoker {
    const secretary = this.secretary(namespace);
    return {
      revoke: async (lease, holder) => {
        secretary.checkLease(lease);
        secretary.checkHolder(holder);
        const key = { namespace, model, lease };
        const result = await this.request({ kind: 'revoke', key, holder });
        const context = { lease: leaseKeyString(key), identity: holder };
        if (result.outcome === 'notHeld') throw new NotHeldError('cannot revoke: lease not held', context);
        if (result.outcome === 'isPinned') throw new LeaseManagerError('cannot revoke: lease is pinned', context);
      },
    };
  }

  /** Pins for leases in `namespace` of `model`. */
  pinner(namespace: string, model: string): Pinner {
    const secretary = this.secretary(namespace);
    const change = (kind: 'pin' | 'unpin') => async (lease: string, entity: string) => {
      secretary.checkLease(lease);
      if (!entity) throw new InvalidLeaseRequestError(`${namespace}: empty entity for ${kind}`);
      const key = { namespace, model, lease };
      const result = await this.request({ kind, key, entity });
      if (result.outcome === 'notHeld') throw new NotHeldError(`cannot ${kind}: lease not held`, { lease: leaseKeyString(key), identity: entity });
    };
    return {
      pin: change('pin'),
      unpin: change('unpin'),
      pinned: () =>
        Object.fromEntries(
          this.leasesOf(namespace, model)
            .filter((lease) => lease.pinnedBy.length)
            .map((lease) => [lease.key.lease, [...lease.pinnedBy]]),
        ),
    };
  }

  /** Reads of the leases in `namespace` of `model`. */
  reader(namespace: string, model: string): Reader {
    this.secretary(namespace);
    return {
      leases: () =>
        Object.fromEntries(this.leasesOf(namespace, model).map(({ key, holder, expiry }) => [key.lease, { holder, expiry }])),
    };
  }

  /** The manager's state now, for logs, metrics and tests. */
  report(): LeaseManagerReport {
    const { value, context } = this.actor.getSnapshot();
    const queued = { claims: 0, revokes: 0, pins: 0 };
    for (const operation of context.queue) {
      if (operation.kind === 'claim') queued.claims++;
      else if (operation.kind === 'revoke') queued.revokes++;
      else queued.pins++;
    }
    let pinned = 0;
    for (const lease of context.leases.values()) if (lease.pinnedBy.length) pinned++;
    return {
      state: value,
      leases: context.leases.size,
      pinned,
      queued,
      waiters: context.waiterKeys.size,
      nextWakeAt: context.wakeAt,
      counters: { ...context.counters },
    };
  }

  /** Stops the manager; every request and waiter still outstanding fails with LeaseManagerStoppedError. */
  stop(): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'STOP' });
    this.actor.stop();
  }

  private request(operation: DistributiveOmit<ManagerOperation, 'id'>): Promise<OperationResult> {
    const context = { lease: leaseKeyString(operation.key), identity: 'holder' in operation ? operation.holder : operation.entity };
    if (this.stoppedBy) return Promise.reject(this.stoppedError(context));
    const id = this.nextId++;
    return new Promise<OperationResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, context });
      this.actor.send({ type: 'REQUEST', operation: { ...operation, id } as ManagerOperation });
    });
  }

  private waitUntilExpired(key: LeaseKey, signal?: AbortSignal): Promise<void> {
    const context = { lease: leaseKeyString(key) };
    if (this.stoppedBy) return Promise.reject(this.stoppedError(context));
    if (signal?.aborted) return Promise.reject(new WaitCancelledError('waitUntilExpired was cancelled', context));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.actor.send({ type: 'CANCEL_WAIT', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <T extends unknown[]>(fn: (...args: T) => void) => (...args: T) => {
        signal?.removeEventListener('abort', onAbort);
        fn(...args);
      };
      this.waiters.set(id, { resolve: settle(resolve), reject: settle(reject), context });
      this.actor.send({ type: 'WAIT', id, key });
    });
  }

  private leasesOf(namespace: string, model: string) {
    return [...this.actor.getSnapshot().context.leases.values()].filter(
      ({ key }) => key.namespace === namespace && key.model === model,
    );
  }

  private secretary(namespace: string): Secretary {
    const secretary = this.secretaryFinder(namespace);
    if (!secretary) throw new InvalidLeaseRequestError(`no secretary for lease namespace ${JSON.stringify(namespace)}`);
    return secretary;
  }

  /**
   * Requests wait until the store has listed its leases once (a Kubernetes store: until the API
   * server answers). Says so, and for how long, while it lasts: LOADING_WARNING_FIRST_MS, then at
   * each doubling up to LOADING_WARNING_MAX_MS apart.
   */
  private warnWhileLoading(store: ManagedLeaseStore): void {
    let every = LOADING_WARNING_FIRST_MS;
    let waited = 0;
    const warn = () => {
      waited += every;
      const { claims, revokes, pins } = this.report().queued;
      this.log.warn(`the lease store (${store.describe()}) has not listed its leases after ${formatDuration(waited)}: requests wait until it does`, {
        queued: claims + revokes + pins,
      });
      every = Math.min(every * 2, LOADING_WARNING_MAX_MS);
      timer = this.clock.setTimeout(warn, every);
    };
    let timer = this.clock.setTimeout(warn, every);
    const loaded = this.actor.subscribe({
      next: (snapshot) => {
        if (snapshot.matches('loading')) return;
        this.clock.clearTimeout(timer);
        if (waited > 0 && snapshot.matches('running')) this.log.info(`the lease store listed its leases after more than ${formatDuration(waited)}`);
        loaded.unsubscribe();
      },
      complete: () => this.clock.clearTimeout(timer),
    });
  }

  /** The manager's stop, as the error of one request or waiter (naming its lease), with the stop's cause. */
  private stoppedError(context: LeaseErrorContext): LeaseManagerStoppedError {
    const cause = this.stoppedBy?.cause;
    return new LeaseManagerStoppedError('lease manager stopped', context, cause ? { cause } : undefined);
  }

  private take(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  private takeWaiter(id: number): Waiter | undefined {
    const waiter = this.waiters.get(id);
    this.waiters.delete(id);
    return waiter;
  }

  private failEveryone(cause: unknown): void {
    if (cause) this.log.error('lease manager stopped on a store error', { error: cause });
    this.stoppedBy = { cause };
    for (const pending of this.pending.values()) pending.reject(this.stoppedError(pending.context));
    for (const waiter of this.waiters.values()) waiter.reject(this.stoppedError(waiter.context));
    this.pending.clear();
    this.waiters.clear();
  }
}

/** The tuning options given (undefined ones take the default). */
function definedOf({ maxSleep, expirySlack, retryAttempts }: LeaseManagerOptions): Partial<typeof DEFAULTS> {
  return Object.fromEntries(Object.entries({ maxSleep, expirySlack, retryAttempts }).filter(([, value]) => value !== undefined));
}
