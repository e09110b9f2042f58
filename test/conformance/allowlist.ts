/**
 * The differences the project accepts, each with the reason (test/conformance/allowlist.yaml). An
 * entry names a case ("category/case name"), optionally a pass, and the places that may differ
 * (`where`, with `*` matching anything): a new difference elsewhere in the same case still fails,
 * and so does an entry that no longer matches any difference (the server was fixed: delete it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Pass } from './corpus.js';
import type { Difference } from './compare.js';

export interface AllowlistEntry {
  case: string;
  pass?: Pass;
  where: string[];
  why: string;
}

export function loadAllowlist(path = join(import.meta.dirname, 'allowlist.yaml')): AllowlistEntry[] {
  const entries = (yaml.load(readFileSync(path, 'utf8')) ?? []) as AllowlistEntry[];
  for (const entry of entries) {
    if (typeof entry.case !== 'string' || !Array.isArray(entry.where) || entry.where.length === 0 || typeof entry.why !== 'string' || entry.why.trim().length < 20) {
      throw new Error(`allowlist.yaml: every entry needs case, where (at least one place) and why (a real sentence): ${JSON.stringify(entry)}`);
    }
  }
  return entries;
}

const pattern = (glob: string) => new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** The entry allowing one case's differences in one pass, if any. */
export function entryFor(entries: AllowlistEntry[], caseId: string, pass: Pass): AllowlistEntry | undefined {
  return entries.find((entry) => entry.case === caseId && (entry.pass === undefined || entry.pass === pass));
}

/** The differences an entry does not cover. */
export function uncovered(entry: AllowlistEntry | undefined, differences: Difference[]): Difference[] {
  if (!entry) return differences;
  const patterns = entry.where.map(pattern);
  return differences.filter((difference) => !patterns.some((where) => where.test(difference.where)));
}
