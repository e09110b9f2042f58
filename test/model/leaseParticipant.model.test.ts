/**
 * Model-based test of the lease participant. `xstate/graph` walks an abstract copy of the machine
 * (time-dependent guards decided by the generated event, invokes not started) and yields the
 * shortest path to every abstract state; each path is then driven on the *real* machine — its real
 * clock-based delays and guards on a VirtualClock — by resolving or rejecting its invoked store
 * calls, sending its events and letting its timers fire. After every step the real actor must be
 * where the model says. The test fails unless every state node and every transition of the
 * machine was taken by the real actors.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, type AnyActorRef, type SnapshotFrom } from 'xstate';
import { TestModel } from 'xstate/graph';
import {
  leaseParticipantMachine,
  takeoverAllowedAt,
  windowCloses,
  type LeaseCallInput,
  type LeaseCallOutput,
  type ParticipantContext,
  type ParticipantEvent,
} from '../../machines/leaseParticipant.js';
import { BASE_DEFAULTS, type ParticipantConfig } from '../../src/lease/config.js';
import { leaseApiError, type LeaseErrorKind } from '../../src/lease/errors.js';
import type { ObservedLease } from '../../src/lease/record.js';
import { MemoryLeaseStore } from '../../src/memory/leaseStore.js';
import { participantImplementations } from '../../src/runtime/participantImplementations.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { MachineCoverage } from './machineCoverage.js';

type Snapshot = SnapshotFrom<typeof leaseParticipantMachine>;
/** Model events: the machine's events, done/error/after events, and the variant flags below. */
type ModelEvent = { type: string; [key: string]: unknown };

const SELF = 'me';
/** Every version the model writes or reads is 5; NEWER is a later write by someone. */
const NEWER = 9;
const lease = (holder: string, leaseDurationSeconds = 15, version = 5): ObservedLease => ({
  record: { holderIdentity: holder, leaseDurationSeconds, acquireTime: 0, renewTime: 0, leaseTransitions: 1 },
  resourceVersion: String(version),
});
const observed = (lease: ObservedLease | null) => ({ type: 'LEASE_OBSERVED', lease, at: 0 });
/** A lease asking its holder to hand over to `to` (the annotation or spec.preferredHolder). */
const requesting = (lease: ObservedLease, to: string): ObservedLease => ({ ...lease, handOverTo: to });

/**
 * The facades' configurations: client-go (create, stop after loss), CloudNativePG (never create,
 * re-acquire, fatal preemption) and leaselocker (create, re-acquire, preemption not fatal).
 */
const configs: Record<string, ParticipantConfig> = {
  clientGo: { ...BASE_DEFAULTS, afterLoss: 'stop', createIfMissing: true, fatalOnPreemption: false },
  cloudNativePG: { ...BASE_DEFAULTS, afterLoss: 'reacquire', createIfMissing: false, fatalOnPreemption: true },
  leaseLocker: { ...BASE_DEFAULTS, afterLoss: 'reacquire', createIfMissing: true, fatalOnPreemption: false },
};

const pathOf = (value: unknown): string =>
  typeof value === 'string' ? value : Object.entries(value as object).map(([k, v]) => `${k}.${pathOf(v)}`)[0]!;

const done = (id: string, output: LeaseCallOutput & Record<string, unknown>) => ({ type: `xstate.done.actor.${id}`, output });
const errors = (id: string, ...kinds: LeaseErrorKind[]) => kinds.map((kind) => ({ type: `xstate.error.actor.${id}`, error: { kind } }));
const after = (delay: string, node: string, overdue?: boolean) => ({
  type: `xstate.after.${delay}.lease.${node}`,
  ...(overdue === undefined ? {} : { overdue }),
});

