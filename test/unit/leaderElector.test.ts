/** client-go's leader election cases, through LeaderElector on the virtual clock (ANCHORS §4). */
import { describe, expect, it } from 'vitest';
import { HealthzAdaptor } from '../../src/api/healthzAdaptor.js';
import { LeaderElector, runOrThrow, type LeaderElectionConfig } from '../../src/api/leaderElector.js';
import { ConfigError } from '../../src/lease/errors.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

type World = ReturnType<typeof leaseWorld>;

function elector(world: World, identity: string, overrides: Partial<LeaderElectionConfig> = {}) {
  const log: string[] = [];
  const signals: AbortSignal[] = [];
  const le = new LeaderElector({
    lock: world.lock(identity),
    leaseDuration: 15_000,
    renewDeadline: 10_000,
    retryPeriod: 2_000,
    clock: world.clock,
    callbacks: {
      onStartedLeading: (signal) => {
        signals.push(signal);
        log.push('started');
      },
      onStoppedLeading: () => log.push('stopped'),
      onNewLeader: (id) => log.push(`leader ${id}`),
    },
    ...overrides,
  });
  return { le, log, signals };
}

describe('LeaderElector', () => {
  it('acquire from no object: creates the lease with transitions 0', async () => {
    const world = leaseWorld();
    const { le, log } = elector(world, 'a');
    const controller = new AbortController();
    track(le.run({ signal: controller.signal }));
    await world.clock.advance(0);
    expect(le.isLeader()).toBe(true);
    expect(world.record()).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: world.clock.now(),
      renewTime: world.clock.now(),
      leaseTransitions: 0,
    });
    expect(log).toEqual(['leader a', 'started']);
    controller.abort();
  });

  it('acquire from led, unacked object: takes over once unchanged for leaseDuration', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'b', leaseTransitions: 1 });
    const { le, log } = elector(world, 'a');
    track(le.run());
    await world.clock.advance(14_999);
    expect(le.isLeader()).toBe(false);
    expect(le.getLeader()).toBe('b');
    await world.clock.advance(1);
    expect(le.isLeader()).toBe(true);
    expect(world.record()).toMatchObject({ holderIdentity: 'a', leaseTransitions: 2, acquireTime: world.clock.now() });
    expect(log).toEqual(['leader b', 'leader a', 'started']);
  });

  it('acquire from empty led, acked object: takes it at once', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '', leaseTransitions: 5 });
    const { le } = elector(world, 'a');
    track(le.run());
    await world.clock.advance(0);
    expect(le.isLeader()).toBe(true);
    expect(world.record().leaseTransitions).toBe(6);
  });

  it("don't acquire from led, acked object: a change restarts the wait", async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'b' });
    const { le } = elector(world, 'a');
    track(le.run());
    await world.clock.advance(10_000);
    world.put({ holderIdentity: 'b' }); // b renews: renewTime moves
    await world.clock.advance(14_999);
    expect(le.isLeader()).toBe(false);
    expect(world.record().holderIdentity).toBe('b');
    expect(world.store.requestCount('a', 'update')).toBe(0);
  });

  it('renew already acquired object: keeps acquireTime and transitions, no GET on the fast path', async () => {
    const world = leaseWorld();
    const { le } = elector(world, 'a');
    track(le.run());
    await world.clock.advance(0);
    const acquired = world.record();
    const reads = world.store.requestCount('a', 'get');
    await world.clock.advance(60_000);
    expect(world.record()).toEqual({ ...acquired, renewTime: world.clock.now() });
    expect(world.store.requestCount('a', 'get')).toBe(reads);
    expect(world.store.requestCount('a', 'update')).toBe(30);
  });

  it('releaseOnCancel: release keeps transitions and writes duration 1', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '', leaseTransitions: 2 });
    const { le, log, signals } = elector(world, 'a', { releaseOnCancel: true });
    const controller = new AbortController();
    const run = track(le.run({ signal: controller.signal }));
    await world.clock.advance(0);
    controller.abort();
    await world.clock.advance(0);
    expect(run.settled).toBe(true);
    expect(signals[0]!.aborted).toBe(true);
    expect(world.record()).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: world.clock.now(),
      renewTime: world.clock.now(),
      leaseTransitions: 3,
    });
    expect(log.at(-1)).toBe('stopped');
  });

  it('release retries on conflict (a renew raced it)', async () => {
    const world = leaseWorld();
    const { le } = elector(world, 'a', { releaseOnCancel: true });
    const controller = new AbortController();
    const run = track(le.run({ signal: controller.signal }));
    await world.clock.advance(0);
    world.store.failNext(1, { kind: 'Conflict', match: (call) => call.verb === 'update' });
    controller.abort();
    await world.clock.advance(0);
    expect(run.settled).toBe(true);
    expect(world.record().holderIdentity).toBe('');
    expect(le.actor.getSnapshot().context.counters.conflicts).toBe(1);
  });

  it('loses leadership when renewDeadline passes, aborting the work at that instant, and does not re-contend', async () => {
    const world = leaseWorld();
    const { le, log, signals } = elector(world, 'a');
    const run = track(le.run());
    await world.clock.advance(0);
    const lastRenew = world.clock.now();
    world.store.failNext(1000, { kind: 'Unavailable' });
    let abortedAt = 0;
    signals[0]!.addEventListener('abort', () => (abortedAt = world.clock.now()));
    await world.clock.advance(30_000);
    expect(abortedAt - lastRenew).toBe(10_000);
    expect(run.settled).toBe(true);
    expect(le.actor.getSnapshot().value).toBe('stopped');
    expect(log).toEqual(['leader a', 'started', 'stopped']);
  });

  it('a leader paused past its deadline stops leading on wake-up, before sending any renew', async () => {
    const world = leaseWorld();
    const { le, signals } = elector(world, 'a');
    track(le.run());
    await world.clock.advance(0);
    const updates = world.store.requestCount('a', 'update');
    world.clock.stall(12_000); // a 12 s GC pause: the window (10 s) closed while we were frozen
    expect(le.isLeader()).toBe(false);
    await world.clock.advance(0);
    expect(signals[0]!.aborted).toBe(true);
    expect(world.store.requestCount('a', 'update')).toBe(updates);
    expect(le.actor.getSnapshot().context.lastLoss).toBe('deadline');
  });

  it('abandons a hung store call after max(1 s, renewDeadline / 2)', async () => {
    const world = leaseWorld();
    const { le } = elector(world, 'a');
    track(le.run());
    await world.clock.advance(0);
    world.store.setLatency(60_000); // the API hangs
    await world.clock.advance(2_000 + 5_000); // the renew starts at 2 s and is cut off 5 s later
    const { lastError, counters } = le.actor.getSnapshot().context;
    expect(lastError?.message).toMatch(/did not answer within 5000 ms/);
    expect(counters.failedRenewals).toBe(1);
  });

  it('calls onStoppedLeading on exit even if it never led', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'b' });
    const { le, log } = elector(world, 'a');
    const controller = new AbortController();
    const run = track(le.run({ signal: controller.signal }));
    await world.clock.advance(1000);
    controller.abort();
    await world.clock.advance(0);
    expect(run.settled).toBe(true);
    expect(log).toEqual(['leader b', 'stopped']);
  });

  it('validates like client-go, in its order, with its messages', () => {
    const world = leaseWorld();
    const base = {
      lock: world.lock('a'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
    };
    const cases: [Partial<LeaderElectionConfig>, string][] = [
      [{ leaseDuration: 10_000 }, 'leaseDuration must be greater than renewDeadline'],
      [{ retryPeriod: 9_000 }, 'renewDeadline must be greater than retryPeriod*JitterFactor'],
      [{ leaseDuration: 0, renewDeadline: -10, retryPeriod: -20 }, 'leaseDuration must be greater than zero'],
      [{ renewDeadline: -1, retryPeriod: -2 }, 'renewDeadline must be greater than zero'],
      [{ retryPeriod: -1 }, 'retryPeriod must be greater than zero'],
      [{ callbacks: { onStoppedLeading: () => {} } as never }, 'OnStartedLeading callback must not be nil'],
      [{ callbacks: { onStartedLeading: () => {} } as never }, 'OnStoppedLeading callback must not be nil'],
      [{ lock: undefined as never }, 'Lock must not be nil.'],
      [{ lock: world.lock('') }, 'Lock identity is empty'],
    ];
    for (const [override, message] of cases) {
      const attempt = () => new LeaderElector({ ...base, ...override });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(message);
    }
  });

  it('runOrThrow rejects an invalid config with ConfigError', async () => {
    const world = leaseWorld();
    const callbacks = { onStartedLeading: () => {}, onStoppedLeading: () => {} };
    await expect(
      runOrThrow({ lock: world.lock('a'), leaseDuration: 1, renewDeadline: 10_000, retryPeriod: 2_000, callbacks }),
    ).rejects.toThrow(ConfigError);
  });

  it('health: fails once the last renew is leaseDuration + timeout old, and keeps failing after the renew loop gave up (client-go)', async () => {
    const world = leaseWorld();
    const healthz = new HealthzAdaptor({ timeout: 20_000 });
    const { le } = elector(world, 'a', { watchdog: healthz });
    const ran = track(le.run());
    await world.clock.advance(0);
    expect(healthz.check()).toBeNull();
    world.clock.stall(35_000); // exactly leaseDuration + timeout: still tolerated
    expect(le.check(20_000)).toBeNull();
    world.clock.stall(1);
    expect(healthz.check()?.message).toBe('failed election to renew leadership on lease default/cluster-example (identity a)');
    const response = { status: 0, body: '', writeHead(s: number) { this.status = s; }, end(b: string) { this.body = b; } };
    healthz.handler({} as never, response as never);
    expect(response.status).toBe(500);
    expect(response.body).toContain('failed election to renew leadership');
    await world.clock.advance(0); // the overdue deadline fires: leadership is lost, run() returns
    expect(le.isLeader()).toBe(false);
    expect(ran.settled).toBe(true);
    // The last record it saw still names it, as client-go's IsLeader: a liveness probe restarts it.
    await world.clock.advance(10 * 60_000);
    expect(healthz.check()?.message).toContain('failed election to renew leadership');
  });

  it('health: a candidate that never led, and a leader that saw another holder take over, are healthy', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'b' });
    const healthz = new HealthzAdaptor({ timeout: 20_000 });
    const { le } = elector(world, 'a', { watchdog: healthz });
    track(le.run());
    await world.clock.advance(10_000);
    expect(healthz.check()).toBeNull();
    await world.clock.advanceUntil(() => le.isLeader(), 60_000);
    world.put({ holderIdentity: 'b', leaseTransitions: 9 }); // a forced takeover: seen, so not stuck
    await world.clock.advance(10 * 60_000);
    expect(le.isLeader()).toBe(false);
    expect(healthz.check()).toBeNull();
  });
});
