import { BASE_DEFAULTS, type ParticipantConfig, resolveConfig } from '../lease/config.js';
import { LeadershipError } from '../lease/errors.js';
import { type Rule, validate } from '../lease/validation.js';
import type { LeaseLock } from '../ports/leaseLock.js';
import { Participant, type ParticipantRuntimeOptions } from '../runtime/participant.js';
import type { HealthzAdaptor } from './healthzAdaptor.js';
import { type CallOptions, LeaseFacade } from './leaseFacade.js';

/** client-go's LeaderCallbacks. A callback that throws is logged and never stops the elector. */
export interface LeaderCallbacks {
  /** Called when we become leader; `signal` aborts the moment leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called on every exit of run(), even if we never led. */
  onStoppedLeading(): void;
  /** Called whenever the observed leader changes, including the first observation. */
  onNewLeader?(identity: string): void;
}

/** client-go's LeaderElectionConfig, in milliseconds; validated at construction with client-go's messages. */
export interface LeaderElectionConfig extends ParticipantRuntimeOptions {
  lock: LeaseLock;
  /** How long candidates wait, without seeing a change, before taking over. Core clients use 15 s. */
  leaseDuration: number;
  /** How long the leader keeps acting without a successful renew. Core clients use 10 s. */
  renewDeadline: number;
  /** Renew and retry interval. Core clients use 2 s. */
  retryPeriod: number;
  /** Release the lease when run()'s signal aborts, so a successor takes over at once. */
  releaseOnCancel?: boolean;
  callbacks: LeaderCallbacks;
  /** Gets this elector so its /healthz can report a stuck leader. */
  watchdog?: HealthzAdaptor;
  /** Name for logs and metrics; default the lease's "namespace/name". */
  name?: string;
  /** Watch the lease (default true); false polls like client-go (jittered retryPeriod). */
  watch?: boolean;
}

/** client-go's JitterFactor: a polling elector waits retryPeriod * (1 + random * 1.2) between reads. */
const JITTER_FACTOR = 1.2;

/** client-go's NewLeaderElector checks after the timing, in its order and words. */
const ELECTOR_RULES: readonly Rule<LeaderElectionConfig>[] = [
  { field: 'callbacks', broken: (o) => !o.callbacks?.onStartedLeading, says: 'OnStartedLeading callback must not be nil' },
  { field: 'callbacks', broken: (o) => !o.callbacks.onStoppedLeading, says: 'OnStoppedLeading callback must not be nil' },
  { field: 'lock', broken: (o) => !o.lock, says: 'Lock must not be nil.' },
  { field: 'lock', broken: (o) => !o.lock.identity, says: 'Lock identity is empty' },
];

/**
 * client-go's leader election, TypeScript-shaped: AbortSignal for context.Context, milliseconds for
 * time.Duration. `run(signal)` competes once: it returns when leadership is lost or `signal`
 * aborts, and never re-contends (create a new elector for that). Unlike client-go, candidates wake
 * on a watch of the lease and at the exact local expiry, so hand-over after a release is one watch
 * delivery plus one write instead of up to one jittered retryPeriod.
 */
export class LeaderElector extends LeaseFacade {
  readonly name: string;
  protected readonly participant: Participant;
  private readonly config: ParticipantConfig;
  private ran = false;

  /** Validates like client-go's NewLeaderElector: same rules, order and messages. */
  constructor(private readonly options: LeaderElectionConfig) {
    super();
    const { lock, callbacks } = options;
    const context = lock ? { lease: lock.describe(), identity: lock.identity } : {};
    const watch = options.watch ?? true;
    this.config = resolveConfig(
      {
        leaseDuration: options.leaseDuration,
        renewDeadline: options.renewDeadline,
        retryPeriod: options.retryPeriod,
        afterLoss: 'stop',
        watch,
        jitterFactor: watch ? 0 : JITTER_FACTOR,
      },
      BASE_DEFAULTS,
      context,
    );
    validate(options, ELECTOR_RULES, context);
    this.name = options.name ?? lock.describe();
    this.participant = new Participant(lock, this.config, options, {
      onStarted: (signal) => callbacks.onStartedLeading(signal),
      onNewLeader: (identity) => callbacks.onNewLeader?.(identity),
      startedEvent: `${lock.identity} became leader`,
      stoppedEvent: `${lock.identity} stopped leading`,
    });
    options.watchdog?.setLeaderElection(this);
  }

  /**
   * Competes for the lease until leadership is lost, `signal` aborts or stop() is called, then
   * calls onStoppedLeading. With releaseOnCancel, an abort while leading releases the lease first.
   */
  async run({ signal }: CallOptions = {}): Promise<void> {
    if (this.ran) {
      throw new LeadershipError('run() may be called once: create a new LeaderElector to compete again', {
        lease: this.options.lock.describe(),
        identity: this.options.lock.identity,
      });
    }
    this.ran = true;
    this.participant.start().send({ type: 'ACQUIRE' });
    try {
      await this.participant.until((s) => s.status !== 'active', signal);
    } catch {
      // run()'s signal aborted: release if asked to and we lead, then stop.
      if (this.options.releaseOnCancel && this.participant.leading) {
        if ((await this.participant.release()) === 'failed') {
          this.participant.log.warn('release on cancel failed: the lease expires by itself', {
            error: this.participant.snapshot.context.lastError?.message ?? 'timed out',
          });
        }
      }
      this.participant.stop();
    } finally {
      try {
        this.options.callbacks.onStoppedLeading();
      } catch (error) {
        this.participant.log.error('onStoppedLeading callback failed', { error });
      }
    }
  }

  /** The identity of the holder last observed ("" if none). */
  getLeader(): string {
    return this.participant.snapshot.context.leader;
  }

  /**
   * Health check: an error when we lead but have not renewed for leaseDuration + maxTolerableExpiredLease
   * (a stuck leader), null otherwise.
   */
  check(maxTolerableExpiredLease: number): LeadershipError | null {
    if (this.participant.stuckFor(maxTolerableExpiredLease) === null) return null;
    return new LeadershipError(`failed election to renew leadership on lease ${this.name}`, { identity: this.options.lock.identity });
  }
}

/** client-go's RunOrDie: validates (throwing ConfigError instead of panicking), then runs. */
export async function runOrThrow(config: LeaderElectionConfig, options: CallOptions = {}): Promise<void> {
  await new LeaderElector(config).run(options);
}
