/**
 * The rollout manager: CloudNativePG's process-wide rule for spacing Pod rollouts, as a machine.
 *
 * What it guarantees. With the default `spacing: 'global'` the rule is exactly CloudNativePG's
 * (internal/controller/rollout): one slot `{lastCluster, lastInstance, lastUpdate}`; a rollout of
 * the cluster in the slot waits `instanceRolloutDelay` since `lastUpdate`, a rollout of any other
 * cluster waits `clusterRolloutDelay` since `lastUpdate`; an allowed rollout claims the slot, a
 * denied one learns how long to wait and leaves the slot untouched. So no two allowed rollouts are
 * closer than the smaller delay, and two clusters never roll at once when the cluster delay is
 * longer than a Pod's rollout — which is also its known weakness (cloudnative-pg issue #10000): the
 * single `lastUpdate` makes every switch between clusters cost a full cluster delay.
 *
 * What it does not do: it never learns whether a rollout happened. A caller that is allowed but
 * does not roll still holds the slot and delays every other cluster; callers that will not really
 * roll out must not ask.
 *
 * `spacing: 'perCluster'` (opt-in) spaces instances per cluster and cluster *starts* globally:
 *   - a cluster is rolling while its last allowed update is less than `rollingWindow` old
 *     (default clusterRolloutDelay + instanceRolloutDelay; never below instanceRolloutDelay);
 *   - a rolling cluster's next instance waits only `instanceRolloutDelay` since that cluster's
 *     own last update, whatever other clusters do;
 *   - a cluster that is not rolling starts only when `clusterRolloutDelay` has passed since the
 *     last cluster start, and then is rolling;
 *   - a rolling cluster whose next instance comes later than `rollingWindow` after its last one
 *     stops rolling and must start again like any other cluster: more spacing, never less.
 * Instances of one cluster are therefore always at least instanceRolloutDelay apart, cluster starts
 * at least clusterRolloutDelay apart. Clusters that are not rolling are forgotten on each decision,
 * so memory is bounded by the clusters that rolled within the last rollingWindow.
 *
 * States: `empty` (no rollout allowed yet) and `claimed`. Time comes with each COORDINATE event, so
 * the machine stays pure; the caller reads `context.decision` synchronously after sending.
 */
import { assign, setup } from 'xstate';

export type RolloutSpacing = 'global' | 'perCluster';

export interface RolloutDecision {
  rolloutAllowed: boolean;
  /** Milliseconds until the same request would be allowed; 0 when allowed. */
  timeToWait: number;
}

export interface RolloutManagerInput {
  /** Milliseconds between rollouts of different clusters (perCluster: between cluster starts). */
  clusterRolloutDelay: number;
  /** Milliseconds between rollouts of instances of the same cluster. */
  instanceRolloutDelay: number;
  spacing: RolloutSpacing;
  /** perCluster only: how long after its last update a cluster still counts as rolling. */
  rollingWindow?: number;
}

export type RolloutEvent = {
  type: 'COORDINATE';
  /** "namespace/name". */
  cluster: string;
  instance: string;
  /** Local time of the request, epoch milliseconds. */
  now: number;
};

export interface RolloutContext {
  clusterRolloutDelay: number;
  instanceRolloutDelay: number;
  spacing: RolloutSpacing;
  rollingWindow: number;
  /** The slot: the last allowed rollout (null while empty). */
  lastCluster: string | null;
  lastInstance: string | null;
  lastUpdate: number | null;
  /** perCluster: each rolling cluster's last allowed update. */
  lastByCluster: Record<string, number>;
  /** perCluster: when the last cluster started rolling. */
  lastClusterStart: number | null;
  /** The answer to the latest COORDINATE. */
  decision: RolloutDecision | null;
  /** How many COORDINATE events were answered; lets a caller tell its answer from an older one. */
  decisions: number;
}

/** Milliseconds from `then` to `now`; a time that never happened is infinitely long ago. */
const elapsedSince = (now: number, then: number | null | undefined): number =>
  then === null || then === undefined ? Infinity : now - then;

const isRolling = (context: RolloutContext, cluster: string, now: number): boolean =>
  elapsedSince(now, context.lastByCluster[cluster]) < context.rollingWindow;

/** How long the request must still wait under the context's spacing; <= 0: it may roll now. */
export function remainingWait(context: RolloutContext, { cluster, now }: RolloutEvent): number {
  if (context.spacing === 'global') {
    const delay = cluster === context.lastCluster ? context.instanceRolloutDelay : context.clusterRolloutDelay;
    return delay - elapsedSince(now, context.lastUpdate);
  }
  return isRolling(context, cluster, now)
    ? context.instanceRolloutDelay - elapsedSince(now, context.lastByCluster[cluster])
    : context.clusterRolloutDelay - elapsedSince(now, context.lastClusterStart);
}

export const rolloutManagerMachine = setup({
  types: {
    context: {} as RolloutContext,
    events: {} as RolloutEvent,
    input: {} as RolloutManagerInput,
  },
  guards: {
    /** The applicable delay has passed (or nothing has rolled yet). */
    delayElapsed: ({ context, event }) => remainingWait(context, event) <= 0,
  },
  actions: {
    /** Takes the slot; perCluster also records the cluster's update and, if it was idle, its start. */
    claimSlot: assign(({ context, event }) => {
      const slot = { lastCluster: event.cluster, lastInstance: event.instance, lastUpdate: event.now };
      if (context.spacing === 'global') return slot;
      return {
        ...slot,
        lastByCluster: { ...context.lastByCluster, [event.cluster]: event.now },
        lastClusterStart: isRolling(context, event.cluster, event.now) ? context.lastClusterStart : event.now,
      };
    }),
    answerAllowed: assign(({ context }) => ({
      decision: { rolloutAllowed: true, timeToWait: 0 },
      decisions: context.decisions + 1,
    })),
    answerWait: assign(({ context, event }) => ({
      decision: { rolloutAllowed: false, timeToWait: remainingWait(context, event) },
      decisions: context.decisions + 1,
    })),
    /** perCluster: drops clusters that are no longer rolling, so memory stays bounded. */
    forgetIdleClusters: assign(({ context, event }) => {
      const clusters = Object.keys(context.lastByCluster);
      const rolling = clusters.filter((cluster) => isRolling(context, cluster, event.now));
      if (rolling.length === clusters.length) return {};
      return { lastByCluster: Object.fromEntries(rolling.map((cluster) => [cluster, context.lastByCluster[cluster]!])) };
    }),
  },
}).createMachine({
  id: 'rolloutManager',
  context: ({ input }) => ({
    clusterRolloutDelay: input.clusterRolloutDelay,
    instanceRolloutDelay: input.instanceRolloutDelay,
    spacing: input.spacing,
    rollingWindow: input.rollingWindow ?? input.clusterRolloutDelay + input.instanceRolloutDelay,
    lastCluster: null,
    lastInstance: null,
    lastUpdate: null,
    lastByCluster: {},
    lastClusterStart: null,
    decision: null,
    decisions: 0,
  }),
  initial: 'empty',
  states: {
    empty: {
      on: { COORDINATE: { target: 'claimed', actions: ['claimSlot', 'answerAllowed'] } },
    },
    claimed: {
      on: {
        COORDINATE: [
          { guard: 'delayElapsed', actions: ['forgetIdleClusters', 'claimSlot', 'answerAllowed'] },
          { actions: ['forgetIdleClusters', 'answerWait'] },
        ],
      },
    },
  },
});
