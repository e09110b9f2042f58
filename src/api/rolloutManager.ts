import type { Observable } from 'rxjs';
import { createActor } from 'xstate';
import {
  rolloutManagerMachine,
  type RolloutDecision,
  type RolloutSpacing,
} from '../../machines/rolloutManager.js';
import { parseDuration } from '../lease/duration.js';
import { ConfigError, RolloutManagerError } from '../lease/errors.js';
import { numberRule, type Rule, validate, whenGiven } from '../lease/validation.js';
import { describeLease, type LeaseRef } from '../lease/record.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { RuntimeOptions } from '../runtime/options.js';
import type { Clock } from '../time/clock.js';
import { realClock } from '../time/realClock.js';
import { snapshots } from '../runtime/snapshots.js';

import type { RolloutManagerActor, RolloutManagerSnapshot } from '../../machines/actors.js';
export type { RolloutManagerActor, RolloutManagerSnapshot };

/** What `new RolloutManager(...)` takes: the two delays (CloudNativePG's CLUSTERS_ROLLOUT_DELAY and INSTANCES_ROLLOUT_DELAY), the spacing rule, and the runtime options (its logger hears every decision). */
export interface RolloutManagerOptions extends Pick<RuntimeOptions, 'clock' | 'inspect' | 'logger'> {
  /** Milliseconds between rollouts of different clusters (CLUSTERS_ROLLOUT_DELAY); 0: none. */
  clusterRolloutDelay: number;
  /** Milliseconds between rollouts of instances of one cluster (INSTANCES_ROLLOUT_DELAY); 0: none. */
  instanceRolloutDelay: number;
  /** 'global' (default): CloudNativePG's single slot. 'perCluster': see machines/rolloutManager.ts. */
  spacing?: RolloutSpacing;
  /**
   * perCluster only: a cluster counts as rolling while its last allowed update is younger than
   * this. Default clusterRolloutDelay + instanceRolloutDelay; at least instanceRolloutDelay.
   */
  rollingWindow?: number;
}


const WHOLE_SECONDS = /^\d+$/;