/** Renewal events in the renew cycle's sub-state `sub`. */
function renewEvents(context: ParticipantContext, sub: string): ModelEvent[] {
  const base = context.lastRenewAt ?? context.observedAt ?? 0;
  switch (sub) {
    case 'attempt':
      return [
        done('renewLease', { lease: lease(SELF), at: base }),
        done('renewLease', { lease: lease(SELF), at: windowCloses(context) + 1, late: true }),
        ...errors('renewLease', 'Conflict', 'Unavailable'),
        after('untilRenewDeadline', 'renewing'),
      ];
    case 'rereading':
      return [
        done('rereadLease', { lease: lease(SELF), at: base }),
        done('rereadLease', { lease: lease('other'), at: base }),
        ...errors('rereadLease', 'NotFound', 'Unavailable'),
        after('untilRenewDeadline', 'renewing'),
      ];
    case 'retrying':
      return [after('pollInterval', 'renewing.retrying', false), after('pollInterval', 'renewing.retrying', true)];
    default:
      return [];
  }
}

/** Hand-over events in the sub-state `sub`: the target's renew (newer), our own write echoed, the read, the timeout. */
function handOverEvents(context: ParticipantContext, sub: string): ModelEvent[] {
  const timeout = after('handOverTimeout', 'handingOver');
  switch (sub) {
    case 'writing':
      return [
        done('handOverLease', { lease: lease('other'), at: 0 }),
        ...errors('handOverLease', 'Conflict', 'Unavailable'),
        observed(lease('other', 15, NEWER)), // the target's renew, delivered before our write's answer
        timeout,
      ];
    case 'awaitingTarget':
      return [
        observed(lease('other', 15, NEWER)),
        observed(lease('other')),
        { type: 'WATCH_DOWN', reason: 'model', at: 0 },
        // The poll comes before the timeout while the watch is down: only the first timer can fire.
        context.watchUp ? timeout : after('pollInterval', 'handingOver.awaitingTarget'),
      ];
    case 'checking':
      return [
        done('readHandedOver', { lease: lease('other', 15, NEWER), at: 0 }),
        done('readHandedOver', { lease: lease('other'), at: 0 }),
        ...errors('readHandedOver', 'NotFound', 'Unavailable'),
        timeout,
      ];
    default:
      return [];
  }
}

/**
 * Watch deliveries to a holder: a newer write naming another, "" or us, the lease deleted, and our
 * own version echoed back (as ours, and as another's: not newer, so ignored either way).
 */
const whileHeld = (): ModelEvent[] => [
  ...['other', '', SELF].map((h) => observed(lease(h, 15, NEWER))),
  observed(null),
  observed(lease(SELF)),
  observed(lease('other')),
];

/** Every event the model may take in `snapshot`, with the payload variants its guards branch on. */
function modelEvents(snapshot: Snapshot): ModelEvent[] {
  const { context } = snapshot;
  const path = pathOf(snapshot.value).split('.');
  const [top, sub] = path;
  if (snapshot.status !== 'active') return [];
  const events: ModelEvent[] = [
    { type: 'STOP' },
    { type: 'RELEASE' },
    { type: context.upgrading ? 'UPGRADE_ABORTED' : 'UPGRADE_STARTED' },
  ];
  switch (top) {
    case 'idle':
      events.push({ type: 'ACQUIRE' });
      break;
    case 'acquiring':
      events.push(
        ...[SELF, 'other', ''].map((h) => observed(lease(h))),
        // Another holder whose record makes the wait longer, or shorter (it re-decides).
        ...[30, 5].map((seconds) => observed(lease('other', seconds))),
        // A write after the one we act on (a claim in flight is overtaken by it).
        observed(lease('other', 15, NEWER)),
        observed(null),
        { type: 'WATCH_DOWN', reason: 'model', at: 0 },
      );
      if (sub === 'reading') {
        events.push(...[SELF, 'other', ''].map((h) => done('readLease', { lease: lease(h), at: 0 })));
        events.push(...errors('readLease', 'NotFound', 'Unavailable'));
      }
      if (sub === 'waiting') {
        // Only timers whose guards can pass: expiry of another's lease, polling while the watch is down.
        const holder = context.observed?.record.holderIdentity;
        if (context.watchUp && holder !== undefined && holder !== '' && holder !== SELF) {
          events.push(after('untilObservedExpiry', 'acquiring.waiting'));
        }
        if (!context.watchUp) events.push(after('pollInterval', 'acquiring.waiting'));
      }
      if (sub === 'claiming') events.push(done('claimLease', { lease: lease(SELF), at: 0 }), ...errors('claimLease', 'Conflict', 'Unavailable'));
      if (sub === 'creating') {
        events.push(done('createLease', { lease: lease(SELF), at: 0 }), ...errors('createLease', 'AlreadyExists', 'Unavailable'));
      }
      if (sub === 'backoff') events.push(after('pollInterval', 'acquiring.backoff'));
      break;
    case 'leading':
      events.push(after('renewInterval', 'leading', false), after('renewInterval', 'leading', true), ...whileHeld());
      // Asked by a call, or by the lease (a request naming us is void); "" and our own identity are refused.
      events.push(...['other', SELF, ''].map((to) => ({ type: 'HAND_OVER', to })));
      events.push(...['other', SELF].map((to) => observed(requesting(lease(SELF, 15, NEWER), to))));
      break;
    case 'handingOver':
      events.push(...handOverEvents(context, sub!));
      break;
    case 'renewing':
      events.push(...renewEvents(context, sub!), ...whileHeld());
      break;
    case 'releasing':
      if (sub === 'reading') {
        events.push(...[SELF, 'other'].map((h) => done('readForRelease', { lease: lease(h), at: 0 })));
        events.push(...errors('readForRelease', 'NotFound', 'Unavailable'), after('releaseTimeout', 'releasing'));
      }
      if (sub === 'writing') {
        events.push(done('releaseLease', { lease: lease(''), at: 0 }), ...errors('releaseLease', 'Conflict', 'Unavailable'));
        events.push(after('releaseTimeout', 'releasing'));
      }
      if (sub === 'retrying') events.push(after('pollInterval', 'releasing.retrying'));
      break;
  }
  return events;
}

