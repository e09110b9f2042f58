/**
 * Conversions between a Kubernetes V1LeaseSpec (wire shape) and a LeaseRecord.
 *
 * Reading is total: any JSON value becomes a record. Like client-go, a missing or unusable field
 * reads as its zero value: holder "" (free), duration 0 (a candidate then waits its own
 * leaseDuration before taking over, see takeoverAllowedAt), unknown times. leaseTransitions is the
 * exception: it reads as the smallest valid term not below what is stored ("7" -> 7, 7.5 -> 8,
 * beyond int32 -> 2147483647), so no participant writes a lower term than the stored one. Writing
 * always emits MicroTime with exactly six fractional digits.
 */
import { formatMicroTime, parseTime } from './microTime.js';
import { INT32_MAX, type LeaseRecord } from './record.js';

/** The spec fields leasehold reads and writes, as they appear in JSON. */
export interface LeaseSpecJson {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

const isInt32 = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= INT32_MAX;

/**
 * The stored leaseTransitions as a term that is not lower than it, whatever its type: numbers and
 * numeric strings round up and saturate at the int32 maximum; anything else, or below 0, is 0.
 */
function readTerm(value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!(number > 0)) return 0;
  return Math.min(INT32_MAX, Math.ceil(number));
}

/** True when every field the spec carries is well formed (a tolerant read still succeeds otherwise). */
export function isWellFormedSpec(spec: unknown): boolean {
  if (spec === undefined || spec === null) return true;
  if (typeof spec !== 'object' || Array.isArray(spec)) return false;
  const s = spec as Record<string, unknown>;
  return (
    (s.holderIdentity === undefined || s.holderIdentity === null || typeof s.holderIdentity === 'string') &&
    (s.leaseDurationSeconds === undefined || s.leaseDurationSeconds === null || isInt32(s.leaseDurationSeconds, 1)) &&
    (s.leaseTransitions === undefined || s.leaseTransitions === null || isInt32(s.leaseTransitions, 0)) &&
    (s.acquireTime === undefined || s.acquireTime === null || parseTime(s.acquireTime) !== undefined) &&
    (s.renewTime === undefined || s.renewTime === null || parseTime(s.renewTime) !== undefined)
  );
}

/** Reads any value as a LeaseRecord (public helper, after Swisscom's LeaseSpecToLeaseLockRecord). */
export function leaseSpecToLockRecord(spec: unknown): LeaseRecord {
  const s = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>) : {};
  return {
    holderIdentity: typeof s.holderIdentity === 'string' ? s.holderIdentity : '',
    leaseDurationSeconds: isInt32(s.leaseDurationSeconds, 1) ? s.leaseDurationSeconds : 0,
    acquireTime: parseTime(s.acquireTime) ?? null,
    renewTime: parseTime(s.renewTime) ?? null,
    leaseTransitions: readTerm(s.leaseTransitions),
  };
}

/** Writes a LeaseRecord as a V1LeaseSpec (public helper, after Swisscom's LeaseLockRecordToLeaseSpec). */
export function lockRecordToLeaseSpec(record: LeaseRecord): LeaseSpecJson {
  const spec: LeaseSpecJson = {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
  };
  if (record.acquireTime !== null) spec.acquireTime = formatMicroTime(record.acquireTime);
  if (record.renewTime !== null) spec.renewTime = formatMicroTime(record.renewTime);
  return spec;
}
