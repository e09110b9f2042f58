/**
 * A running participant: the machine provided with a lock and a clock, plus the leadership window
 * that every facade relies on. The window opens when the machine enters a held state with a landed
 * write, and closes — aborting the guarded work's AbortSignal — in the same tick as the transition
 * that ends it, so work stops before any other participant could legally take over.
 */
import type { Observable } from 'rxjs';
import { createActor, type Subscription } from 'xstate';
import {
  isLeading,
  leaseParticipantMachine,
  windowCloses,
  type LeadershipEnd,
  type ParticipantEmitted,
  type ParticipantEvent,
  type ReleaseOutcome,
} from '../../machines/leaseParticipant.js';
import type { ParticipantConfig } from '../lease/config.js';
import { HandOverError, type HandOverFailure, LeadershipError } from '../lease/errors.js';
import type { LeaseLock } from '../ports/leaseLock.js';
import { type Logger, silentLogger, withFields } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import {
  ParticipantRuntime,
  participantImplementations,
  sharedParticipantMachine,
  type ParticipantImplementations,
} from './participantImplementations.js';
import type { RuntimeOptions } from './options.js';
import { snapshots } from './snapshots.js';
import { StoreOutage } from './storeOutage.js';

import type { ParticipantActor, ParticipantSnapshot } from '../../machines/actors.js';
export type { ParticipantActor, ParticipantSnapshot };
type HandOverSettled = Extract<ParticipantEmitted, { type: 'handOverSettled' }>;

/** What a participant runs with: the one RuntimeOptions, with the participant machine's implementations. */
export type ParticipantRuntimeOptions = RuntimeOptions<ParticipantImplementations, { lock: LeaseLock; clock: Clock }>;

export interface LeadershipHooks {
  /** Leadership began; `signal` aborts the moment it ends. `term` is the fencing token. */
  onStarted?(signal: AbortSignal, term: number): void | Promise<void>;
  onStopped?(): void;
  /** The observed holder changed (including to "" after a release). */
  onNewLeader?(identity: string): void;
  /** Messages recorded as lease events when leadership starts and ends. */
  startedEvent?: string;
  stoppedEvent?: string;
}

export class Participant {
  readonly actor: ParticipantActor;
  /** The current snapshot, then every change. */
  readonly state$: Observable<ParticipantSnapshot>;
  private window: AbortController | null = null;
  private reportedLeader = '';
  private readonly clock: Clock;
  /** The logger given, bound to this lease and identity. */
  readonly log: Logger;

