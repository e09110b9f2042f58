/**
 * Model-based test of the lease participant. `xstate/graph` walks an abstract copy of the machine
 * (time-dependent guards decided by the generated event, invokes not started) and yields the
 * shortest path to every abstract state; each path, and each edge after it, is then driven on the
 * *real* participant — the machine with its real implementations, on a VirtualClock, over a lock
 * whose every call waits for the model's answer — by answering its store calls, sending its
 * events and letting its timers fire. After every step the real actor must agree with an
 * independent reference (participantReference.ts, restated from README's rules, not from the
 * machine): the state it is in, every store call it sent (the record written, the version it
 * writes over) and whether its leadership window is open. The graph only chooses the paths, so a
 * wrong transition target in the machine fails the test (a planted one proves it), and the test
 * fails unless every state node and every transition of the machine was taken by the real actors.
 */
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createActor, createMachine, fromPromise, type SnapshotFrom } from 'xstate';
import { TestModel } from 'xstate/graph';
import {
  isLeading,
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
import type { LeaseRecord, ObservedLease } from '../../src/lease/record.js';
import type { LeaseLock } from '../../src/ports/leaseLock.js';
import { type ParticipantImplementations, participantImplementations } from '../../src/runtime/participantImplementations.js';
import type { Clock } from '../../src/time/clock.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { MachineCoverage } from './machineCoverage.js';
import { type Call, ReferenceParticipant, type ReferenceEvent } from './participantReference.js';

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
function modelMachine(machine: AnyStateMachine = leaseParticipantMachine): AnyStateMachine {
  // Typed as any machine: TestModel's types predate emitted events.
  return (machine as typeof leaseParticipantMachine).provide({
    guards: { pastRenewDeadline: ({ event }) => (event as ModelEvent).overdue === true },
    delays: { untilObservedExpiry: 1, untilRenewDeadline: 1, pollInterval: 1, handOverTimeout: 1 },
  }) as unknown as AnyStateMachine;
}

/** A store call made by the real participant, answered when the model says. */
interface LockCall {
  call: Call;
  resolve(lease: ObservedLease): void;
  reject(error: unknown): void;
  done: boolean;
}

/** The lease store as the model drives it: every call waits for the model's answer; no watch (deliveries are sent as events). */
class ControlledLock implements LeaseLock {
  readonly identity = SELF;
  readonly ref = { namespace: 'm', name: 'l' };
  private readonly calls: LockCall[] = [];
  private reported = 0;

  get(signal?: AbortSignal) {
    return this.wait({ verb: 'get' }, signal);
  }

  create(record: LeaseRecord, signal?: AbortSignal) {
    return this.wait({ verb: 'create', record }, signal);
  }

  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal) {
    return this.wait({ verb: 'update', record, resourceVersion }, signal);
  }

  watch() {
    return NEVER;
  }

  describe() {
    return 'm/l';
  }

  recordEvent(): void {}

  /** Calls sent since last asked. */
  takeCalls(): Call[] {
    const calls = this.calls.slice(this.reported).map((entry) => entry.call);
    this.reported = this.calls.length;
    return calls;
  }

  /** The call waiting for an answer (its state's invoke; one at a time). */
  inFlight(): LockCall {
    const waiting = this.calls.filter((entry) => !entry.done);
    if (waiting.length !== 1) throw new Error(`${waiting.length} store calls waiting, expected 1`);
    return waiting[0]!;
  }

  private wait(call: Call, signal?: AbortSignal): Promise<ObservedLease> {
    return new Promise((resolve, reject) => {
      const entry: LockCall = {
        call,
        done: false,
        resolve: (lease) => ((entry.done = true), resolve(lease)),
        reject: (error) => ((entry.done = true), reject(error)),
      };
      this.calls.push(entry);
      // The state that sent it was left: the call is given up, as the runtime's abort does.
      signal?.addEventListener('abort', () => entry.reject(signal.reason), { once: true });
    });
  }
}

/** The verb each invoked store call sends. */
const VERB: Record<string, Call['verb']> = {
  readLease: 'get',
  rereadLease: 'get',
  readForRelease: 'get',
  readHandedOver: 'get',
  createLease: 'create',
  claimLease: 'update',
  renewLease: 'update',
  releaseLease: 'update',
  handOverLease: 'update',
};

/**
 * The real renew, whose answer can say it was sent after the window closed (`late`: a process that
 * paused between deciding to renew and sending it). Only a synthesized send time can show it: the
 * overdue deadline timer would otherwise always end leadership first.
 */
