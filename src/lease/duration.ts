/**
 * Go-style duration strings ("15s", "1m30s", "500ms", "1h", "1.5s") to milliseconds, as
 * time.ParseDuration reads them, except that signs are refused: no leasehold duration is negative.
 */
import { ConfigError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
// µ and μ as escapes: the CLI's bundle stays ASCII (V8 holds a source with one other character in two bytes each).
const DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))*$/;
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;

/**
 * Parses a Go duration into milliseconds. "0" is zero; every other value needs a unit.
 * @throws ConfigError naming `field` (e.g. an environment variable) and the value.
 */
export function parseDuration(text: string, field = 'duration'): number {
  const value = text.trim();
  if (value === '0') return 0;
  if (!DURATION.test(value)) {
    throw new ConfigError(
      `${field}: invalid duration ${JSON.stringify(text)} (expected a Go duration such as "15s", "1m30s" or "500ms")`,
      field,
    );
  }
  let total = 0;
  for (const [, amount, unit] of value.matchAll(TERM)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

/** Formats milliseconds as a short Go-style duration ("1m30s", "500ms"), for messages and the CLI. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${+ms.toFixed(3)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = +((ms % 60_000) / 1000).toFixed(3);
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}
