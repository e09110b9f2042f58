import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lease/errors.js';
import { RolloutManager, type RolloutManagerOptions } from '../../src/api/rolloutManager.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

const MINUTE = 60_000;
const clusterA = { namespace: 'default', name: 'cluster-example' };
const clusterB = { namespace: 'default', name: 'cluster-bis' };
const allowed = { rolloutAllowed: true, timeToWait: 0 };
const wait = (ms: number) => ({ rolloutAllowed: false, timeToWait: ms });

function managerOn(config: RolloutManagerOptions) {
  const clock = new VirtualClock();
  const manager = new RolloutManager({ ...config, clock });
  const slot = () => {
    const { lastCluster, lastInstance, lastUpdate } = manager.actor.getSnapshot().context;
    return { lastCluster, lastInstance, lastUpdate };
  };
  return { clock, manager, slot, start: clock.now() };
}

const sleep = (clock: VirtualClock, ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

/** Fires virtual timers until `work` settles; fails instead of hanging when nothing is left to fire. */
async function runToCompletion<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const result = work.finally(() => (settled = true));
  await clock.advance(0);
  while (!settled) {
    const next = clock.nextTimerAt;
    if (next === undefined) throw new Error('work is stuck: no virtual timer pending');
    await clock.advanceTo(next);
  }
  return result;
}

interface Allowance {
  cluster: string;
  instance: string;
  at: number;
}

/**
 * One cluster's reconciler: asks for each instance in turn, waits as told when denied, and after
 * an allowance spends `podRolloutTime` rolling the Pod before asking for the next one.
 */
async function rollCluster(
  manager: RolloutManager,
  clock: VirtualClock,
  cluster: { namespace: string; name: string },
  instances: number,
  podRolloutTime: number,
  log: Allowance[],
): Promise<void> {
  for (let i = 1; i <= instances; i++) {
    const instance = `${cluster.name}-${i}`;
    for (;;) {
      const decision = manager.coordinateRollout(cluster, instance);
      if (decision.rolloutAllowed) break;
      expect(decision.timeToWait).toBeGreaterThan(0);
      await sleep(clock, decision.timeToWait);
    }
    log.push({ cluster: `${cluster.namespace}/${cluster.name}`, instance, at: clock.now() });
    await sleep(clock, podRolloutTime);
  }
}

const startsOf = (log: Allowance[], cluster: string) => log.filter((a) => a.cluster === cluster).map((a) => a.at);

describe('RolloutManager (CloudNativePG rule, spacing "global")', () => {
  it('spaces rollouts as CloudNativePG\'s timeline: cluster delay 10 min, instance delay 5 min', async () => {
    const { clock, manager, slot, start } = managerOn({ clusterRolloutDelay: 10 * MINUTE, instanceRolloutDelay: 5 * MINUTE });

    expect(manager.coordinateRollout(clusterA, 'cluster-example-1')).toEqual(allowed);
    expect(manager.actor.getSnapshot().value).toBe('claimed');

    await clock.advance(1 * MINUTE);
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(wait(4 * MINUTE));
    expect(slot().lastUpdate).toBe(start);
    expect(manager.coordinateRollout(clusterB, 'cluster-bis-1')).toEqual(wait(9 * MINUTE));
    expect(slot().lastUpdate).toBe(start);

    await clock.advance(5 * MINUTE);
    expect(manager.coordinateRollout(clusterB, 'cluster-bis-1')).toEqual(wait(4 * MINUTE));
    expect(slot().lastUpdate).toBe(start);
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(allowed);
    expect(slot()).toEqual({ lastCluster: 'default/cluster-example', lastInstance: 'cluster-example-2', lastUpdate: start + 6 * MINUTE });

    await clock.advance(11 * MINUTE);
    expect(manager.coordinateRollout(clusterB, 'cluster-bis-1')).toEqual(allowed);
    expect(slot()).toEqual({ lastCluster: 'default/cluster-bis', lastInstance: 'cluster-bis-1', lastUpdate: start + 17 * MINUTE });
  });

  it('allows every rollout when both delays are 0 (the default)', () => {
    const manager = RolloutManager.fromEnv({}, { clock: new VirtualClock() });
    const requests: [typeof clusterA, string][] = [
      [clusterA, 'cluster-example-1'],
      [clusterA, 'cluster-example-2'],
      [clusterB, 'cluster-bis-1'],
      [clusterA, 'cluster-example-3'],
    ];
    for (const [cluster, instance] of requests) expect(manager.coordinateRollout(cluster, instance)).toEqual(allowed);
    expect(manager.actor.getSnapshot().context.decisions).toBe(4);
  });

  it('a denied request leaves the slot untouched', async () => {
    const { clock, manager, slot, start } = managerOn({ clusterRolloutDelay: 10 * MINUTE, instanceRolloutDelay: 5 * MINUTE });
    manager.coordinateRollout(clusterA, 'cluster-example-1');
    const claimed = slot();
    await clock.advance(2 * MINUTE);
    expect(manager.coordinateRollout(clusterB, 'cluster-bis-1')).toEqual(wait(8 * MINUTE));
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(wait(3 * MINUTE));
    expect(slot()).toEqual(claimed);
    expect(claimed).toEqual({ lastCluster: 'default/cluster-example', lastInstance: 'cluster-example-1', lastUpdate: start });
    expect(manager.actor.getSnapshot().context.decision).toEqual(wait(3 * MINUTE));
  });

  it('measures each delay from the last allowed rollout only, to the millisecond', async () => {
    const { clock, manager } = managerOn({ clusterRolloutDelay: 10 * MINUTE, instanceRolloutDelay: 5 * MINUTE });
    manager.coordinateRollout(clusterA, 'cluster-example-1');
    await clock.advance(5 * MINUTE - 1);
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(wait(1));
    await clock.advance(1);
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(allowed);
    await clock.advance(10 * MINUTE - 1);
    expect(manager.coordinateRollout(clusterB, 'cluster-bis-1')).toEqual(wait(1));
    await clock.advance(1);
    expect(manager.coordinateRollout(clusterB, 'cluster-bis-1')).toEqual(allowed);
  });
});

