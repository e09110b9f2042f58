/**
 * Model-based test of the lease manager: fast-check generates command sequences (claims by two
 * holders, one at a time and several at once, revokes, pins, waits and cancels, time passing, transient and fatal store faults, a
 * broken change feed, stop) and runs each against the real LeaseManager on a VirtualClock, checking
 * after every command that the results agree with a reference model of the store:
 *   - a claim is denied exactly when another holder has the lease, granted otherwise; claims made
 *     together are decided as if one by one, in the order made;
 *   - the manager's view equals the store's, and only one wake-up timer is ever armed;
 *   - a waiter is pending exactly while its lease exists;
 *   - unpinned leases end at expiry + slack: never sooner, and never later than that (or than the
 *     moment they were unpinned, or one slack after a failed attempt to expire them), checked at
 *     the store the moment a lease ends and before every step of time, not only after a command;
 *   - after a stop, every request fails with LeaseManagerStoppedError.
 * The test fails unless every state node and every transition of the machine was taken; each
 * planted bug must be caught by the check it breaks, within a stated number of sequences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
import { type ExpiryOutput, leaseManagerMachine } from '../../machines/leaseManager.js';
import { LeaseManager, type LeaseManagerOptions } from '../../src/api/leaseManager.js';
import { ClaimDeniedError, LeaseManagerStoppedError, LeaseTimeoutError, NotHeldError, WaitCancelledError } from '../../src/lease/errors.js';
import { errorKind } from '../../src/lease/errorKind.js';
import { MemoryManagedLeaseStore } from '../../src/memory/managedLeaseStore.js';
import type { LeaseKey, ManagedLease } from '../../src/ports/managedLeaseStore.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { track } from '../support/leaseWorld.js';
import { MachineCoverage } from './machineCoverage.js';

const NS = 'application-leadership';
const MODEL = 'm';
const SLACK = 1_000;
const MAX_SLEEP = 60_000;
const LEASES = ['db', 'web'] as const;
const HOLDERS = { db: ['db/0', 'db/1'], web: ['web/0', 'web/1'] } as const;

type Lease = (typeof LEASES)[number];

const idOf = (key: LeaseKey) => `${key.namespace}/${key.model}/${key.lease}`;

/**
 * The store, watched at its boundary: the moment a lease ends by expiry is checked against when it
 * may end (never before expiry + slack) and must end (its deadline); a violation is noted at once
 * and reported by the step that made it.
 */
class ObservedStore extends MemoryManagedLeaseStore {
  readonly violations: string[] = [];
  /** The last time a call to expire failed transiently: what was due then is tried again one slack later. */
  private expireFailedAt = Number.NEGATIVE_INFINITY;
  private readonly unpinnedAt = new Map<string, number>();

  constructor(private readonly time: VirtualClock) {
    super(time);
  }

  /** When an unpinned lease must have ended: expiry + slack, or its unpinning, or a slack after a failed expiry, whichever is last. */
  deadline(lease: ManagedLease): number {
    return Math.max(lease.expiry + SLACK, this.unpinnedAt.get(idOf(lease.key)) ?? Number.NEGATIVE_INFINITY, this.expireFailedAt + SLACK);
  }

  override async expire(key: LeaseKey) {
    const lease = this.snapshot().find((held) => idOf(held.key) === idOf(key));
    try {
      const outcome = await super.expire(key);
      const now = this.time.now();
      if (outcome === 'expired' && lease && now < lease.expiry + SLACK) {
        this.violations.push(`never sooner: ${key.lease} ended at ${now}, before its expiry + slack ${lease.expiry + SLACK}`);
      }
      if (outcome === 'expired' && lease && now > this.deadline(lease)) {
        this.violations.push(`never later: ${key.lease} ended at ${now}, after its deadline ${this.deadline(lease)}`);
      }
      return outcome;
    } catch (error) {
      if (errorKind(error) === 'Unavailable') this.expireFailedAt = this.time.now();
      throw error;
    }
  }

