/**
 * Model-based test of the rollout manager. `xstate/graph` walks the machine under a finite set of
 * requests — two clusters, each asking 1, 5 or 10 minutes after the last allowed rollout — with
 * times abstracted to what the rules can still tell apart, in both spacing modes. Every edge of
 * that graph is then driven on the real RolloutManager facade on a VirtualClock, after the
 * shortest path to its source: each answer must equal the model's and that of a reference that
 * restates ANCHORS §2 (and the perCluster definition) over the history of allowances. The test
 * fails unless every state and transition of the machine was taken by the real actors, and every
 * rule of both modes answered both ways.
 */
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { TestModel, type AdjacencyValue } from 'xstate/graph';
import {
  rolloutManagerMachine,
  type RolloutDecision,
  type RolloutEvent,
  type RolloutSpacing,
} from '../../machines/rolloutManager.js';
import { RolloutManager } from '../../src/api/rolloutManager.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { MachineCoverage } from './machineCoverage.js';

type Snapshot = SnapshotFrom<typeof rolloutManagerMachine>;

const MINUTE = 60_000;
const CLUSTER_DELAY = 10 * MINUTE;
const INSTANCE_DELAY = 5 * MINUTE;
const ROLLING_WINDOW = CLUSTER_DELAY + INSTANCE_DELAY; // the default
const T0 = Date.UTC(2026, 0, 1);
const CLUSTERS = ['ns/a', 'ns/b'];
/** Chosen around the delays: 1 min is too early for both, 5 meets the instance delay, 10 both. */
const OFFSETS = [1, 5, 10].map((m) => m * MINUTE);

/** Each request comes some minutes after the last allowed rollout, so time never runs backwards on a path. */
function modelEvents(snapshot: Snapshot): RolloutEvent[] {
  const base = snapshot.context.lastUpdate ?? T0;
  return CLUSTERS.flatMap((cluster) =>
    OFFSETS.map((offset) => ({ type: 'COORDINATE' as const, cluster, instance: `${cluster}/next`, now: base + offset })),
  );
}

/**
 * What the rules can still distinguish, as ages before lastUpdate: requests only come later, so an
 * age past every threshold behaves like any larger one and the graph stays finite.
 */
function serializeState(snapshot: Snapshot): string {
  const c = snapshot.context;
  if (c.spacing === 'global' || c.lastUpdate === null) return JSON.stringify([snapshot.value, c.lastCluster]);
  const lastUpdate = c.lastUpdate;
  const age = (t: number | null | undefined, cap: number) =>
    t === null || t === undefined || lastUpdate - t >= cap ? 'old' : lastUpdate - t;
  const rolling = CLUSTERS.map((cluster) => age(c.lastByCluster[cluster], ROLLING_WINDOW));
  return JSON.stringify([snapshot.value, c.lastCluster, rolling, age(c.lastClusterStart, CLUSTER_DELAY)]);
}

type Rule = 'first' | 'sameCluster' | 'otherCluster' | 'rolling' | 'start' | 'restart';

/** ANCHORS §2 and the perCluster definition, restated over the list of allowed rollouts. */
class ReferenceRollouts {
  private readonly allowed: { cluster: string; at: number; start: boolean }[] = [];

  constructor(private readonly spacing: RolloutSpacing) {}

  decide(cluster: string, now: number): { decision: RolloutDecision; rule: Rule } {
    const { rule, delay, since } = this.spacing === 'global' ? this.globalRule(cluster) : this.perClusterRule(cluster, now);
    const waitFor = since === undefined ? 0 : delay - (now - since);
    if (waitFor > 0) return { decision: { rolloutAllowed: false, timeToWait: waitFor }, rule };
    this.allowed.push({ cluster, at: now, start: rule !== 'rolling' });
    return { decision: { rolloutAllowed: true, timeToWait: 0 }, rule };
  }

  /** One slot: the delay depends on whether the last allowed rollout was of the same cluster. */
  private globalRule(cluster: string) {
    const last = this.allowed.at(-1);
    if (!last) return { rule: 'first' as const, delay: 0, since: undefined };
    const same = last.cluster === cluster;
    return { rule: same ? ('sameCluster' as const) : ('otherCluster' as const), delay: same ? INSTANCE_DELAY : CLUSTER_DELAY, since: last.at };
  }

