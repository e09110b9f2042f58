/**
 * A PrimaryLease whose lease does not exist yet (the operator creates it, PrimaryLease never does):
 * it says so once, at info, and an acquire whose signal gives up rejects with the typed
 * LeaseNotFoundError (the signal's reason as cause), not the signal's bare TimeoutError.
 */
import { describe, expect, it } from 'vitest';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { LeaseNotFoundError } from '../../src/lease/errors.js';
import type { LogFields, Logger, LogLevel } from '../../src/log/logger.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

function recordingLogger() {
  const entries: { level: LogLevel; message: string; fields: LogFields }[] = [];
  const entry = (level: LogLevel) => (message: string, fields: LogFields = {}) => entries.push({ level, message, fields });
  const logger: Logger = { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
  return { logger, entries };
}

describe('PrimaryLease, lease not created yet', () => {
  it('logs once that it waits for the lease to be created, and acquires once it is', async () => {
    const world = leaseWorld();
    const { logger, entries } = recordingLogger();
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock, logger });
    const acquired = track(primary.acquire());
    await world.clock.advance(10_000); // five retry periods without a lease
    expect(acquired.settled).toBe(false);
    expect(world.current()).toBeNull();
    const waiting = entries.filter((e) => e.message.startsWith('the lease does not exist yet'));
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ level: 'info', fields: { identity: 'pod-1' } });
    world.put({ holderIdentity: '' });
    await world.clock.advance(2_000);
    expect(acquired.settled && !acquired.error).toBe(true);
    expect(world.current()!.record.holderIdentity).toBe('pod-1');
    await primary.stop();
  });

  it('an acquire whose signal gives up rejects with LeaseNotFoundError naming lease and identity, the reason as cause', async () => {
    const world = leaseWorld();
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const giveUp = new AbortController();
    const acquired = track(primary.acquire({}, { signal: giveUp.signal }));
    await world.clock.advance(4_000);
    const reason = new DOMException('The operation timed out.', 'TimeoutError');
    giveUp.abort(reason);
    await world.clock.advance(0);
    expect(acquired.error).toBeInstanceOf(LeaseNotFoundError);
    const error = acquired.error as LeaseNotFoundError;
    expect(error.message).toMatch(/the lease does not exist.*lease default\/cluster-example, identity pod-1/);
    expect(error.cause).toBe(reason);
    await primary.stop();
  });

  it("a lease that exists but is held by another: the signal's own reason, not LeaseNotFoundError", async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: 'pod-2' });
    const primary = new PrimaryLease({ lock: world.lock('pod-1'), clock: world.clock });
    const giveUp = new AbortController();
    const acquired = track(primary.acquire({}, { signal: giveUp.signal }));
    await world.clock.advance(2_000);
    const reason = new Error('gave up');
    giveUp.abort(reason);
    await world.clock.advance(0);
    expect(acquired.error).toBe(reason);
    await primary.stop();
  });
});