/** The abstraction the graph is built on: the state plus the context facts guards read. */
function serializeState(snapshot: Snapshot): string {
  const c = snapshot.context;
  const holder = c.observed === null ? 'none' : c.observed.record.holderIdentity === SELF ? 'self' : c.observed.record.holderIdentity || 'empty';
  const armed = c.takeoverArmedFor === takeoverAllowedAt(c);
  const version = c.observed?.resourceVersion;
  return JSON.stringify([snapshot.value, c.watchUp, c.upgrading, holder, version, c.observed?.record.leaseDurationSeconds, armed, c.lastLoss !== null, c.lastRenewAt !== null, c.observed?.handOverTo]);
}

/** The abstract machine: clock-dependent guards read the generated event's `overdue` flag instead. */
function modelMachine() {
  return leaseParticipantMachine.provide({
    guards: { pastRenewDeadline: ({ event }) => (event as ModelEvent).overdue === true },
    delays: { untilObservedExpiry: 1, untilRenewDeadline: 1, pollInterval: 1, handOverTimeout: 1 },
  });
}

interface Pending {
  resolve(output: LeaseCallOutput): void;
  reject(error: unknown): void;
  startedAt: number;
}

/** The real machine on a VirtualClock, its store calls held open for the executors to settle. */
function systemUnderTest(config: ParticipantConfig, coverage: MachineCoverage) {
  const clock = new VirtualClock();
  const real = participantImplementations(new MemoryLeaseStore(clock).lockFor({ namespace: 'm', name: 'l' }, SELF), clock, () => 0);
  const pending = new Map<string, Pending>();
  const controllable = fromPromise<LeaseCallOutput, LeaseCallInput>(
    ({ self }) =>
      new Promise((resolve, reject) => pending.set(self.id, { resolve, reject, startedAt: clock.now() })),
  );
  const machine = leaseParticipantMachine.provide({
    ...real,
    actors: {
      ...real.actors,
      readLease: controllable,
      createLease: controllable,
      claimLease: controllable,
      renewLease: controllable,
      releaseLease: controllable,
      handOverLease: controllable,
      watchLease: real.actors.watchLease, // config.watch is false below: watch events are sent directly
    },
  });
  const actor = createActor(machine, {
    input: { identity: SELF, config: { ...config, watch: false } },
    clock,
    inspect: coverage.inspect,
  }).start();
  return { clock, actor, pending };
}