  override async unpin(key: LeaseKey, entity: string) {
    const outcome = await super.unpin(key, entity);
    if (outcome.outcome === 'done' && outcome.lease.pinnedBy.length === 0) this.unpinnedAt.set(idOf(key), this.time.now());
    return outcome;
  }

  /** Before time moves to `at`: every unpinned lease whose deadline comes before it should be gone. */
  checkNoneOutlive(at: number): void {
    for (const lease of this.snapshot()) {
      if (lease.pinnedBy.length === 0 && this.deadline(lease) < at) {
        this.violations.push(`never later: ${lease.key.lease} still held as time moves to ${at}, past its deadline ${this.deadline(lease)}`);
      }
    }
  }
}

/** Fails with every violation noted so far, each on its line. */
const expectNoViolations = (store: ObservedStore) => expect(store.violations.join('\n'), 'expiry timing').toBe('');

interface Real {
  clock: VirtualClock;
  store: ObservedStore;
  manager: LeaseManager;
  waiters: { lease: Lease; outcome: ReturnType<typeof track<void>>; controller: AbortController }[];
}

interface Model {
  stopped: boolean;
}

/**
 * Moves time to `target` one timer at a time, checking before each step that no lease outlives its
 * deadline, and after it that nothing ended too soon or too late on the way.
 */
async function advanceChecked(real: Real, target: number): Promise<void> {
  for (;;) {
    const next = real.clock.nextTimerAt;
    const to = next !== undefined && next < target ? next : target;
    if (real.manager.report().state !== 'stopped') real.store.checkNoneOutlive(to);
    await real.clock.advanceTo(to);
    expectNoViolations(real.store);
    if (to >= target) return;
  }
}

/** Runs timers until `promise` settles (store retries need time to pass). */
async function settle<T>(real: Real, promise: Promise<T>): Promise<ReturnType<typeof track<T>>> {
  const outcome = track(promise);
  await advanceChecked(real, real.clock.now());
  for (let i = 0; i < 100 && !outcome.settled; i++) {
    const next = real.clock.nextTimerAt;
    if (next === undefined) break;
    await advanceChecked(real, next);
  }
  return outcome;
}

function checkInvariants(model: Model, real: Real): void {
  const { store, manager, clock } = real;
  expectNoViolations(store);
  if (model.stopped) return;
  const view = manager.reader(NS, MODEL).leases();
  const truth = Object.fromEntries(store.snapshot().map((lease) => [lease.key.lease, { holder: lease.holder, expiry: lease.expiry }]));
  expect(view).toEqual(truth);
  expect(clock.pendingTimers).toBeLessThanOrEqual(manager.report().state && JSON.stringify(manager.report().state).includes('backingOff') ? 2 : 1);
  for (const waiter of real.waiters) {
    const exists = store.snapshot().some((lease) => lease.key.lease === waiter.lease);
    if (!waiter.outcome.settled) expect(exists).toBe(true);
  }
}

type Command = fc.AsyncCommand<Model, Real>;

const command = (name: string, act: (model: Model, real: Real) => Promise<void>): Command => ({
  check: () => true,
  run: async (model, real) => {
    await act(model, real);
    checkInvariants(model, real);
  },
  toString: () => name,
});

const claim = (lease: Lease, holder: number, durationMs: number) =>
  command(`claim(${lease}, ${HOLDERS[lease][holder]!}, ${durationMs})`, async (model, real) => {
    const before = real.store.snapshot().find((held) => held.key.lease === lease);
    const exact = real.store.pendingFaults === 0;
    const outcome = await settle(real, real.manager.claimer(NS, MODEL).claim(lease, HOLDERS[lease][holder]!, durationMs));
    expect(outcome.settled).toBe(true);
    if (model.stopped) return expect(outcome.error).toBeInstanceOf(LeaseManagerStoppedError);
    if (outcome.error instanceof LeaseManagerStoppedError) return void (model.stopped = true);
    if (!exact) return expect(outcome.error === undefined || outcome.error instanceof ClaimDeniedError || outcome.error instanceof LeaseTimeoutError).toBe(true);
    const takenByOther = before !== undefined && before.holder !== HOLDERS[lease][holder]!;
    if (takenByOther) expect(outcome.error).toBeInstanceOf(ClaimDeniedError);
    else expect(outcome.error).toBeUndefined();
  });

