import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE_DEFAULTS, resolveConfig } from '../../src/lease/config.js';
import { formatDuration, parseDuration } from '../../src/lease/duration.js';
import { ConfigError } from '../../src/lease/errors.js';
import { formatMicroTime, isMicroTime, parseTime } from '../../src/lease/microTime.js';

describe('parseDuration', () => {
  it.each([
    ['15s', 15_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['2h45m', 9_900_000],
    ['10us', 0.01],
    ['0', 0],
    [' 3s ', 3_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', '-1s', '+1s', '1x', 's', '1s2', '1.2.3s', 'abc', '1 s', 'NaNs'])('rejects %j naming the field', (text) => {
    expect(() => parseDuration(text, 'LEASE_DURATION')).toThrow(ConfigError);
    expect(() => parseDuration(text, 'LEASE_DURATION')).toThrow(`LEASE_DURATION: invalid duration ${JSON.stringify(text)}`);
  });

  it('formats milliseconds back', () => {
    expect([90_000, 500, 15_000, 3_600_000].map(formatDuration)).toEqual(['1m30s', '500ms', '15s', '1h0m0s']);
  });
});

describe('MicroTime', () => {
  it('writes exactly six fractional digits and reads any RFC 3339 precision', () => {
    const text = formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    expect(text).toBe('2026-01-02T03:04:05.006000Z');
    expect(isMicroTime(text)).toBe(true);
    expect(isMicroTime('2026-01-02T03:04:05.006Z')).toBe(false);
    expect(parseTime('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(parseTime('2026-01-02T04:04:05.5+01:00')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 500));
    expect(parseTime('2026-02-30T00:00:00Z')).toBeUndefined();
    expect(parseTime('not a time')).toBeUndefined();
    expect(parseTime(12)).toBeUndefined();
  });

  it('reads MicroTime as the general RFC 3339 path reads the same instant, whatever its fields', () => {
    const digits = (n: number, width: number) => String(n).padStart(width, '0');
    const field = (max: number, width: number) => fc.integer({ min: 0, max }).map((n) => digits(n, width));
    fc.assert(
      fc.property(
        fc.tuple(field(9999, 4), field(13, 2), field(32, 2), field(24, 2), field(60, 2), field(60, 2), field(999_999, 6)),
        ([year, month, day, hour, minute, second, micros]) => {
          const time = `${year}-${month}-${day}T${hour}:${minute}:${second}.${micros}`;
          expect(parseTime(`${time}Z`)).toBe(parseTime(`${time}+00:00`)); // "+00:00" is never MicroTime
        },
      ),
      { numRuns: 20_000 },
    );
    expect(parseTime('2024-02-29T23:59:59.999999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999) + 0.999);
    expect(parseTime('2023-02-29T00:00:00.000000Z')).toBeUndefined();
  });
});

describe('configuration', () => {
  it('checks the 1.2 jitter factor in integers (5 * renewDeadline > 6 * retryPeriod)', () => {
    expect(() => resolveConfig({ renewDeadline: 12_000, retryPeriod: 10_000, leaseDuration: 15_000 })).toThrow(
      'renewDeadline must be greater than retryPeriod*JitterFactor',
    );
    expect(resolveConfig({ renewDeadline: 12_001, retryPeriod: 10_000, leaseDuration: 15_000 }).renewDeadline).toBe(12_001);
  });

  it('requires whole seconds where the value is written as seconds', () => {
    expect(() => resolveConfig({ leaseDuration: 15_500 })).toThrow('leaseDuration must be a whole number of seconds');
    expect(() => resolveConfig({ releasedLeaseDuration: 0 })).toThrow('releasedLeaseDuration must be a whole number of seconds');
  });

  it('rejects values that are not numbers, naming the field', () => {
    expect(() => resolveConfig({ retryPeriod: Number.NaN })).toThrow('retryPeriod must be a finite number of milliseconds');
    expect(() => resolveConfig({ afterLoss: 'sometimes' as never })).toThrow('afterLoss must be "reacquire" or "stop"');
  });

  it('defaults to 15 s / 10 s / 2 s with a 1 s released duration', () => {
    expect(resolveConfig({})).toEqual(BASE_DEFAULTS);
    expect(BASE_DEFAULTS).toMatchObject({ leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000, releasedLeaseDuration: 1_000 });
  });
});
