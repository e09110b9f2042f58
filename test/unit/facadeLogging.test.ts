/** Every facade reports through the logger it is given: nothing swallowed, nothing printed unasked. */
import { describe, expect, it, vi } from 'vitest';
import { type LeaderCallbacks, LeaderElector } from '../../src/api/leaderElector.js';
import { LeaseLocker } from '../../src/api/leaseLocker.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { RolloutManager } from '../../src/api/rolloutManager.js';
import { LeaseUnavailableError, RolloutManagerError } from '../../src/lease/errors.js';
import type { LogFields, Logger, LogLevel } from '../../src/log/logger.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

function recordingLogger() {
  const entries: { level: LogLevel; message: string; fields: LogFields }[] = [];
  const entry = (level: LogLevel) => (message: string, fields: LogFields = {}) => entries.push({ level, message, fields });
  const logger: Logger = { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
  return { logger, entries, at: (level: LogLevel) => entries.filter((e) => e.level === level) };
}

const timing = { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 };

/** Elector `a` in a fresh world, logging to a recording logger. */
function loggedElector(callbacks: Partial<LeaderCallbacks> = {}) {
  const world = leaseWorld();
  const recorded = recordingLogger();
  const elector = new LeaderElector({
    lock: world.lock('a'),
    ...timing,
    clock: world.clock,
    logger: recorded.logger,
    callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {}, ...callbacks },
  });
  return { world, elector, ...recorded };
}

describe('logging through the facades', () => {
  it('reports leadership starting (with the term) and ending, with the lease and identity on every entry', async () => {
    const { world, elector, at } = loggedElector();
    const controller = new AbortController();
    const running = track(elector.run({ signal: controller.signal }));
    await world.clock.advance(0);
    expect(at('info')).toEqual([{ level: 'info', message: 'started leading', fields: { lease: 'default/cluster-example', identity: 'a', term: 0 } }]);
    controller.abort();
    await world.clock.advance(0);
    expect(running.settled).toBe(true);
    expect(at('info').map((e) => e.message)).toEqual(['started leading', 'stopped leading']);
  });

  it('logs a throwing callback as an error, and the elector keeps leading', async () => {
    const { world, elector, at } = loggedElector({
      onStartedLeading: () => {
        throw new Error('reconcile exploded');
      },
      onStoppedLeading: () => {
        throw new Error('cleanup exploded');
      },
    });
    const controller = new AbortController();
    track(elector.run({ signal: controller.signal }));
    await world.clock.advance(5_000);
    expect(elector.isLeader()).toBe(true);
    expect(world.record().holderIdentity).toBe('a');
    controller.abort();
    await world.clock.advance(0);
    const errors = at('error');
    expect(errors.map((e) => [e.message, (e.fields.error as Error).message])).toEqual([
      ['onStartedLeading callback failed', 'reconcile exploded'],
      ['onStoppedLeading callback failed', 'cleanup exploded'],
    ]);
    expect(errors[0]!.fields).toMatchObject({ lease: 'default/cluster-example', identity: 'a' });
  });

  it('logs an async callback that rejects', async () => {
    const { world, elector, at } = loggedElector({ onStartedLeading: async () => Promise.reject(new Error('async failure')) });
    track(elector.run());
    await world.clock.advance(0);
    expect(at('error').map((e) => (e.fields.error as Error).message)).toEqual(['async failure']);
    elector.stop();
  });

  it('logs a failed release as a warning and rejects with LeaseUnavailableError', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    const { logger, at } = recordingLogger();
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock, logger });
    const acquired = track(primary.acquire());
    await world.clock.advance(0);
    expect(acquired.settled).toBe(true);
    world.store.setFaultPolicy((call) => (call.verb === 'update' ? { kind: 'Unavailable' } : undefined));
    const released = track(primary.release());
    await world.clock.advance(11_000);
    expect(released.error).toBeInstanceOf(LeaseUnavailableError);
    expect(at('warn').map((e) => e.message)).toContain('release failed');
    expect(at('warn').map((e) => e.message)).toContain('lease store calls failing; retrying');
  });

  it('reports failing store calls once when they start, at growing intervals while they last, and once when they are answered again', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'someone-else' });
    const { logger, entries } = recordingLogger();
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock, logger });
    // A candidate reads every retry period (2 s): 30 failed reads over a minute.
    world.store.setFaultPolicy((call) => (call.verb === 'get' ? { kind: 'Unavailable' } : undefined));
    track(primary.acquire());
    await world.clock.advance(60_000);
    world.store.setFaultPolicy(() => undefined);
    await world.clock.advance(2_000);
    const outage = entries.filter((e) => /lease store calls/.test(e.message));
    expect(outage.map((e) => `${e.level} ${e.message}`)).toEqual([
      'warn lease store calls failing; retrying',
      'warn lease store calls still failing after 10s',
      'warn lease store calls still failing after 30s',
      'info lease store calls answered again after 1m2s',
    ]);
    expect(outage[2]!.fields).toMatchObject({ kind: 'Unavailable', failed: 16 });
    primary.stop();
  });

  it('logs a lock that could not be unlocked', async () => {
    const world = leaseWorld();
    const { logger, at } = recordingLogger();
    const locker = new LeaseLocker({ locks: world.store, lease: world.ref, owner: 'w', clock: world.clock, logger });
    track(locker.lock());
    await world.clock.advance(0);
    expect(locker.isLeader()).toBe(true);
    world.store.setFaultPolicy((call) => (call.verb === 'update' ? { kind: 'Unavailable' } : undefined));
    const unlocked = track(locker.unlock());
    await world.clock.advance(11_000);
    expect(unlocked.value).toBe(false);
    expect(at('warn').map((e) => e.message)).toContain('unlock failed');
  });

  it('is silent by default: a facade without a logger writes nothing, by console or to stdout/stderr', async () => {
    const world = leaseWorld();
    // vitest routes console.* past process.stderr.write, so both are watched.
    const outputs = [
      ...(['error', 'warn', 'info', 'log', 'debug', 'trace'] as const).map((method) => vi.spyOn(console, method).mockImplementation(() => {})),
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
    ];
    try {
      const elector = new LeaderElector({
        lock: world.lock('a'),
        ...timing,
        clock: world.clock,
        callbacks: { onStartedLeading: () => { throw new Error('unheard'); }, onStoppedLeading: () => {} },
      });
      track(elector.run());
      await world.clock.advance(0);
      expect(elector.isLeader()).toBe(true); // the callback that threw ran
      elector.stop();
      await world.clock.advance(0);
      expect(outputs.flatMap((spy) => spy.mock.calls)).toEqual([]);
    } finally {
      for (const spy of outputs) spy.mockRestore();
    }
  });

  it('RolloutManager logs its decisions at debug and throws RolloutManagerError when stopped', () => {
    const world = leaseWorld();
    const { logger, at } = recordingLogger();
    const rollouts = new RolloutManager({ clusterRolloutDelay: 60_000, instanceRolloutDelay: 0, clock: world.clock, logger });
    rollouts.coordinateRollout({ namespace: 'default', name: 'a' }, 'a-1');
    rollouts.coordinateRollout({ namespace: 'default', name: 'b' }, 'b-1');
    expect(at('debug').map((e) => [e.message, e.fields.lease, e.fields.timeToWait])).toEqual([
      ['rollout allowed', 'default/a', 0],
      ['rollout must wait', 'default/b', 60_000],
    ]);
    rollouts.stop();
    expect(() => rollouts.coordinateRollout({ namespace: 'default', name: 'a' }, 'a-2')).toThrow(RolloutManagerError);
  });
});