type ClaimRequest = readonly [lease: Lease, holder: number, durationMs: number];

/**
 * Several claims made together, so that they reach the store as one batch (leases side by side, a
 * lease's claims in the order made). `staggered`: each after the last has had a turn at the store,
 * so that one made while the batch before it backs off from a fault joins the retry.
 * Without faults, the outcomes are the store's decisions taken one by one in the order made.
 */
const claimsTogether = (requests: readonly ClaimRequest[], staggered: boolean) =>
  command(
    `${staggered ? 'staggered ' : ''}claims(${requests.map(([lease, holder, durationMs]) => `${lease} by ${HOLDERS[lease][holder]!} for ${durationMs}`).join('; ')})`,
    async (model, real) => {
      const holders = new Map(real.store.snapshot().map((lease) => [lease.key.lease, lease.holder]));
      const exact = real.store.pendingFaults === 0;
      const claimer = real.manager.claimer(NS, MODEL);
      // Each claim's error (undefined: granted), caught as it is made: a staggered one may fail while the next is made.
      const made: Promise<unknown>[] = [];
      for (const [lease, holder, durationMs] of requests) {
        if (staggered && made.length > 0) await real.clock.advance(0);
        made.push(claimer.claim(lease, HOLDERS[lease][holder]!, durationMs).then(() => undefined, (error: unknown) => error));
      }
      const outcome = await settle(real, Promise.all(made));
      expect(outcome.settled).toBe(true);
      const errors = outcome.value!;
      if (model.stopped) return errors.forEach((error) => expect(error).toBeInstanceOf(LeaseManagerStoppedError));
      if (errors.some((error) => error instanceof LeaseManagerStoppedError)) return void (model.stopped = true);
      if (!exact) {
        for (const error of errors) expect(error === undefined || error instanceof ClaimDeniedError || error instanceof LeaseTimeoutError).toBe(true);
        return;
      }
      requests.forEach(([lease, holder], index) => {
        const claimant = HOLDERS[lease][holder]!;
        const current = holders.get(lease);
        if (current !== undefined && current !== claimant) return expect(errors[index], `${claimant} on ${lease}`).toBeInstanceOf(ClaimDeniedError);
        expect(errors[index], `${claimant} on ${lease}`).toBeUndefined();
        holders.set(lease, claimant);
      });
    },
  );

const revoke = (lease: Lease, holder: number) =>
  command(`revoke(${lease}, ${HOLDERS[lease][holder]!})`, async (model, real) => {
    const before = real.store.snapshot().find((held) => held.key.lease === lease);
    const exact = real.store.pendingFaults === 0;
    const outcome = await settle(real, real.manager.revoker(NS, MODEL).revoke(lease, HOLDERS[lease][holder]!));
    if (model.stopped) return expect(outcome.error).toBeInstanceOf(LeaseManagerStoppedError);
    if (outcome.error instanceof LeaseManagerStoppedError) return void (model.stopped = true);
    if (!exact) return;
    if (!before || before.holder !== HOLDERS[lease][holder]!) expect(outcome.error).toBeInstanceOf(NotHeldError);
    else if (before.pinnedBy.length) expect(String(outcome.error)).toMatch(/pinned/);
    else expect(outcome.error).toBeUndefined();
  });