function lateable(renew: unknown, late: { at?: number }) {
  const creator = (renew as { config: (args: unknown) => Promise<LeaseCallOutput> }).config;
  return fromPromise<LeaseCallOutput, LeaseCallInput>(async (args) => {
    const output = await creator(args);
    const at = late.at;
    late.at = undefined;
    return at === undefined ? output : { ...output, at };
  });
}

/** Replaces some of the real implementations (a planted bug). */
type Plant = (real: ParticipantImplementations, lock: LeaseLock, clock: Clock) => ParticipantImplementations;

/** The real participant (`machine`, with every real implementation) on a VirtualClock, over a ControlledLock, beside the reference. */
function systemUnderTest(machine: AnyStateMachine, config: ParticipantConfig, coverage: MachineCoverage, plant: Plant = (real) => real) {
  const clock = new VirtualClock();
  const lock = new ControlledLock();
  // Its time, but no timers: the store answers when the model says, so no request time-out of the runtime's own fires.
  const stamps: Clock = { now: () => clock.now(), setTimeout: () => 0, clearTimeout: () => {}, scheduler: clock.scheduler };
  const real = plant(participantImplementations(lock, stamps, () => 0), lock, stamps);
  const late: { at?: number } = {};
  const provided = machine.provide({ ...real, actors: { ...real.actors, renewLease: lateable(real.actors.renewLease, late) } } as never);
  const actor = createActor(provided, {
    input: { identity: SELF, config: { ...config, watch: false } },
    clock,
    inspect: coverage.inspect,
  });
  // What the actor tells its listeners: the window's edges, and how each hand-over ended.
  const heard = { open: false, wrongEdges: [] as string[], handOversSettled: 0, handingOver: false, settledBefore: 0 };
  actor.on('leadershipStarted', () => {
    if (heard.open) heard.wrongEdges.push('started twice');
    heard.open = true;
  });
  actor.on('leadershipEnded', ({ why }: { why: string }) => {
    if (!heard.open) heard.wrongEdges.push(`ended (${why}) without a start`);
    heard.open = false;
  });
  actor.on('handOverSettled', () => heard.handOversSettled++);
  actor.start();
  const reference = new ReferenceParticipant(SELF, config);
  return { clock, lock, actor, late, reference, heard };
}

type Sut = ReturnType<typeof systemUnderTest>;

/** The real participant and the reference agree: state, the calls sent since the last step, the window. */
function expectAgreement({ actor, lock, reference, heard }: Sut, where: string): void {
  const snapshot = actor.getSnapshot() as Snapshot;
  // The window as the emitted events tell it (leadershipStarted/Ended), and whether leaving
  // handingOver, by any way, told how the hand-over ended, once.
  const handingOver = snapshot.matches('handingOver');
  const settledOnce = !heard.handingOver || handingOver || heard.handOversSettled === heard.settledBefore + 1;
  if (!heard.handingOver && handingOver) heard.settledBefore = heard.handOversSettled;
  heard.handingOver = handingOver;
  const real = { state: pathOf(snapshot.value), calls: lock.takeCalls(), windowOpen: isLeading(snapshot), heardOpen: heard.open, wrongEdges: heard.wrongEdges, settledOnce };
  const expected = { state: reference.path, calls: reference.takeCalls(), windowOpen: reference.windowOpen, heardOpen: reference.windowOpen, wrongEdges: [], settledOnce: true };
  // Compared as JSON first: vitest's deep equality is slow over ~150,000 steps; it explains a difference.
  if (JSON.stringify(real) !== JSON.stringify(expected)) expect(real, where).toEqual(expected);
}

/** Lets the world catch up at this instant: timers due now fire, on both sides. */
async function settle({ clock, reference }: Sut): Promise<void> {
  await clock.advance(0);
  reference.timersDue(clock.now(), clock.now());
}

/** Fires timers one at a time (on both sides) until the actor moves, at most `limit`. */
async function fireTimersUntilMoved(sut: Sut, where: string, limit = 20): Promise<void> {
  const before = sut.actor.getSnapshot();
  for (let i = 0; i < limit && sut.actor.getSnapshot() === before; i++) {
    const next = sut.clock.nextTimerAt;
    if (next === undefined) throw new Error(`no timer pending in ${JSON.stringify(before.value)}`);
    await sut.clock.advanceTo(next);
    sut.reference.timersDue(next, sut.clock.now());
    expectAgreement(sut, `${where} (timer at ${next - START})`);
  }
}