describe('RolloutManager.fromEnv', () => {
  const accepted: [string | undefined, number][] = [
    [undefined, 0],
    ['0', 0],
    ['600', 600_000],
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['500ms', 500],
    ['1h', 3_600_000],
  ];
  const rejected = ['-5', '-5s', '1.5', 'abc', '', ' 60', '60 ', '10 m', '1e3', '5x', '9'.repeat(400)];

  for (const variable of ['CLUSTERS_ROLLOUT_DELAY', 'INSTANCES_ROLLOUT_DELAY'] as const) {
    const field = variable === 'CLUSTERS_ROLLOUT_DELAY' ? 'clusterRolloutDelay' : 'instanceRolloutDelay';

    it.each(accepted)(`${variable}=%j is %d ms`, (value, ms) => {
      const env = value === undefined ? {} : { [variable]: value };
      expect(RolloutManager.delaysFromEnv(env)[field]).toBe(ms);
      expect(RolloutManager.fromEnv(env).actor.getSnapshot().context[field]).toBe(ms);
    });

    it.each(rejected)(`${variable}=%j is a ConfigError naming the variable and the value`, (value) => {
      let error: unknown;
      try {
        RolloutManager.fromEnv({ [variable]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe(variable);
      expect((error as ConfigError).message).toContain(`${variable}=${JSON.stringify(value)}`);
    });
  }

  it('reads both variables independently', () => {
    const delays = RolloutManager.delaysFromEnv({ CLUSTERS_ROLLOUT_DELAY: '10m', INSTANCES_ROLLOUT_DELAY: '300' });
    expect(delays).toEqual({ clusterRolloutDelay: 10 * MINUTE, instanceRolloutDelay: 5 * MINUTE });
  });
});

describe('RolloutManager configuration', () => {
  const base = { clusterRolloutDelay: 10 * MINUTE, instanceRolloutDelay: 5 * MINUTE };
  const invalid: [string, Record<string, unknown>][] = [
    ['clusterRolloutDelay', { clusterRolloutDelay: -1 }],
    ['clusterRolloutDelay', { clusterRolloutDelay: Number.NaN }],
    ['clusterRolloutDelay', { clusterRolloutDelay: Infinity }],
    ['instanceRolloutDelay', { instanceRolloutDelay: -1 }],
    ['instanceRolloutDelay', { instanceRolloutDelay: '300' }],
    ['spacing', { spacing: 'perNamespace' }],
    ['rollingWindow', { rollingWindow: 20 * MINUTE }],
    ['rollingWindow', { spacing: 'perCluster', rollingWindow: -1 }],
    ['rollingWindow', { spacing: 'perCluster', rollingWindow: 4 * MINUTE }],
  ];

  it.each(invalid)('refuses a bad %s with a ConfigError naming it', (field, change) => {
    expect(() => new RolloutManager({ ...base, ...change } as unknown as RolloutManagerOptions)).toThrow(
      expect.objectContaining({ name: 'ConfigError', field, message: expect.stringContaining(field) }),
    );
  });
});

describe('RolloutManager callers', () => {
  const CLUSTER_DELAY = 10 * MINUTE;
  const INSTANCE_DELAY = 2 * MINUTE;
  const clusters = Array.from({ length: 8 }, (_, i) => ({ namespace: `team-${i % 3}`, name: `pg-${i}` }));

  it('8 concurrent callers never get two allowances closer than the applicable delay (global)', async () => {
    const { clock, manager } = managerOn({ clusterRolloutDelay: CLUSTER_DELAY, instanceRolloutDelay: INSTANCE_DELAY });
    const log: Allowance[] = [];
    await runToCompletion(clock, Promise.all(clusters.map((c, i) => rollCluster(manager, clock, c, 3, (i + 1) * 7_000, log))));

    expect(log).toHaveLength(24);
    for (let i = 1; i < log.length; i++) {
      const [previous, next] = [log[i - 1]!, log[i]!];
      const delay = previous.cluster === next.cluster ? INSTANCE_DELAY : CLUSTER_DELAY;
      expect(next.at - previous.at, `${previous.instance} -> ${next.instance}`).toBeGreaterThanOrEqual(delay);
    }
  });

  it('8 concurrent callers keep instance spacing per cluster and cluster starts spaced (perCluster)', async () => {
    const { clock, manager } = managerOn({ clusterRolloutDelay: CLUSTER_DELAY, instanceRolloutDelay: INSTANCE_DELAY, spacing: 'perCluster' });
    const log: Allowance[] = [];
    await runToCompletion(clock, Promise.all(clusters.map((c, i) => rollCluster(manager, clock, c, 3, (i + 1) * 7_000, log))));

    expect(log).toHaveLength(24);
    const firsts = clusters.map((c) => startsOf(log, `${c.namespace}/${c.name}`)[0]!).sort((a, b) => a - b);
    for (let i = 1; i < firsts.length; i++) expect(firsts[i]! - firsts[i - 1]!).toBeGreaterThanOrEqual(CLUSTER_DELAY);
    for (const c of clusters) {
      const times = startsOf(log, `${c.namespace}/${c.name}`);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(INSTANCE_DELAY);
    }
  });

  it('throws instead of answering when called from inside its own subscriber or inspector', () => {
    const inspected: string[] = [];
    let manager: RolloutManager | undefined;
    const clock = new VirtualClock();
    manager = new RolloutManager({ clusterRolloutDelay: CLUSTER_DELAY, instanceRolloutDelay: INSTANCE_DELAY, clock,
        inspect: (event) => {
          if (event.type !== '@xstate.event' || manager === undefined) return;
          try {
            manager.coordinateRollout(clusterB, 'from-inspector');
          } catch (error) {
            inspected.push((error as Error).message);
          }
        }, });
    const fromSubscriber: string[] = [];
    const subscription = manager.state$.subscribe((snapshot) => {
      if (snapshot.context.decisions === 0) return;
      try {
        manager.coordinateRollout(clusterB, 'from-subscriber');
      } catch (error) {
        fromSubscriber.push((error as Error).message);
      }
    });

    expect(manager.coordinateRollout(clusterA, 'cluster-example-1')).toEqual(allowed);
    subscription.unsubscribe();
    expect(fromSubscriber).toEqual([expect.stringContaining('re-entrantly')]);
    expect(inspected).toEqual([expect.stringContaining('re-entrantly')]);
    // The nested calls sent nothing: one decision, and the slot holds the outer caller's claim.
    const { decisions, lastInstance } = manager.actor.getSnapshot().context;
    expect({ decisions, lastInstance }).toEqual({ decisions: 1, lastInstance: 'cluster-example-1' });
  });

  it('throws when the event it sent waits behind one sent to the actor directly (the decision counter did not advance)', () => {
    const { manager } = managerOn({ clusterRolloutDelay: CLUSTER_DELAY, instanceRolloutDelay: INSTANCE_DELAY });
    const errors: string[] = [];
    const subscription = manager.actor.subscribe((snapshot) => {
      if (snapshot.context.decisions !== 1) return;
      try {
        manager.coordinateRollout(clusterB, 'from-subscriber');
      } catch (error) {
        errors.push((error as Error).message);
      }
    });
    manager.actor.send({ type: 'COORDINATE', cluster: 'default/cluster-example', instance: 'cluster-example-1', now: 0 });
    subscription.unsubscribe();
    expect(errors).toEqual([expect.stringContaining('while the rollout manager was deciding another event: no answer')]);
  });

  it('throws after it was stopped rather than returning the last answer', () => {
    const { manager } = managerOn({ clusterRolloutDelay: 0, instanceRolloutDelay: 0 });
    manager.coordinateRollout(clusterA, 'cluster-example-1');
    manager.stop();
    expect(() => manager.coordinateRollout(clusterA, 'cluster-example-2')).toThrow(/the rollout manager is stopped/);
  });

  it('state$ gives the current snapshot, then one per decision', () => {
    const { manager } = managerOn({ clusterRolloutDelay: CLUSTER_DELAY, instanceRolloutDelay: INSTANCE_DELAY });
    const seen: [string, number][] = [];
    const subscription = manager.state$.subscribe((s) => seen.push([String(s.value), s.context.decisions]));
    manager.coordinateRollout(clusterA, 'cluster-example-1');
    manager.coordinateRollout(clusterB, 'cluster-bis-1');
    subscription.unsubscribe();
    expect(seen).toEqual([['empty', 0], ['claimed', 1], ['claimed', 2]]);
  });
});

describe('RolloutManager spacing "perCluster" (cloudnative-pg issue #10000)', () => {
  // The complaint: the cluster delay (10 min) exceeds a Pod's rollout (2 min), so under the single
  // lastUpdate a second cluster can start only after the first has finished entirely.
  const config = { clusterRolloutDelay: 10 * MINUTE, instanceRolloutDelay: 1 * MINUTE };
  const POD_ROLLOUT = 2 * MINUTE;
  const INSTANCES = 10;
  const a = 'default/cluster-example';
  const b = 'default/cluster-bis';

  async function rollBoth(spacing: 'global' | 'perCluster') {
    const { clock, manager, start } = managerOn({ ...config, spacing });
    const log: Allowance[] = [];
    const rollA = rollCluster(manager, clock, clusterA, INSTANCES, POD_ROLLOUT, log);
    await clock.advance(1); // B asks just after A has started
    const rollB = rollCluster(manager, clock, clusterB, INSTANCES, POD_ROLLOUT, log);
    await runToCompletion(clock, Promise.all([rollA, rollB]));
    const relative = (cluster: string) => startsOf(log, cluster).map((at) => (at - start) / MINUTE);
    return { a: relative(a), b: relative(b) };
  }

  it('fixes the complaint: two clusters roll concurrently, each with its instance spacing, starts spaced', async () => {
    const { a: timesA, b: timesB } = await rollBoth('perCluster');
    expect(timesA).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(timesB).toEqual([10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
    expect(timesB[0]! - timesA[0]!).toBeGreaterThanOrEqual(10); // cluster starts spaced by the cluster delay
    expect(timesB[0]!).toBeLessThan(timesA.at(-1)!); // B started while A was still rolling
  });

  it('default spacing keeps CloudNativePG\'s behaviour in the same scenario: one cluster at a time', async () => {
    const { a: timesA, b: timesB } = await rollBoth('global');
    expect(timesA).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    // A never pauses for 10 min, so B waits until 10 min after A's last instance.
    expect(timesB).toEqual([28, 30, 32, 34, 36, 38, 40, 42, 44, 46]);
  });

  it('a rolling cluster that waits longer than rollingWindow must start again, spaced from the last start', async () => {
    const { clock, manager, start } = managerOn({ ...config, spacing: 'perCluster' }); // rollingWindow 11 min
    const rolling = () => Object.keys(manager.actor.getSnapshot().context.lastByCluster).sort();
    expect(manager.coordinateRollout(clusterA, 'cluster-example-1')).toEqual(allowed);
    await clock.advanceTo(start + 10 * MINUTE);
    expect(manager.coordinateRollout(clusterB, 'cluster-bis-1')).toEqual(allowed);
    expect(rolling()).toEqual([b, a].sort());

    // 12 min after its last instance A is no longer rolling: the instance delay is not enough any
    // more, it needs the cluster delay since B's start at 10 min.
    await clock.advanceTo(start + 12 * MINUTE);
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(wait(8 * MINUTE));
    expect(rolling()).toEqual([b]);
    await clock.advanceTo(start + 20 * MINUTE);
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(allowed);
    expect(manager.actor.getSnapshot().context.lastClusterStart).toBe(start + 20 * MINUTE);
  });

  it('within rollingWindow the same late instance needs only the instance delay', async () => {
    const { clock, manager, start } = managerOn({ ...config, spacing: 'perCluster', rollingWindow: 30 * MINUTE });
    manager.coordinateRollout(clusterA, 'cluster-example-1');
    await clock.advanceTo(start + 10 * MINUTE);
    manager.coordinateRollout(clusterB, 'cluster-bis-1');
    await clock.advanceTo(start + 12 * MINUTE);
    expect(manager.coordinateRollout(clusterA, 'cluster-example-2')).toEqual(allowed);
    expect(manager.actor.getSnapshot().context.lastClusterStart).toBe(start + 10 * MINUTE);
  });
});