const pin = (lease: Lease, entity: string, on: boolean) =>
  command(`${on ? 'pin' : 'unpin'}(${lease}, ${entity})`, async (model, real) => {
    const pinner = real.manager.pinner(NS, MODEL);
    const outcome = await settle(real, on ? pinner.pin(lease, entity) : pinner.unpin(lease, entity));
    if (model.stopped) return expect(outcome.error).toBeInstanceOf(LeaseManagerStoppedError);
    if (outcome.error instanceof LeaseManagerStoppedError) model.stopped = true;
  });

const wait = (lease: Lease) =>
  command(`waitUntilExpired(${lease})`, async (model, real) => {
    const controller = new AbortController();
    const outcome = track(real.manager.claimer(NS, MODEL).waitUntilExpired(lease, { signal: controller.signal }));
    real.waiters.push({ lease, outcome, controller });
    await real.clock.advance(0);
    if (model.stopped) expect(outcome.error).toBeInstanceOf(LeaseManagerStoppedError);
  });

const cancelWaits = command('cancel every wait', async (model, real) => {
  const pending = real.waiters.filter((waiter) => !waiter.outcome.settled);
  for (const waiter of pending) waiter.controller.abort();
  await real.clock.advance(0);
  for (const waiter of pending) {
    expect(waiter.outcome.error).toBeInstanceOf(model.stopped ? LeaseManagerStoppedError : WaitCancelledError);
  }
});

/** Time passes, timer by timer: leases end at expiry + slack (Juju's grace for in-flight extends), never sooner or later. */
const advance = (ms: number) => command(`advance(${ms})`, (_, real) => advanceChecked(real, real.clock.now() + ms));

const failNext = (count: number, kind: 'Unavailable' | 'Forbidden') =>
  command(`failNext(${count}, ${kind})`, async (_, real) => {
    real.store.failNext(count, { kind });
  });

const breakFeed = command('break the change feed', async (model, real) => {
  real.store.breakFeed('Forbidden');
  await real.clock.advance(0);
  model.stopped = true;
  expect(real.manager.report().state).toBe('stopped');
});

const stop = command('stop', async (model, real) => {
  real.manager.stop();
  await real.clock.advance(0);
  model.stopped = true;
  for (const waiter of real.waiters) expect(waiter.outcome.settled).toBe(true);
});

const claims = fc
  .tuple(fc.constantFrom(...LEASES), fc.integer({ min: 0, max: 1 }), fc.constantFrom(2_000, 2_600, 5_000, 90_000))
  .map(([l, h, d]) => claim(l, h, d));
const advances = fc.constantFrom(0, 400, 1_500, 3_000, 7_000, MAX_SLEEP + SLACK).map(advance);
const claimRequest = fc.tuple(fc.constantFrom(...LEASES), fc.integer({ min: 0, max: 1 }), fc.constantFrom(2_000, 5_000, 90_000));
const batches = fc
  .tuple(fc.array(claimRequest, { minLength: 2, maxLength: 4 }), fc.boolean())
  .map(([requests, staggered]) => claimsTogether(requests, staggered));

// Claims and time passing are listed three times: they are what the other commands act on.
const commands = [
  claims,
  claims,
  claims,
  advances,
  advances,
  advances,
  batches,
  fc.tuple(fc.constantFrom(...LEASES), fc.integer({ min: 0, max: 1 })).map(([l, h]) => revoke(l, h)),
  fc.tuple(fc.constantFrom(...LEASES), fc.constantFrom('upgrade-a', 'upgrade-b'), fc.boolean()).map(([l, e, on]) => pin(l, e, on)),
  fc.constantFrom(...LEASES).map(wait),
  fc.constant(cancelWaits),
  fc.tuple(fc.constantFrom(1, 3, 10), fc.constant('Unavailable' as const)).map(([n, k]) => failNext(n, k)),
  fc.constant(failNext(1, 'Forbidden')),
  fc.constant(breakFeed),
  fc.constant(stop),
];