const START = new VirtualClock().now();

async function execute(sut: Sut, event: ModelEvent, where: string): Promise<void> {
  const { clock, actor, lock, reference } = sut;
  const [, kind, , id] = event.type.split('.');
  if (event.type === 'xstate.init') return;
  if (!event.type.startsWith('xstate.')) {
    const stamped = 'at' in event ? { ...event, at: clock.now() } : event;
    actor.send(stamped as ParticipantEvent);
    reference.send(event as ReferenceEvent, clock.now());
  } else if (kind === 'done' || kind === 'error') {
    const call = lock.inFlight();
    expect(call.call.verb, `${where}: the call ${id} sends`).toBe(VERB[id!]);
    if (kind === 'error') {
      const errorKindOf = (event.error as { kind: LeaseErrorKind }).kind;
      call.reject(leaseApiError(errorKindOf, 'injected by the model'));
      reference.answer({ error: errorKindOf }, clock.now());
    } else {
      const output = event.output as LeaseCallOutput & { late?: boolean };
      let at: number | undefined;
      if (output.late) {
        at = reference.windowCloses() + 1; // sent after the window closed: the process stalled first
        clock.stall(Math.max(0, at - clock.now()));
        sut.late.at = at;
      }
      call.resolve(output.lease);
      reference.answer({ lease: output.lease, ...(at === undefined ? {} : { at }) }, clock.now());
    }
  } else {
    if (event.overdue) clock.stall(Math.max(0, reference.windowCloses() + 1 - clock.now()));
    return fireTimersUntilMoved(sut, where);
  }
  await settle(sut);
}

/** An event as a step of a path, with what tells its variants apart. */
function describeEvent(event: ModelEvent): string {
  const show = (lease: ObservedLease | null | undefined) =>
    lease === null ? 'deleted' : lease ? `${lease.record.holderIdentity || '""'}@${lease.resourceVersion}/${lease.record.leaseDurationSeconds}s${lease.handOverTo ? `→${lease.handOverTo}` : ''}` : '';
  const name = event.type.replace(/^xstate\.(done|error)\.actor\./, '$1:').replace(/^xstate\.after\./, 'after:');
  if (event.type === 'LEASE_OBSERVED') return `${name}(${show(event.lease as ObservedLease | null)})`;
  if (event.type === 'HAND_OVER') return `${name}(${String(event.to)})`;
  const output = event.output as (LeaseCallOutput & { late?: boolean }) | undefined;
  if (output) return `${name}(${show(output.lease)}${output.late ? ', late' : ''})`;
  if (event.error) return `${name}(${(event.error as { kind: string }).kind})`;
  return event.overdue ? `${name}(overdue)` : name;
}

/**
 * Drives every edge of the model's graph, each after the shortest path to its source, on the real
 * participant built from `machine`, checking it against the reference after every step. Returns the
 * number of edges driven; `rules` collects the reference's rules that were taken.
 */
async function driveEveryEdge(
  machine: AnyStateMachine,
  config: ParticipantConfig,
  coverage: MachineCoverage,
  rules = new Set<string>(),
  plant?: Plant,
): Promise<number> {
  const serialize = (snapshot: unknown) => serializeState(snapshot as Snapshot);
  const model = new TestModel(modelMachine(machine), {
    events: (snapshot) => modelEvents(snapshot as Snapshot) as never,
    serializeState: serialize,
    input: { identity: SELF, config },
  });
  const shortest = new Map(model.getShortestPaths({ allowDuplicatePaths: true }).map((path) => [serialize(path.state), path]));
  let edges = 0;
  for (const [stateKey, { transitions }] of Object.entries(model.getAdjacencyMap())) {
    const path = shortest.get(stateKey);
    if (!path) throw new Error(`no path to ${stateKey}`);
    for (const { event } of Object.values(transitions) as { event: ModelEvent }[]) {
      const sut = systemUnderTest(machine, config, coverage, plant);
      const steps = [...path.steps.map((step) => step.event as ModelEvent), event];
      for (const [index, step] of steps.entries()) {
        const where = steps.slice(1, index + 1).map(describeEvent).join(' → ');
        await execute(sut, step, where);
        expectAgreement(sut, where);
      }
      sut.actor.stop();
      for (const rule of sut.reference.taken) rules.add(rule);
      edges++;
    }
  }
  return edges;
}

