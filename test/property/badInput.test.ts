/**
 * Bad input never crashes anything: arbitrary JSON as a Lease from the store, arbitrary request
 * bodies to the embedded server, arbitrary configuration values and environment strings. Each yields
 * a typed error, a 4xx, or a counted read — and the process-level hook (test/setup/noUnhandled.ts)
 * fails the run on any unhandled rejection or uncaught exception.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { resolveConfig } from '../../src/lease/config.js';
import { parseDuration } from '../../src/lease/duration.js';
import { ConfigError } from '../../src/lease/errors.js';
import { leaseSpecToLockRecord } from '../../src/lease/spec.js';
import { startLeaseApiServer } from '../../src/server/index.js';
import { leaseWorld } from '../support/leaseWorld.js';

const tried: Record<string, number> = {};
const count = (what: string) => (tried[what] = (tried[what] ?? 0) + 1);
afterAll(() => console.log(`bad inputs tried: ${JSON.stringify(tried)}`));

/** JSON that looks like a Lease spec often enough to reach every reader branch. */
const specLike = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      holderIdentity: fc.oneof(fc.string(), fc.constant(null), fc.integer(), fc.constant('other')),
      leaseDurationSeconds: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant(1e300)),
      acquireTime: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer()),
      renewTime: fc.oneof(fc.string(), fc.constant('2026-01-01T00:00:00.000000Z'), fc.constant(null)),
      leaseTransitions: fc.oneof(fc.integer(), fc.constant(-1), fc.string()),
    },
    { requiredKeys: [] },
  ),
);

describe('bad input', () => {
  it('arbitrary JSON as a stored Lease: participants keep running, take it or wait, never throw', async () => {
    await fc.assert(
      fc.asyncProperty(specLike, async (spec) => {
        count('store lease specs');
        const world = leaseWorld();
        world.store.putRaw(world.ref, spec);
        const le = new LeaderElector({
          lock: world.lock('me'),
          leaseDuration: 15_000,
          renewDeadline: 10_000,
          retryPeriod: 2_000,
          clock: world.clock,
          callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
        });
        void le.run();
        await world.clock.advance(20_000);
        expect(le.actor.getSnapshot().status).toBe('active');
        // Read as client-go reads it: free, or held for leaseDurationSeconds from when we saw it.
        const record = leaseSpecToLockRecord(spec);
        const takeable = record.holderIdentity === '' || record.holderIdentity === 'me' || record.leaseDurationSeconds <= 20;
        expect(le.isLeader()).toBe(takeable);
        le.actor.send({ type: 'STOP' });
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('arbitrary request bodies to the embedded server: 2xx or 4xx, never 500, and it keeps serving', async () => {
    const server = await startLeaseApiServer();
    const base = `${server.url}/apis/coordination.k8s.io/v1/namespaces/default/leases`;
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ metadata: fc.oneof(fc.jsonValue(), fc.record({ name: fc.oneof(fc.constant('x'), fc.string()), resourceVersion: fc.string() })), spec: specLike }),
    );
    const types = ['application/json', 'application/merge-patch+json', 'application/json-patch+json', 'text/plain'];
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('POST', 'PUT', 'PATCH'), fc.constantFrom(...types), body, fc.boolean(), async (method, type, value, raw) => {
          count('server request bodies');
          const url = method === 'POST' ? base : `${base}/x`;
          const text = raw ? JSON.stringify(value).slice(0, -1) : JSON.stringify(value); // sometimes not even JSON
          const response = await fetch(url, { method, headers: { 'content-type': type }, body: text });
          const answer = await response.json();
          expect(response.status, JSON.stringify(answer)).toBeLessThan(500);
          if (response.status >= 400) expect(answer).toMatchObject({ kind: 'Status', status: 'Failure', code: response.status });
        }),
        { numRuns: 400, seed: 7 },
      );
      expect((await fetch(`${server.url}/version`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('arbitrary configuration values: a valid config or a ConfigError naming the field', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            leaseDuration: fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double(), fc.anything()),
            renewDeadline: fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double(), fc.anything()),
            retryPeriod: fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double(), fc.anything()),
            releasedLeaseDuration: fc.oneof(fc.integer(), fc.anything()),
            afterLoss: fc.oneof(fc.constantFrom('stop', 'reacquire'), fc.anything()),
          },
          { requiredKeys: [] },
        ),
        (options) => {
          count('configurations');
          try {
            const config = resolveConfig(options as never);
            expect(config.leaseDuration).toBeGreaterThan(config.renewDeadline);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as ConfigError).field).toBeTruthy();
          }
        },
      ),
      { numRuns: 2_000, seed: 3 },
    );
  });

  it('arbitrary environment strings as durations: milliseconds or a ConfigError naming the variable', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9.]{0,4}(ns|us|ms|s|m|h|x)?$/)), (text) => {
        count('duration strings');
        try {
          expect(parseDuration(text, 'CLUSTERS_ROLLOUT_DELAY')).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toContain('CLUSTERS_ROLLOUT_DELAY');
        }
      }),
      { numRuns: 2_000, seed: 5 },
    );
  });
});