/** Runs generated command sequences against a LeaseManager built by `options`; resolves fast-check's verdict. */
function runModel(
  numRuns: number,
  options: Partial<LeaseManagerOptions> | ((real: Pick<Real, 'clock' | 'store'>) => Implementations) = {},
  onRun = () => {},
  endOnFailure = false,
) {
  return fc.check(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'large' }), async (sequence) => {
      onRun();
      const clock = new VirtualClock();
      const store = new ObservedStore(clock);
      const extra = typeof options === 'function' ? { implementations: options({ clock, store }) } : options;
      const manager = new LeaseManager({ store, clock, maxSleep: MAX_SLEEP, expirySlack: SLACK, random: () => 0.5, ...extra });
      try {
        await fc.asyncModelRun(() => ({ model: { stopped: false }, real: { clock, store, manager, waiters: [] } }), sequence);
      } finally {
        manager.stop();
      }
    }),
    { numRuns, seed: 20261125, endOnFailure },
  );
}

type Implementations = NonNullable<LeaseManagerOptions['implementations']>;

/**
 * Bugs planted in the runtime (its delays, its expiry actor): each must be caught by the check it
 * breaks, within `within` sequences. The third one only shows after a fault.
 */
const plantedBugs: Record<string, { check: 'never later' | 'never sooner'; within: number; implementations: (real: Pick<Real, 'clock' | 'store'>) => Implementations }> = {
  'sleeps 5 s past the planned wake-up': {
    check: 'never later',
    within: 20,
    implementations: () => (defaults) => ({
      ...defaults,
      delays: { ...defaults.delays, untilWake: (args) => defaults.delays.untilWake(args) + 5_000 },
    }),
  },
  'wakes 500 ms before the planned wake-up': {
    check: 'never sooner',
    within: 20,
    implementations: () => (defaults) => ({
      ...defaults,
      delays: { ...defaults.delays, untilWake: (args) => Math.max(0, defaults.delays.untilWake(args) - 500) },
    }),
  },
  'gives up expiring a lease once the store failed to expire it': {
    check: 'never later',
    within: 300,
    implementations: ({ clock, store }) => (defaults) => ({
      ...defaults,
      actors: {
        ...defaults.actors,
        expireLeases: fromPromise<ExpiryOutput, { keys: LeaseKey[] }>(async ({ input }) => {
          const changes: ExpiryOutput['changes'] = [];
          for (const key of input.keys) {
            try {
              const outcome = await store.expire(key);
              if (outcome === 'expired' || outcome === 'gone') changes.push({ key, lease: null });
            } catch {
              // the bug: reported as nothing to do, so the lease is never tried again
            }
          }
          return { changes, now: clock.now() };
        }),
      },
    }),
  },
};

describe('lease manager machine (model-based)', () => {
  it('agrees with the reference model over generated command sequences and takes every state and transition', async () => {
    const coverage = new MachineCoverage(leaseManagerMachine);
    let runs = 0;
    const verdict = await runModel(1000, { inspect: coverage.inspect }, () => runs++);
    expect(verdict.failed, fc.defaultReportMessage(verdict) ?? '').toBe(false);
    console.log(`lease manager model coverage: ${coverage.summary()} over ${runs} generated command sequences`);
    expect(coverage.missedStates()).toEqual([]);
    expect(coverage.missedTransitions()).toEqual([]);
  });

  for (const [bug, { check, within, implementations }] of Object.entries(plantedBugs)) {
    it(`catches a planted bug as "${check}", within ${within} command sequences: ${bug}`, async () => {
      const verdict = await runModel(within, implementations, undefined, true);
      expect(verdict.failed, `"${bug}" was not caught in ${within} sequences`).toBe(true);
      expect(String(verdict.errorInstance)).toContain(`${check}:`);
      console.log(`planted bug "${bug}" caught as "${check}" after ${verdict.numRuns} command sequences: ${verdict.counterexample?.[0]}`);
    });
  }
});