/**
 * `machine` with one transition sent elsewhere: the `index`-th candidate for `event` on the state
 * node at `path` now targets `target`. Guards, actions and implementations stay as they are.
 */
function retargeted(machine: AnyStateMachine, path: string[], event: string, index: number, target: string): AnyStateMachine {
  const withNode = (node: Record<string, unknown>, rest: string[]): Record<string, unknown> => {
    if (rest.length > 0) {
      const states = node.states as Record<string, Record<string, unknown>>;
      return { ...node, states: { ...states, [rest[0]!]: withNode(states[rest[0]!]!, rest.slice(1)) } };
    }
    const retarget = (transitions: unknown) => {
      const list = [...(Array.isArray(transitions) ? transitions : [transitions])] as Record<string, unknown>[];
      list[index] = { ...list[index], target };
      return list;
    };
    const [where, key] = event.startsWith('after:') ? ['after', event.slice(6)] : event.startsWith('invoke:') ? ['invoke', event.slice(7)] : ['on', event];
    if (where === 'invoke') {
      const invoke = node.invoke as Record<string, unknown>;
      return { ...node, invoke: { ...invoke, [key!]: retarget(invoke[key!]) } };
    }
    if (key === 'always') return { ...node, always: retarget(node.always) };
    const handlers = node[where!] as Record<string, unknown>;
    return { ...node, [where!]: { ...handlers, [key!]: retarget(handlers[key!]) } };
  };
  return createMachine(withNode(machine.config as unknown as Record<string, unknown>, path) as never, machine.implementations as never);
}

/** Wrong targets planted in the machine, and a wrong record in its implementations: the reference must tell each apart from the rules. */
const planted: Record<string, { machine: AnyStateMachine; plant?: Plant }> = {
  'an empty lease is waited on instead of claimed (acquiring.deciding, holderEmpty -> waiting)': {
    machine: retargeted(leaseParticipantMachine, ['acquiring', 'deciding'], 'always', 4, 'waiting'),
  },
  'a re-read naming another holder retries the renew instead of ending leadership (renewing.rereading -> attempt)': {
    machine: retargeted(leaseParticipantMachine, ['renewing', 'rereading'], 'invoke:onDone', 1, 'attempt'),
  },
  'a failed release read gives up instead of retrying (releasing.reading error -> #lease.idle)': {
    machine: retargeted(leaseParticipantMachine, ['releasing', 'reading'], 'invoke:onError', 1, '#lease.idle'),
  },
  'a claim that keeps leaseTransitions (no new term: the written record is wrong, the states right)': {
    machine: leaseParticipantMachine,
    plant: (real, lock, clock) => ({
      ...real,
      actors: {
        ...real.actors,
        claimLease: fromPromise<LeaseCallOutput, LeaseCallInput>(async ({ input, signal }) => {
          const at = clock.now();
          const observed = input.observed!;
          const record = { ...observed.record, holderIdentity: lock.identity, leaseDurationSeconds: input.config.leaseDuration / 1000, acquireTime: at, renewTime: at };
          return { lease: await lock.update(record, observed.resourceVersion, signal), at };
        }),
      },
    }),
  },
};

describe('lease participant (model-based, against an independent reference)', () => {
  const coverage = new MachineCoverage(leaseParticipantMachine);
  const rules = new Set<string>();
  let runs = 0;

  for (const [name, config] of Object.entries(configs)) {
    it(`real actor agrees with the reference on every edge of the model, each after the shortest path to it (${name})`, async () => {
      const edges = await driveEveryEdge(leaseParticipantMachine, config, coverage, rules);
      runs += edges;
      expect(edges).toBeGreaterThan(100);
    });
  }

  it('visited every state and every transition of the machine', () => {
    console.log(
      `lease participant model coverage: ${coverage.summary()} over ${runs} generated paths, each step checked against the reference (${rules.size} of its rules taken: state · event → state)`,
    );
    expect(runs).toBeGreaterThan(0);
    expect(coverage.missedStates()).toEqual([]);
    expect(coverage.missedTransitions()).toEqual([]);
  });

  for (const [bug, { machine, plant }] of Object.entries(planted)) {
    it(`catches a planted bug: ${bug}`, async () => {
      const failure = await driveEveryEdge(machine, configs.cloudNativePG!, new MachineCoverage(machine), undefined, plant).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failure, `the reference did not tell "${bug}" apart`).toBeInstanceOf(Error);
      console.log(`planted bug "${bug}" caught: ${failure!.message.split('\n')[0]}`);
    });
  }
});
