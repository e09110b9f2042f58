/**
 * Ordering resourceVersions. Kubernetes made them comparable in 1.35 (KEP-5504: a resourceVersion
 * is a positive decimal integer without leading zeros, larger is newer, for objects of one
 * resource); before that they were etcd revisions, which are the same integers. The memory store
 * and the embedded server hand out such integers too. A pure leaf module (no run-time imports),
 * so the participant machine can use it.
 */

const DECIMAL = /^[1-9][0-9]*$/;

/** -1, 0 or 1 as `a` is older than, the same as, or newer than `b`; undefined when either is not comparable. */
export function compareResourceVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) return undefined;
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}
