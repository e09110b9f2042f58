/**
 * The LeaseManager's behaviours, one test per rule of Juju's lease manager (ANCHORS §5), through
 * the public facades on a virtual clock and the memory store.
 */
import { Registry } from 'prom-client';
import { Subject, delay, switchMap, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LeaseManager, type LeaseManagerOptions } from '../../src/api/leaseManager.js';
import {
  ClaimDeniedError,
  InvalidLeaseRequestError,
  LeaseManagerError,
  LeaseManagerStoppedError,
  LeaseTimeoutError,
  NotHeldError,
  WaitCancelledError,
} from '../../src/lease/errors.js';
import { MemoryManagedLeaseStore } from '../../src/memory/managedLeaseStore.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { createLogger } from '../../src/log/logger.js';
import { track } from '../support/leaseWorld.js';

const NS = 'application-leadership';
const MODEL = 'model-1';

function managerWorld(options: Partial<LeaseManagerOptions> = {}) {
  const clock = new VirtualClock();
  const store = new MemoryManagedLeaseStore(clock);
  const logs: string[] = [];
  const start = (overrides: Partial<LeaseManagerOptions> = {}) =>
    new LeaseManager({ store, clock, random: () => 0.5, logger: createLogger({ write: (line) => logs.push(line) }), ...options, ...overrides });
  const manager = start();
  return {
    clock,
    store,
    logs,
    manager,
    start,
    claimer: manager.claimer(NS, MODEL),
    checker: manager.checker(NS, MODEL),
    revoker: manager.revoker(NS, MODEL),
    pinner: manager.pinner(NS, MODEL),
    reader: manager.reader(NS, MODEL),
  };
}

/** A memory store whose every claim takes 10 ms of virtual time; `mostInFlight` is the most claims under way at once. */
function slowClaimStore(clock: VirtualClock) {
  let inFlight = 0;
  return new (class extends MemoryManagedLeaseStore {
    mostInFlight = 0;
    override async claim(...args: Parameters<MemoryManagedLeaseStore['claim']>) {
      this.mostInFlight = Math.max(this.mostInFlight, ++inFlight);
      await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 10));
      inFlight--;
      return super.claim(...args);
    }
  })(clock);
}