  /** Rolling clusters wait for their own instance delay; others for the cluster delay since the last start. */
  private perClusterRule(cluster: string, now: number) {
    const own = this.allowed.findLast((a) => a.cluster === cluster);
    if (own && now - own.at < ROLLING_WINDOW) return { rule: 'rolling' as const, delay: INSTANCE_DELAY, since: own.at };
    const lastStart = this.allowed.findLast((a) => a.start);
    if (!lastStart) return { rule: 'first' as const, delay: 0, since: undefined };
    return { rule: own ? ('restart' as const) : ('start' as const), delay: CLUSTER_DELAY, since: lastStart.at };
  }
}

describe('rollout manager (model-based)', () => {
  const coverage = new MachineCoverage(rolloutManagerMachine);
  const answered = new Set<string>();
  const graphs: string[] = [];
  let runs = 0;

  for (const spacing of ['global', 'perCluster'] as const) {
    it(`the real manager answers every edge of the model as the model and the reference do (${spacing})`, async () => {
      const input = { clusterRolloutDelay: CLUSTER_DELAY, instanceRolloutDelay: INSTANCE_DELAY, spacing };
      const serialize = (snapshot: unknown) => serializeState(snapshot as Snapshot);
      const model = new TestModel<Snapshot, RolloutEvent, typeof input>(rolloutManagerMachine, {
        events: modelEvents,
        serializeState: serialize,
        input,
      });
      const shortest = new Map(model.getShortestPaths({ allowDuplicatePaths: true }).map((path) => [serialize(path.state), path]));
      const adjacency = new Map(Object.entries(model.getAdjacencyMap()) as [string, AdjacencyValue<Snapshot, RolloutEvent>][]);
      const initialKey = [...adjacency.keys()][0]!; // the traversal records the initial state first
      let edges = 0;

      for (const [stateKey, { transitions }] of adjacency) {
        const path = shortest.get(stateKey);
        if (!path) throw new Error(`no path to ${stateKey}`);
        for (const { event } of Object.values(transitions)) {
          const events = [...path.steps.map((step) => step.event).filter((e) => e.type === 'COORDINATE'), event];
          const clock = new VirtualClock(T0);
          const manager = new RolloutManager({ ...input, clock, inspect: coverage.inspect });
          const reference = new ReferenceRollouts(spacing);
          const where: string[] = [];
          let key = initialKey;
          for (const modelEvent of events) {
            // A state of the graph stands for every run equal to it up to a shift in time: replay the
            // model's request at the same offset from the real manager's last allowed rollout.
            const { state: source, transitions: out } = adjacency.get(key)!;
            const next = Object.values(out).find((t) => JSON.stringify(t.event) === JSON.stringify(modelEvent))!.state;
            const { cluster, instance } = modelEvent;
            const offset = modelEvent.now - (source.context.lastUpdate ?? T0);
            const now = (manager.actor.getSnapshot().context.lastUpdate ?? T0) + offset;
            where.push(`${cluster} +${offset / MINUTE}m`);
            const at = `${spacing}: ${where.join(' → ')}`;

            await clock.advanceTo(now);
            expect(clock.now(), at).toBe(now);
            const [namespace, name] = cluster.split('/') as [string, string];
            const answer = manager.coordinateRollout({ namespace, name }, instance);
            const expected = reference.decide(cluster, now);
            expect(answer, at).toEqual(expected.decision);
            expect(answer, at).toEqual(next.context.decision);
            expect(manager.actor.getSnapshot().value, at).toEqual(next.value);
            expect(serialize(manager.actor.getSnapshot()), at).toBe(serialize(next));
            answered.add(`${spacing} ${expected.rule} ${answer.rolloutAllowed ? 'allowed' : 'denied'}`);
            key = serialize(next);
          }
          manager.stop();
          edges++;
          runs++;
        }
      }
      graphs.push(`${spacing}: ${adjacency.size} abstract states, ${edges} edges`);
      expect(edges).toBeGreaterThanOrEqual(spacing === 'global' ? 18 : 60);
    });
  }

  it('visited every state and transition, and every rule of both modes answered both ways', () => {
    console.log(`rollout manager model coverage: ${coverage.summary()} over ${runs} generated paths (${graphs.join('; ')})`);
    expect(runs).toBeGreaterThan(0);
    expect(coverage.missedStates()).toEqual([]);
    expect(coverage.missedTransitions()).toEqual([]);
    expect([...answered].sort()).toEqual(
      [
        'global first allowed',
        'global sameCluster allowed',
        'global sameCluster denied',
        'global otherCluster allowed',
        'global otherCluster denied',
        'perCluster first allowed',
        'perCluster rolling allowed',
        'perCluster rolling denied',
        'perCluster start allowed',
        'perCluster start denied',
        'perCluster restart allowed',
        'perCluster restart denied',
      ].sort(),
    );
  });
});