/** One delay variable: unset is 0; whole seconds ("600") or a Go duration ("10m"); nothing else. */
function delayFromEnv(env: NodeJS.ProcessEnv, variable: string): number {
  const value = env[variable];
  if (value === undefined) return 0;
  let ms = Number.NaN;
  if (WHOLE_SECONDS.test(value)) {
    ms = Number(value) * 1000;
  } else if (value === value.trim()) {
    try {
      ms = parseDuration(value, variable);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
  }
  if (!Number.isFinite(ms)) {
    throw new ConfigError(
      `${variable}=${JSON.stringify(value)} is not a delay: use whole seconds ("600") or a Go duration ("10m", "1m30s")`,
      variable,
    );
  }
  return ms;
}

const delayRule = (field: 'clusterRolloutDelay' | 'instanceRolloutDelay' | 'rollingWindow') =>
  numberRule<RolloutManagerOptions>(field, (ms) => ms >= 0, (config) => `${field} must be a finite number of milliseconds >= 0, got ${String(config[field])}`);

const ROLLOUT_RULES: readonly Rule<RolloutManagerOptions>[] = [
  delayRule('clusterRolloutDelay'),
  delayRule('instanceRolloutDelay'),
  {
    field: 'spacing',
    broken: ({ spacing = 'global' }) => spacing !== 'global' && spacing !== 'perCluster',
    says: ({ spacing }) => `spacing must be "global" or "perCluster", got ${JSON.stringify(spacing)}`,
  },
  ...whenGiven<RolloutManagerOptions>('rollingWindow', [
    { field: 'rollingWindow', broken: ({ spacing }) => spacing !== 'perCluster', says: 'rollingWindow applies only to spacing "perCluster"' },
    delayRule('rollingWindow'),
    // A shorter window would let a cluster that stopped rolling come back before its instance delay.
    { field: 'rollingWindow', broken: (c) => c.rollingWindow! < c.instanceRolloutDelay, says: 'rollingWindow must be at least instanceRolloutDelay' },
  ]),
];

/**
 * CloudNativePG's rollout manager: one process-wide decision of which Pod rollout may go next, so
 * that an operator upgrade or an image change does not restart every PostgreSQL instance at once.
 * The rule lives in machines/rolloutManager.ts (default: exactly CloudNativePG's; opt-in
 * `spacing: 'perCluster'`).
 *
 * Call coordinateRollout() only right before really rolling an instance out. A caller that will
 * not roll — a cluster with a supervised primary update waiting for a user's switchover — must not
 * call it: an allowed answer claims the slot, and asking again on every reconciliation would keep
 * claiming it and starve every other cluster (a bug CloudNativePG had and fixed).
 *
 * Safe for any number of concurrent callers in one process without a lock: coordinateRollout is
 * synchronous — it reads the clock, sends one event and reads the answer without yielding — and
 * JavaScript runs each call to completion, so no other caller can run between the check and the
 * claim. (CloudNativePG needs a mutex for the same thing.) Each worker thread has its own manager.
 */
export class RolloutManager {
  /** The environment variables `RolloutManager.fromEnv` reads. */
  static readonly ENV = {
    clusterRolloutDelay: 'CLUSTERS_ROLLOUT_DELAY',
    instanceRolloutDelay: 'INSTANCES_ROLLOUT_DELAY',
  } as const;

  readonly actor: RolloutManagerActor;
  /** The current snapshot, then every change. */
  readonly state$: Observable<RolloutManagerSnapshot>;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** True while a coordinateRollout call is sending: a nested call would get a stale answer. */
  private deciding = false;

  constructor(config: RolloutManagerOptions) {
    validate(config, ROLLOUT_RULES);
    this.clock = config.clock ?? realClock;
    this.log = config.logger ?? silentLogger;
    this.actor = createActor(rolloutManagerMachine, {
      input: {
        clusterRolloutDelay: config.clusterRolloutDelay,
        instanceRolloutDelay: config.instanceRolloutDelay,
        spacing: config.spacing ?? 'global',
        ...(config.rollingWindow === undefined ? {} : { rollingWindow: config.rollingWindow }),
      },
      ...(config.inspect ? { inspect: config.inspect } : {}),
    }).start();
    this.state$ = snapshots(this.actor);
  }

  /** Reads CLUSTERS_ROLLOUT_DELAY and INSTANCES_ROLLOUT_DELAY (see delaysFromEnv). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options: Omit<RolloutManagerOptions, 'clusterRolloutDelay' | 'instanceRolloutDelay'> = {}): RolloutManager {
    return new RolloutManager({ ...options, ...RolloutManager.delaysFromEnv(env) });
  }

  /**
   * The two delays from the environment, in milliseconds: unset is 0, whole seconds ("600", as
   * CloudNativePG) or a Go duration ("10m", "1m30s"). Anything else — negative, "1.5", "", "abc" —
   * is a ConfigError naming the variable and quoting the value, never a silent 0.
   */
  static delaysFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<RolloutManagerOptions, 'clusterRolloutDelay' | 'instanceRolloutDelay'> {
    return {
      clusterRolloutDelay: delayFromEnv(env, RolloutManager.ENV.clusterRolloutDelay),
      instanceRolloutDelay: delayFromEnv(env, RolloutManager.ENV.instanceRolloutDelay),
    };
  }

  /**
   * May `instance` of `cluster` be rolled out now? Allowed answers claim the slot; denied ones say
   * how many milliseconds to wait and change nothing. Throws, rather than return an answer that is
   * not this call's, when called from inside the manager's own subscriber or inspector, or after stop().
   */
  coordinateRollout(cluster: LeaseRef, instance: string): RolloutDecision {
    const context = { lease: describeLease(cluster), identity: instance };
    if (this.actor.getSnapshot().status !== 'active') throw new RolloutManagerError('coordinateRollout: the rollout manager is stopped', context);
    // Sending now would queue the event behind the one being decided: it would claim the slot
    // later, with nobody to hear the answer.
    if (this.deciding) {
      throw new RolloutManagerError('coordinateRollout called re-entrantly from a subscriber or inspector of the rollout manager', context);
    }
    const before = this.actor.getSnapshot().context.decisions;
    this.deciding = true;
    try {
      this.actor.send({ type: 'COORDINATE', cluster: describeLease(cluster), instance, now: this.clock.now() });
    } finally {
      this.deciding = false;
    }
    const { decision, decisions } = this.actor.getSnapshot().context;
    // Not answered yet: the actor was busy with an event sent to it directly, and our event waits in its queue.
    if (decisions !== before + 1 || decision === null) {
      throw new RolloutManagerError('coordinateRollout called re-entrantly while the rollout manager was deciding another event: no answer', context);
    }
    this.log.debug(decision.rolloutAllowed ? 'rollout allowed' : 'rollout must wait', { ...context, timeToWait: decision.timeToWait });
    return { ...decision };
  }

  /** Stops the manager; later coordinateRollout calls throw RolloutManagerError. */
  stop(): void {
    this.actor.stop();
  }
}