describe('LeaseManager', () => {
  it('grants a claim of a free lease and records holder and expiry', async () => {
    const { clock, claimer, reader } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 60_000);
    expect(reader.leases()).toEqual({ mysql: { holder: 'mysql/0', expiry: clock.now() + 60_000 } });
  });

  it('extends the lease when its holder claims it again', async () => {
    const { clock, claimer, reader, manager } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 60_000);
    await clock.advance(30_000);
    await claimer.claim('mysql', 'mysql/0', 60_000);
    expect(reader.leases().mysql!.expiry).toBe(clock.now() + 60_000);
    expect(manager.report().counters).toMatchObject({ claimed: 1, extended: 1 });
  });

  it('denies a claim by another holder, naming the holder', async () => {
    const { claimer, reader } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 60_000);
    const denied = await claimer.claim('mysql', 'mysql/1', 60_000).catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(ClaimDeniedError);
    expect((denied as ClaimDeniedError).holder).toBe('mysql/0');
    expect((denied as Error).message).toContain('application-leadership/model-1/mysql');
    expect(reader.leases().mysql!.holder).toBe('mysql/0');
  });

  it('has the secretary validate lease names, holders and durations per namespace', async () => {
    const { manager, store } = managerWorld();
    const leadership = manager.claimer(NS, MODEL);
    await expect(leadership.claim('MySQL', 'mysql/0', 60_000)).rejects.toThrow(/invalid lease name "MySQL"/);
    await expect(leadership.claim('mysql', 'mysql-0', 60_000)).rejects.toThrow(/invalid holder name "mysql-0".*unit name/);
    await expect(leadership.claim('mysql', 'mysql/0', 10 * 60_000)).rejects.toThrow(/invalid duration 600000 ms: must be between 1s and 5m0s/);
    await expect(leadership.claim('mysql', 'mysql/0', 0)).rejects.toBeInstanceOf(InvalidLeaseRequestError);
    // Another namespace has other rules: any printable holder, up to an hour.
    await manager.claimer('singular-controller', MODEL).claim('model-1', 'machine-0', 30 * 60_000);
    expect(() => manager.claimer('', MODEL)).toThrow(/no secretary for lease namespace ""/);
    expect(store.calls.claim).toBe(1);
  });

  it('checks a token: the holder passes, anyone else and a lapsed lease fail with NotHeldError', async () => {
    const { clock, claimer, checker } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    expect(() => checker.token('mysql', 'mysql/0').check()).not.toThrow();
    expect(() => checker.token('mysql', 'mysql/1').check()).toThrow(NotHeldError);
    expect(() => checker.token('redis', 'redis/0').check()).toThrow(NotHeldError);
    await clock.advance(10_000);
    // Lapsed on the local clock, not yet expired by the manager: no longer held.
    expect(() => checker.token('mysql', 'mysql/0').check()).toThrow(NotHeldError);
  });

  it('revokes the holder’s lease at once and releases its waiters; others cannot revoke', async () => {
    const { claimer, revoker, reader } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 60_000);
    const waiting = track(claimer.waitUntilExpired('mysql'));
    await expect(revoker.revoke('mysql', 'mysql/1')).rejects.toBeInstanceOf(NotHeldError);
    expect(waiting.settled).toBe(false);
    await revoker.revoke('mysql', 'mysql/0');
    await Promise.resolve();
    expect(waiting.settled && waiting.error === undefined).toBe(true);
    expect(reader.leases()).toEqual({});
    await claimer.claim('mysql', 'mysql/1', 60_000);
  });

  it('expires a lease after its duration plus the 1 s slack', async () => {
    const { clock, claimer, reader, manager } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    await clock.advance(10_999);
    expect(reader.leases().mysql).toBeDefined();
    await clock.advance(1);
    expect(reader.leases()).toEqual({});
    expect(manager.report().counters.expired).toBe(1);
  });

  it('releases waitUntilExpired only when the lease is gone', async () => {
    const { clock, claimer } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    const waiting = track(claimer.waitUntilExpired('mysql'));
    await clock.advance(5_000);
    await claimer.claim('mysql', 'mysql/0', 10_000); // extended: the waiter keeps waiting
    await clock.advance(10_999);
    expect(waiting.settled).toBe(false);
    await clock.advance(1);
    expect(waiting).toMatchObject({ settled: true, error: undefined });
  });

  it('resolves waitUntilExpired at once for a lease nobody holds', async () => {
    const { claimer } = managerWorld();
    await expect(claimer.waitUntilExpired('mysql')).resolves.toBeUndefined();
  });

  it('does not release a waiter on the tick it was added, even for a lapsed lease: only the expiry does', async () => {
    const { clock, claimer, reader } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    await clock.advance(10_500); // lapsed, but the manager's wake-up (expiry + 1 s slack) is still ahead
    const waiting = track(claimer.waitUntilExpired('mysql'));
    await Promise.resolve();
    expect(waiting.settled).toBe(false);
    expect(reader.leases().mysql).toBeDefined();
    await clock.advance(500);
    expect(waiting).toMatchObject({ settled: true, error: undefined });
  });

  it('cancels a wait through its signal with WaitCancelledError, leaving other waiters in place', async () => {
    const { clock, claimer, manager } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    const controller = new AbortController();
    const cancelled = track(claimer.waitUntilExpired('mysql', { signal: controller.signal }));
    const other = track(claimer.waitUntilExpired('mysql'));
    controller.abort();
    await Promise.resolve();
    expect(cancelled.error).toBeInstanceOf(WaitCancelledError);
    expect(manager.report().waiters).toBe(1);
    await clock.advance(11_000);
    expect(other).toMatchObject({ settled: true, error: undefined });
    await expect(claimer.waitUntilExpired('mysql', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(WaitCancelledError);
  });

  it('stops: every waiter and later request fails with "lease manager stopped"', async () => {
    const { claimer, manager } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    const waiting = track(claimer.waitUntilExpired('mysql'));
    manager.stop();
    await Promise.resolve();
    expect(waiting.error).toBeInstanceOf(LeaseManagerStoppedError);
    // Juju's message, then (as every leasehold error) the lease, and the holder where there is one.
    expect((waiting.error as Error).message).toBe(`lease manager stopped (lease ${NS}/${MODEL}/mysql)`);
    await expect(claimer.claim('mysql', 'mysql/0', 10_000)).rejects.toMatchObject({
      message: `lease manager stopped (lease ${NS}/${MODEL}/mysql, identity mysql/0)`,
      lease: `${NS}/${MODEL}/mysql`,
      identity: 'mysql/0',
    });
    expect(manager.report().state).toBe('stopped');
  });

  it('never expires a pinned lease and refuses to revoke it; unpinning lets it expire', async () => {
    const { clock, claimer, pinner, revoker, reader } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    await pinner.pin('mysql', 'machine-0/upgrade');
    await pinner.pin('mysql', 'machine-1/upgrade');
    expect(pinner.pinned()).toEqual({ mysql: ['machine-0/upgrade', 'machine-1/upgrade'] });
    await clock.advance(5 * 60_000);
    expect(reader.leases().mysql!.holder).toBe('mysql/0');
    await expect(revoker.revoke('mysql', 'mysql/0')).rejects.toThrow(LeaseManagerError);
    await expect(revoker.revoke('mysql', 'mysql/0')).rejects.toThrow(/pinned/);
    await pinner.unpin('mysql', 'machine-0/upgrade');
    await clock.advance(5 * 60_000);
    expect(reader.leases().mysql).toBeDefined(); // still pinned by machine-1
    await pinner.unpin('mysql', 'machine-1/upgrade');
    await clock.advance(60_000);
    expect(reader.leases()).toEqual({});
    await expect(pinner.pin('mysql', 'machine-0/upgrade')).rejects.toBeInstanceOf(NotHeldError);
  });

  it('retries transient store errors with 50 ms x1.6 backoff, then succeeds', async () => {
    const { clock, store, claimer, reader, manager } = managerWorld();
    await clock.advance(0);
    store.failNext(3, { kind: 'Unavailable' });
    const started = clock.now();
    const claim = track(claimer.claim('mysql', 'mysql/0', 10_000));
    // random() = 0.5 makes the jitter factor exactly 1: 50 + 80 + 128 ms.
    await clock.advance(257);
    expect(claim.settled).toBe(false);
    await clock.advance(1);
    expect(claim).toMatchObject({ settled: true, error: undefined });
    expect(reader.leases().mysql!.expiry).toBe(started + 258 + 10_000);
    expect(manager.report().counters.retries).toBe(3);
  });

  it('applies queued requests as one batch; a failure inside it keeps that request queued, retried with backoff', async () => {
    const { clock, store, claimer, manager } = managerWorld();
    store.failNext(2, { kind: 'Unavailable', match: ({ verb, key }) => verb === 'claim' && key.lease === 'redis' });
    // kafka is applied at once; mysql, redis and web queue behind it and go as the next batch.
    const claims = ['kafka', 'mysql', 'redis', 'web'].map((app) => track(claimer.claim(app, `${app}/0`, 10_000)));
    await clock.advance(0);
    // In that batch mysql and web settled; redis failed (not counted: it was not the head) and failed
    // again as the head of the next batch (counted: one retry).
    expect(claims.map((claim) => claim.settled)).toEqual([true, true, false, true]);
    expect(manager.report()).toMatchObject({ queued: { claims: 1 }, counters: { retries: 1 } });
    await clock.advance(50);
    expect(claims.every((claim) => claim.settled && claim.error === undefined)).toBe(true);
    expect(store.calls.claim).toBe(6); // kafka, mysql, redis (fails), web, redis (fails), redis
  });

  it("applies a batch's requests for different leases side by side, each lease's in queue order, 32 leases at a time", async () => {
    const clock = new VirtualClock();
    const store = slowClaimStore(clock);
    const manager = new LeaseManager({ store, clock });
    const claimer = manager.claimer(NS, MODEL);
    const first = track(claimer.claim('first', 'first/0', 60_000));
    // Queued while the first is applied: one batch of 100 leases, the last also revoked after its claim.
    const claims = Array.from({ length: 100 }, (_, unit) => track(claimer.claim(`app${unit}`, `app${unit}/0`, 60_000)));
    const revoke = track(manager.revoker(NS, MODEL).revoke('app99', 'app99/0'));
    await clock.advance(10);
    expect(first.settled).toBe(true);
    // 100 leases, 32 at a time: 4 rounds of 10 ms (not 100 one after another), answered as one batch.
    await clock.advance(39);
    expect(claims.some((claim) => claim.settled)).toBe(false);
    await clock.advance(1);
    expect(claims.every((claim) => claim.settled && claim.error === undefined)).toBe(true);
    expect(store.mostInFlight).toBe(32);
    // The revoke went after its lease's claim (else it would have found nothing to revoke).
    expect(revoke).toMatchObject({ settled: true, error: undefined });
    expect(manager.reader(NS, MODEL).leases().app99).toBeUndefined();
    manager.stop();
  });

  it('says so while its store has not listed the leases (requests wait for that list): after 10 s, then at each doubling', async () => {
    const clock = new VirtualClock();
    const listed = new Subject<void>();
    // A store whose first list comes only when `listed` fires (a Kubernetes store whose API server is down).
    const store = new (class extends MemoryManagedLeaseStore {
      override changes() {
        return listed.pipe(take(1), switchMap(() => super.changes()));
      }
    })(clock);
    const logs: string[] = [];
    const manager = new LeaseManager({ store, clock, logger: createLogger({ write: (line) => logs.push(line) }) });
    const claim = track(manager.claimer(NS, MODEL).claim('mysql', 'mysql/0', 60_000));
    await clock.advance(9_999);
    expect(logs).toEqual([]);
    await clock.advance(1);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/WARN the lease store \(memory\) has not listed its leases after 10s: requests wait until it does queued=1/);
    await clock.advance(20_000);
    expect(logs[1]).toMatch(/has not listed its leases after 30s/);
    expect(claim.settled).toBe(false);
    listed.next();
    await clock.advance(0);
    expect(claim).toMatchObject({ settled: true, error: undefined });
    expect(logs[2]).toMatch(/INFO the lease store listed its leases after more than 30s/);
    await clock.advance(600_000);
    expect(logs).toHaveLength(3);
    manager.stop();
  });

  it('stop() in the middle of a batch: the calls in flight finish, nothing queued behind them reaches the store', async () => {
    const clock = new VirtualClock();
    const store = slowClaimStore(clock);
    const manager = new LeaseManager({ store, clock });
    const claimer = manager.claimer(NS, MODEL);
    const first = track(claimer.claim('first', 'first/0', 60_000));
    // Queued while the first is applied: the next batch, 100 leases.
    const claims = Array.from({ length: 100 }, (_, unit) => track(claimer.claim(`app${unit}`, `app${unit}/0`, 60_000)));
    await clock.advance(15); // the first settled at 10 ms; 32 of the batch in flight, 68 waiting their turn
    expect(first).toMatchObject({ settled: true, error: undefined });
    manager.stop();
    await clock.advance(1_000);
    expect(claims.every((claim) => claim.error instanceof LeaseManagerStoppedError)).toBe(true);
    expect(store.calls.claim).toBe(1 + 32);
    expect(store.snapshot()).toHaveLength(1 + 32);
  });

  it('settles what a batch applied even when its head failed, once: the head alone is retried', async () => {
    const { clock, store, claimer, revoker, manager } = managerWorld();
    await claimer.claim('kafka', 'kafka/0', 10_000);
    store.failNext(1, { kind: 'Unavailable', match: ({ verb, key }) => verb === 'claim' && key.lease === 'redis' });
    // The first claim of mysql is applied alone; redis (the next batch's head) and kafka's revoke queue behind it.
    const mysql = track(claimer.claim('mysql', 'mysql/0', 10_000));
    const redis = track(claimer.claim('redis', 'redis/0', 10_000));
    const revoke = track(revoker.revoke('kafka', 'kafka/0'));
    await clock.advance(0);
    expect([mysql.settled, redis.settled]).toEqual([true, false]);
    expect(revoke).toMatchObject({ settled: true, error: undefined });
    expect(manager.report()).toMatchObject({ queued: { claims: 1, revokes: 0 }, counters: { retries: 1, revoked: 1 } });
    await clock.advance(50);
    expect(redis).toMatchObject({ settled: true, error: undefined });
    // Revoked once: a second call would have answered notHeld.
    expect(store.calls.revoke).toBe(1);
    expect(manager.reader(NS, MODEL).leases()).toMatchObject({ mysql: { holder: 'mysql/0' }, redis: { holder: 'redis/0' } });
  });

  it('times a request out with LeaseTimeoutError after 10 transient failures, and keeps running', async () => {
    const { clock, store, claimer, manager, logs } = managerWorld();
    store.failNext(10, { kind: 'Unavailable' });
    const claim = track(claimer.claim('mysql', 'mysql/0', 10_000));
    await clock.advance(60_000);
    expect(claim.error).toBeInstanceOf(LeaseTimeoutError);
    expect(claim.error).toMatchObject({ lease: `${NS}/${MODEL}/mysql`, identity: 'mysql/0' });
    expect((claim.error as Error).message).toBe(`the lease store (memory) stayed unavailable through 10 tries (lease ${NS}/${MODEL}/mysql, identity mysql/0)`);
    expect(store.calls.claim).toBe(10);
    expect(logs.join('\n')).toMatch(/WARN the lease store \(memory\) stayed unavailable through 10 tries .*lease=/);
    await claimer.claim('mysql', 'mysql/0', 10_000);
    expect(manager.report().counters).toMatchObject({ claimed: 1, timeouts: 1 });
  });

  it('stops on a store error that is not transient, with that error as the cause for every waiter', async () => {
    const { clock, store, claimer, manager, logs } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    const waiting = track(claimer.waitUntilExpired('mysql'));
    store.failNext(1, { kind: 'Forbidden' });
    const claim = track(claimer.claim('redis', 'redis/0', 10_000));
    await clock.advance(0);
    for (const outcome of [waiting, claim]) {
      expect(outcome.error).toBeInstanceOf(LeaseManagerStoppedError);
      expect(((outcome.error as Error).cause as Error).name).toBe('LeaseForbiddenError');
    }
    expect(manager.report().state).toBe('stopped');
    expect(logs.join('\n')).toMatch(/ERROR lease manager stopped on a store error .*error="Forbidden: /);
  });

  it('keeps one wake-up timer for a thousand leases', async () => {
    const { clock, claimer, manager } = managerWorld();
    for (let unit = 0; unit < 1000; unit++) await claimer.claim(`app${unit}`, `app${unit}/0`, 10_000 + unit * 7);
    expect(clock.pendingTimers).toBe(1);
    expect(manager.report()).toMatchObject({ leases: 1000, nextWakeAt: clock.now() + 10_000 + 1_000 });
    await clock.advance(10_000 + 1_000 + 999 * 7);
    expect(manager.report().leases).toBe(0);
    expect(clock.pendingTimers).toBe(1);
  });

  it('moves a planned wake-up earlier for a shorter lease, never later for a longer one', async () => {
    const { clock, claimer, manager } = managerWorld();
    await clock.advance(0);
    const t0 = clock.now();
    expect(manager.report().nextWakeAt).toBe(t0 + 60_000); // maxSleep with nothing to expire
    await claimer.claim('mysql', 'mysql/0', 30_000);
    expect(manager.report().nextWakeAt).toBe(t0 + 31_000);
    expect(clock.nextTimerAt).toBe(t0 + 31_000);
    await claimer.claim('mysql', 'mysql/0', 5 * 60_000); // extended far ahead
    expect(manager.report().nextWakeAt).toBe(t0 + 31_000);
    await claimer.claim('redis', 'redis/0', 2_000);
    expect(clock.nextTimerAt).toBe(t0 + 3_000);
    expect(clock.pendingTimers).toBe(1);
  });

  it('reports leases, pins, queued requests and waiters', async () => {
    const { claimer, pinner, manager } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 10_000);
    await pinner.pin('mysql', 'machine-0');
    void claimer.waitUntilExpired('mysql');
    const queued = [claimer.claim('redis', 'redis/0', 10_000), claimer.claim('kafka', 'kafka/0', 10_000)];
    // The first queued claim is in flight (the memory store has already applied it); both count until settled.
    expect(manager.report()).toMatchObject({ pinned: 1, waiters: 1, queued: { claims: 2, revokes: 0, pins: 0 } });
    await Promise.all(queued);
    expect(manager.report()).toMatchObject({ leases: 3, queued: { claims: 0 } });
  });

  it('shares one store between managers: one holder per lease, and either sees the other’s leases end', async () => {
    const world = managerWorld();
    const other = world.start();
    await world.claimer.claim('mysql', 'mysql/0', 10_000);
    await expect(other.claimer(NS, MODEL).claim('mysql', 'mysql/1', 10_000)).rejects.toBeInstanceOf(ClaimDeniedError);
    expect(other.reader(NS, MODEL).leases().mysql!.holder).toBe('mysql/0');
    const waiting = track(other.claimer(NS, MODEL).waitUntilExpired('mysql'));
    await world.revoker.revoke('mysql', 'mysql/0');
    await Promise.resolve();
    expect(waiting).toMatchObject({ settled: true, error: undefined });
    await other.claimer(NS, MODEL).claim('mysql', 'mysql/1', 10_000);
    expect(world.reader.leases().mysql!.holder).toBe('mysql/1');
  });

  it('takes its own writes echoed by the feed as known: no event for a batch of them, one expiry entry per extend', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryManagedLeaseStore(clock);
    // The feed one tick late, as over HTTP, where the watch event of a write may come after its answer.
    const store = Object.assign(Object.create(memory) as MemoryManagedLeaseStore, { changes: () => memory.changes().pipe(delay(1, clock.scheduler)) });
    const feedEvents: string[] = [];
    const manager = new LeaseManager({
      store,
      clock,
      inspect: (event) => {
        if (event.type === '@xstate.event' && event.event.type === 'STORE_CHANGED') feedEvents.push(event.event.type);
      },
    });
    const claimer = manager.claimer(NS, MODEL);
    await clock.advance(1); // the first list
    expect(feedEvents).toHaveLength(1);
    await claimer.claim('mysql', 'mysql/0', 60_000);
    for (let i = 0; i < 4; i++) {
      await clock.advance(1_000);
      await claimer.claim('mysql', 'mysql/0', 60_000);
    }
    await clock.advance(1);
    expect(feedEvents).toHaveLength(1); // five echoes, all dropped
    expect(manager.actor.getSnapshot().context.expiries.size).toBe(5);

    // Another manager's write is news: it arrives.
    const other = new LeaseManager({ store, clock });
    await clock.advance(1); // its first list
    await other.revoker(NS, MODEL).revoke('mysql', 'mysql/0');
    await clock.advance(1);
    expect(feedEvents).toHaveLength(2);
    expect(manager.reader(NS, MODEL).leases()).toEqual({});
    await other.claimer(NS, MODEL).claim('postgres', 'postgres/0', 60_000);
    await clock.advance(1);
    expect(feedEvents).toHaveLength(3);
    expect(manager.reader(NS, MODEL).leases()).toEqual({ postgres: { holder: 'postgres/0', expiry: clock.now() - 1 + 60_000 } });
    other.stop();
    manager.stop();
  });

  it('applies a change it already holds once: the feed first, then the write’s outcome, leave one expiry entry', async () => {
    const { clock, claimer, manager } = managerWorld();
    await claimer.claim('mysql', 'mysql/0', 60_000);
    await clock.advance(1_000);
    await claimer.claim('mysql', 'mysql/0', 60_000);
    // The memory store's feed reports each write before the write's answer; the answer then changes nothing.
    expect(manager.actor.getSnapshot().context.expiries.size).toBe(2);
  });

  it('keeps leases apart whose parts join to the same string', async () => {
    const { manager, store } = managerWorld();
    await manager.claimer('team', 'a/b').claim('db', 'holder-1', 10_000);
    await manager.claimer('team/a', 'b').claim('db', 'holder-2', 10_000);
    expect(manager.reader('team', 'a/b').leases().db!.holder).toBe('holder-1');
    expect(manager.reader('team/a', 'b').leases().db!.holder).toBe('holder-2');
    expect(store.snapshot()).toHaveLength(2);
  });

  it('publishes leases, waiters, queued requests, outcomes and retries to a prom-client registry', async () => {
    const registry = new Registry();
    const { clock, store, claimer, pinner } = managerWorld({ registry });
    await claimer.claim('mysql', 'mysql/0', 10_000);
    await claimer.claim('redis', 'redis/0', 10_000);
    await pinner.pin('redis', 'machine-0');
    await claimer.claim('mysql', 'mysql/1', 10_000).catch(() => undefined);
    void claimer.waitUntilExpired('mysql');
    store.failNext(1, { kind: 'Unavailable' });
    const retried = track(claimer.claim('mysql', 'mysql/0', 10_000));
    await clock.advance(100); // one backoff
    expect(retried).toMatchObject({ settled: true, error: undefined });
    const text = await registry.metrics();
    expect(text).toContain('leasehold_managed_leases{state="held"} 1');
    expect(text).toContain('leasehold_managed_leases{state="pinned"} 1');
    expect(text).toContain('leasehold_lease_manager_waiters 1');
    expect(text).toContain('leasehold_lease_manager_outcomes_total{outcome="claimed"} 2');
    expect(text).toContain('leasehold_lease_manager_outcomes_total{outcome="denied"} 1');
    expect(text).toContain('leasehold_lease_manager_retries_total 1');
    await clock.advance(20_000);
    // Totals keep counting across scrapes (only what is new is added).
    expect(await registry.metrics()).toContain('leasehold_lease_manager_outcomes_total{outcome="expired"} 1');
    expect(await registry.metrics()).toContain('leasehold_lease_manager_outcomes_total{outcome="claimed"} 2');
  });

  it('rejects bad options with ConfigError naming the option', () => {
    const clock = new VirtualClock();
    const store = new MemoryManagedLeaseStore(clock);
    expect(() => new LeaseManager({ store, clock, maxSleep: 0 })).toThrow(/maxSleep must be a positive number, got 0/);
    expect(() => new LeaseManager({ store, clock, expirySlack: -1 })).toThrow(/expirySlack must be zero or more/);
  });
});