type Sut = ReturnType<typeof systemUnderTest>;

/** Fires timers one at a time until the actor moves (at most `limit` timers). */
async function fireTimersUntilMoved(sut: Sut, limit = 20): Promise<void> {
  const before = sut.actor.getSnapshot();
  for (let i = 0; i < limit && sut.actor.getSnapshot() === before; i++) {
    const next = sut.clock.nextTimerAt;
    if (next === undefined) throw new Error(`no timer pending in ${JSON.stringify(before.value)}`);
    await sut.clock.advanceTo(next);
  }
}

async function execute(sut: Sut, event: ModelEvent): Promise<void> {
  const { clock, actor, pending } = sut;
  const context = (actor as AnyActorRef).getSnapshot().context as ParticipantContext;
  const [, kind, , id] = event.type.split('.');
  if (event.type === 'xstate.init') return;
  if (!event.type.startsWith('xstate.')) {
    const stamped = 'at' in event ? { ...event, at: clock.now() } : event;
    actor.send(stamped as ParticipantEvent);
    await clock.advance(0);
  } else if (kind === 'done' || kind === 'error') {
    const call = pending.get(id!);
    if (!call) throw new Error(`${id} is not running`);
    pending.delete(id!);
    if (kind === 'error') {
      call.reject(leaseApiError((event.error as { kind: LeaseErrorKind }).kind, 'injected by the model'));
    } else {
      const output = event.output as LeaseCallOutput & { late?: boolean };
      const isWrite = ['renewLease', 'claimLease', 'createLease', 'releaseLease', 'handOverLease'].includes(id!);
      let at = isWrite ? call.startedAt : clock.now();
      if (output.late) {
        at = windowCloses(context) + 1; // sent after the window closed: the process stalled first
        clock.stall(Math.max(0, at - clock.now()));
      }
      call.resolve({ lease: output.lease, at });
    }
    await clock.advance(0);
  } else {
    if (event.overdue) clock.stall(Math.max(0, windowCloses(context) + 1 - clock.now()));
    await fireTimersUntilMoved(sut);
  }
}

describe('lease participant (model-based)', () => {
  const coverage = new MachineCoverage(leaseParticipantMachine);
  let runs = 0;

  for (const [name, config] of Object.entries(configs)) {
    it(`real actor takes every edge of the model, each after the shortest path to it (${name})`, async () => {
      const serialize = (snapshot: unknown) => serializeState(snapshot as Snapshot);
      const model = new TestModel(modelMachine(), {
        events: (snapshot) => modelEvents(snapshot as Snapshot) as never,
        serializeState: serialize,
        input: { identity: SELF, config },
      });
      const shortest = new Map(model.getShortestPaths({ allowDuplicatePaths: true }).map((path) => [serialize(path.state), path]));
      const adjacency = model.getAdjacencyMap();
      let edges = 0;
      for (const [stateKey, { transitions }] of Object.entries(adjacency)) {
        const path = shortest.get(stateKey);
        if (!path) throw new Error(`no path to ${stateKey}`);
        for (const { event, state: next } of Object.values(transitions) as { event: ModelEvent; state: Snapshot }[]) {
          const sut = systemUnderTest(config, coverage);
          const where = `${path.description} → ${event.type}`;
          const expectAt = (expected: unknown) =>
            expect(sut.actor.getSnapshot().value, where).toEqual((expected as Snapshot).value);
          await path.test({
            events: new Proxy({}, { get: () => (step: { event: ModelEvent }) => execute(sut, step.event) }),
            states: { '*': expectAt },
          });
          await execute(sut, event);
          expectAt(next);
          sut.actor.stop();
          edges++;
          runs++;
        }
      }
      expect(edges).toBeGreaterThan(100);
    });
  }

  it('visited every state and every transition of the machine', () => {
    console.log(`lease participant model coverage: ${coverage.summary()} over ${runs} generated paths`);
    expect(runs).toBeGreaterThan(0);
    expect(coverage.missedStates()).toEqual([]);
    expect(coverage.missedTransitions()).toEqual([]);
  });
});
