/**
 * Kubernetes MicroTime: RFC 3339 in UTC with exactly six fractional digits
 * ("2026-11-23T17:49:12.704000Z"). kube-apiserver answers 400 to any other precision, so this is
 * the only format leasehold writes. Times inside leasehold are epoch milliseconds (fractions allowed).
 */

const MICRO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Formats epoch milliseconds as MicroTime. */
export function formatMicroTime(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.round((epochMs - wholeMs) * 1000);
  const iso = new Date(wholeMs).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${String(Math.min(micros, 999)).padStart(3, '0')}Z`;
}

/** True when `text` is MicroTime exactly as kube-apiserver accepts it on write. */
export function isMicroTime(text: string): boolean {
  return MICRO_TIME.test(text);
}

/**
 * Parses any RFC 3339 time (reads are lenient: clients and older servers send other precisions)
 * into epoch milliseconds, or undefined when it is not a valid time.
 */
export function parseTime(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const micro = MICRO_TIME.exec(text);
  if (micro) {
    const exact = fieldsToEpoch(micro);
    if (exact !== undefined) return exact;
  }
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = m;
  const base = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${zone.toUpperCase()}`);
  if (Number.isNaN(base)) return undefined;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (date.getUTCDate() !== Number(day)) return undefined; // Date.parse rolls Feb 30 into March
  const fractionMs = fraction ? Number(`0${fraction}`) * 1000 : 0;
  return base + Math.round(fractionMs * 1000) / 1000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * MicroTime (what leasehold and client-go write, so nearly every read) with every field in range,
 * as epoch ms without building a string for Date.parse; undefined for anything the general path
 * must judge (a day past the month's end, 24:00, a leap second, a year before 100).
 */
function fieldsToEpoch([, year, month, day, hour, minute, second, micros]: RegExpExecArray): number | undefined {
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  const leapDay = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0;
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]! + leapDay || h > 23 || mi > 59 || s > 59) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s) + Math.round(Number(`0.${micros}`) * 1000 * 1000) / 1000;
}