  constructor(
    readonly lock: LeaseLock,
    config: ParticipantConfig,
    options: ParticipantRuntimeOptions = {},
    private readonly hooks: LeadershipHooks = {},
  ) {
    const clock = (this.clock = options.clock ?? realClock);
    this.log = withFields(options.logger ?? silentLogger, { lease: lock.describe(), identity: lock.identity });
    // Store calls that fail are logged once, then at intervals, then once when answered again.
    const outage = new StoreOutage(this.log, clock, () => stateName(this.snapshot));
    const runtime = new ParticipantRuntime(lock, clock, options.random, outage);
    // Replacing implementations needs a machine of its own; everyone else shares one (a copy is ~67 KiB).
    const machine = options.implementations
      ? leaseParticipantMachine.provide(options.implementations(participantImplementations(lock, clock, options.random), { lock, clock }))
      : sharedParticipantMachine;
    this.actor = createActor(machine, {
      input: { identity: lock.identity, config, runtime },
      clock,
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    // A failure of the actor closes the window (below); here it only must not count as unhandled.
    this.actor.subscribe({ next: (snapshot) => this.followLeader(snapshot), error: () => {} });
    followLeadership(this.actor, {
      opened: (term) => this.openWindow(term),
      closed: (why) => this.closeWindow(why),
    });
    this.state$ = snapshots(this.actor);
  }

  start(): this {
    this.actor.start();
    return this;
  }

  send(event: ParticipantEvent): void {
    this.actor.send(event);
  }

  /** Stops without releasing, if still running. */
  stop(): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'STOP' });
  }

  get snapshot(): ParticipantSnapshot {
    return this.actor.getSnapshot();
  }

  /** May act as leader now: the machine holds leadership and its window is open on the clock. */
  get leading(): boolean {
    const snapshot = this.snapshot;
    return isLeading(snapshot) && this.clock.now() < windowCloses(snapshot.context);
  }

  /**
   * client-go's health check: the last record seen names us (client-go's IsLeader) and has not
   * changed for longer than leaseDuration + `tolerance`, so this process's renewal is stuck. It
   * keeps failing after a renew loop that gave up (the record it saw last still names it), until
   * the process is restarted, which is what a liveness probe is for. Null when healthy.
   */
  stuckFor(tolerance: number): number | null {
    const { observed, observedAt, identity, config } = this.snapshot.context;
    if (observed?.record.holderIdentity !== identity || observedAt === null) return null;
    const overdue = this.clock.now() - observedAt - config.leaseDuration - tolerance;
    return overdue > 0 ? overdue : null;
  }

  /** Aborts when the current leadership window closes; undefined when not leading. */
  get leadershipSignal(): AbortSignal | undefined {
    return this.window?.signal;
  }

  /**
   * Resolves with the first snapshot (the current one included) for which `predicate` holds, or
   * with the final snapshot once the participant has stopped; rejects when `signal` aborts.
   */
  until(predicate: (snapshot: ParticipantSnapshot) => boolean, signal?: AbortSignal): Promise<ParticipantSnapshot> {
    return new Promise((resolve, reject) => {
      const settled = (snapshot: ParticipantSnapshot) => predicate(snapshot) || snapshot.status !== 'active';
      const current = this.snapshot;
      if (settled(current)) return resolve(current);
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        subscription.unsubscribe();
        reject(signal!.reason);
      };
      const subscription = this.actor.subscribe((snapshot) => {
        if (!settled(snapshot)) return;
        subscription.unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolve(snapshot);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Hands the lease to `to` (see the machine's handingOver): resolves once `to` leads, that is once
   * a write newer than our hand-over names it (its confirming renew). Our window closes before the
   * write is sent. While a renew is in flight the hand-over waits for it to land. Rejects with
   * HandOverError: not leading, `to` empty or our own identity, or `signal` already aborted
   * (nothing written, leadership intact); the write conflicted or failed (the window stays closed;
   * the participant goes on as a candidate and leads again only after a fresh renew); another write
   * came first (overtaken); `to` did not renew within leaseDuration (timeout: an ordinary takeover
   * follows by expiry); stopped; `signal` aborted after the write was sent (abandoned: the
   * hand-over goes on without us waiting).
   */
  async handOver(to: string, signal?: AbortSignal): Promise<void> {
    const failure = (reason: HandOverFailure, message: string) =>
      new HandOverError(`hand-over to ${JSON.stringify(to)}: ${message}`, { lease: this.lock.describe(), identity: this.lock.identity }, to, reason);
    if (typeof to !== 'string' || to === '' || to === this.lock.identity) {
      throw failure('invalidTarget', `expected another participant's identity, got ${to === this.lock.identity ? 'our own' : 'an empty one'}`);
    }
    const notLeading = () => failure('notLeading', 'not leading: only the leader can hand the lease over; nothing was written');
    const aborted = () => failure('aborted', 'aborted before the hand-over began: nothing was written, leadership is intact');
    if (signal?.aborted) throw aborted();
    if (!this.leading) throw notLeading();
    // A renew in flight would make our write conflict with our own: hand over once it landed.
    if (!this.snapshot.matches('leading')) {
      const ready = await this.until((s) => s.matches('leading') || !isLeading(s), signal).catch(() => {
        throw aborted();
      });
      if (!ready.matches('leading') || !this.leading) throw notLeading();
    }
    this.log.info('handing over', { to });
    const settled = this.nextEmitted('handOverSettled');
    this.send({ type: 'HAND_OVER', to });
    const outcome = await settled.until(signal).catch(() => {
      throw failure('abandoned', `aborted after the hand-over write was sent: the lease may be ${JSON.stringify(to)}'s already; the hand-over goes on`);
    });
    const error = this.handOverFailure(outcome, failure);
    if (error) {
      this.log.warn('hand-over failed', { to, reason: error.reason, error: error.message });
      throw error;
    }
    this.log.info('handed over', { to });
  }

  /**
   * Releases (RELEASE) and resolves with how it ended, or null if the participant stopped first;
   * rejects when `signal` aborts (the release goes on).
   */
  release(signal?: AbortSignal): Promise<ReleaseOutcome | null> {
    const settled = this.nextEmitted('releaseSettled');
    this.send({ type: 'RELEASE' });
    return settled.until(signal).then((event) => event?.outcome ?? null);
  }

  /**
   * The next `type` event the machine emits, listened for from now on (before the event that causes
   * it is sent); null if the actor ends first. `until(signal)` rejects when `signal` aborts.
   */
  private nextEmitted<T extends ParticipantEmitted['type']>(type: T) {
    type Emitted = Extract<ParticipantEmitted, { type: T }>;
    let settle!: (event: Emitted | null) => void;
    const settled = new Promise<Emitted | null>((resolve) => (settle = resolve));
    const subscriptions = [
      this.actor.on(type, (event) => settle(event as Emitted)),
      this.actor.subscribe({ complete: () => settle(null), error: () => settle(null) }),
    ];
    return {
      until: (signal?: AbortSignal) =>
        new Promise<Emitted | null>((resolve, reject) => {
          const onAbort = () => reject(signal!.reason);
          if (signal?.aborted) return onAbort();
          signal?.addEventListener('abort', onAbort, { once: true });
          void settled.then((event) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(event);
          });
        }).finally(() => subscriptions.forEach((subscription) => subscription.unsubscribe())),
    };
  }

  /** The error a settled hand-over ends handOver() with; null when the target leads. */
  private handOverFailure(settled: HandOverSettled | null, failure: (reason: HandOverFailure, message: string) => HandOverError): HandOverError | null {
    const { lastError, config } = this.snapshot.context;
    const { outcome, holder, written } = settled ?? { outcome: 'stopped', holder: null, written: false };
    switch (outcome) {
      case 'handedOver':
        return null;
      case 'overtaken':
        return failure('overtaken', `another write came first: the lease names ${JSON.stringify(holder)} now`);
      case 'conflict':
        return failure('conflict', 'someone else wrote the lease first; our leadership window had closed already and stays closed');
      case 'failed':
        return failure('failed', `the hand-over write failed (${lastError?.message ?? 'no answer'}); it may have landed; our window stays closed`);
      case 'timeout':
        return failure('timeout', `the target did not renew within ${config.leaseDuration} ms: the lease expires and an ordinary takeover follows`);
      case 'stopped':
        return failure('stopped', written ? 'stopped while waiting for the target to renew' : 'stopped before the hand-over write landed');
    }
  }

  /** The holder the participant last saw (client-go's OnNewLeader compares observed records the same way). */
  private followLeader(snapshot: ParticipantSnapshot): void {
    const { leader } = snapshot.context;
    if (leader !== this.reportedLeader) {
      this.reportedLeader = leader;
      this.log.debug('observed a new holder', { holder: leader });
      this.guard('onNewLeader', () => this.hooks.onNewLeader?.(leader));
    }
  }

  private openWindow(term: number): void {
    const window = (this.window = new AbortController());
    this.log.info('started leading', { term });
    if (this.hooks.startedEvent) this.lock.recordEvent(this.hooks.startedEvent);
    this.guard('onStartedLeading', () => this.hooks.onStarted?.(window.signal, term));
  }

  private closeWindow(why: string): void {
    const window = this.window;
    if (!window) return;
    this.window = null;
    window.abort(new LeadershipError(`leadership ended: ${why}`, { lease: this.lock.describe(), identity: this.lock.identity }));
    this.log.info('stopped leading', { reason: why });
    if (this.hooks.stoppedEvent) this.lock.recordEvent(this.hooks.stoppedEvent);
    this.guard('onStoppedLeading', () => this.hooks.onStopped?.());
  }

  /** A user callback must never crash the participant; its failure is logged and becomes a lease event. */
  private guard(name: string, callback: () => unknown): void {
    const report = (error: unknown) => {
      this.log.error(`${name} callback failed`, { error });
      this.lock.recordEvent(`callback failed: ${error instanceof Error ? error.message : String(error)}`);
    };
    try {
      const result = callback();
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  }
}

export interface LeadershipEdges {
  /** A window opened: the machine holds the lease and a write of this tenure landed; `term` is its fencing token. */
  opened(term: number): void;
  /** The window closed; `why` says how (released, renewDeadline passed, another holder, stopped). */
  closed(why: string): void;
}

const ENDINGS: Record<LeadershipEnd, string> = {
  released: 'released',
  handingOver: 'handing the lease over',
  preempted: 'another holder took the lease',
  deadline: 'renewDeadline passed without a successful renew',
  stopped: 'stopped',
};

/**
 * The one definition of a leadership window: it opens when the machine emits leadershipStarted and
 * closes when it emits leadershipEnded, in the transition that ends it, or when the actor stops or
 * fails. Participant aborts the guarded work's signal on it; the simulator records the windows it checks.
 */
export function followLeadership(actor: ParticipantActor, edges: LeadershipEdges): Subscription {
  let open = false;
  const close = (why: string) => {
    if (!open) return;
    open = false;
    edges.closed(why);
  };
  const subscriptions = [
    actor.on('leadershipStarted', ({ term }) => {
      open = true;
      edges.opened(term);
    }),
    actor.on('leadershipEnded', ({ why }) => close(ENDINGS[why])),
    actor.subscribe({ error: () => close('the participant failed'), complete: () => close('the participant stopped') }),
  ];
  return { unsubscribe: () => subscriptions.forEach((subscription) => subscription.unsubscribe()) };
}

function stateName(snapshot: ParticipantSnapshot): string {
  return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
}
