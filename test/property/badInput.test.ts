/**
 * Bad input never crashes anything: arbitrary JSON as a Lease from the store, arbitrary request
 * bodies to the embedded server, arbitrary configuration values and environment strings. Each yields
 * a typed error, a 4xx, or a counted read — and the process-level hook (test/setup/noUnhandled.ts)
 * fails the run on any unhandled rejection or uncaught exception.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { BASE_DEFAULTS, resolveConfig } from '../../src/lease/config.js';
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

  // Valid timings by the rules of ANCHORS §1/§4, built rather than filtered: whole-second leaseDuration,
  // leaseDuration > renewDeadline, 5 * renewDeadline > 6 * retryPeriod, everything at least 1 ms.
  const validTiming = fc
    .record({ retryPeriod: fc.integer({ min: 1, max: 5_000 }), extraDeadline: fc.integer({ min: 1, max: 5_000 }), extraLease: fc.integer({ min: 1, max: 30 }) })
    .map(({ retryPeriod, extraDeadline, extraLease }) => {
      const renewDeadline = Math.floor((6 * retryPeriod) / 5) + extraDeadline;
      return { retryPeriod, renewDeadline, leaseDuration: (Math.floor(renewDeadline / 1000) + extraLease) * 1000 };
    });

  it('a valid configuration is taken as given, defaults filling the rest', () => {
    fc.assert(
      fc.property(validTiming, fc.constantFrom('stop' as const, 'reacquire' as const), fc.integer({ min: 1, max: 10 }), (timing, afterLoss, released) => {
        count('valid configurations');
        const options = { ...timing, afterLoss, releasedLeaseDuration: released * 1000 };
        expect(resolveConfig(options)).toEqual({ ...BASE_DEFAULTS, ...options });
      }),
      { numRuns: 500, seed: 4 },
    );
  });

  it('a valid configuration with one rule broken is refused, naming that field', () => {
    const breaks = [
      { field: 'leaseDuration', broken: (t: Timing) => ({ ...t, leaseDuration: t.renewDeadline }) },
      { field: 'renewDeadline', broken: (t: Timing) => ({ ...t, renewDeadline: Math.floor((6 * t.retryPeriod) / 5) }) },
      { field: 'leaseDuration', broken: (t: Timing) => ({ ...t, leaseDuration: t.leaseDuration + 500 }) },
      { field: 'retryPeriod', broken: (t: Timing) => ({ ...t, retryPeriod: Number.NaN }) },
      { field: 'releasedLeaseDuration', broken: (t: Timing) => ({ ...t, releasedLeaseDuration: 1_500 }) },
      { field: 'afterLoss', broken: (t: Timing) => ({ ...t, afterLoss: 'sometimes' }) },
    ];
    fc.assert(
      fc.property(validTiming, fc.constantFrom(...breaks), (timing, { field, broken }) => {
        count('configurations with one rule broken');
        const refusal = (() => {
          try {
            resolveConfig(broken(timing) as never);
          } catch (error) {
            return error;
          }
          return undefined;
        })();
        expect(refusal, field).toBeInstanceOf(ConfigError);
        expect((refusal as ConfigError).field).toBe(field);
      }),
      { numRuns: 500, seed: 6 },
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

  const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, ns: 0.000_001 } as const;
  const term = fc.record({ whole: fc.integer({ min: 0, max: 999 }), tenths: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }), unit: fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[])) });

  it('a Go duration built from its terms parses to their sum; a sign, a bare number or an unknown unit is refused', () => {
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), fc.constantFrom('-', '+', '', 'x'), (terms, damage) => {
        count('built durations');
        const text = terms.map(({ whole, tenths, unit }) => `${whole}${tenths === undefined ? '' : `.${tenths}`}${unit}`).join('');
        const value = terms.reduce((sum, { whole, tenths, unit }) => sum + (whole + (tenths ?? 0) / 10) * UNIT_MS[unit], 0);
        expect(Math.abs(parseDuration(text, 'D') - value)).toBeLessThanOrEqual(1e-9 * Math.max(1, value));
        const damaged = damage === '' ? text.replace(/[a-z]+$/, '') : damage === 'x' ? `${text}1x` : `${damage}${text}`;
        // "0" alone is Go's one unitless duration.
        if (damaged !== '0') expect(() => parseDuration(damaged, 'D'), damaged).toThrow(ConfigError);
      }),
      { numRuns: 1_000, seed: 7 },
    );
  });
});

type Timing = { leaseDuration: number; renewDeadline: number; retryPeriod: number };
