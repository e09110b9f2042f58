/**
 * The differential run: every case of the corpus against kube-apiserver and the embedded server in
 * the same mode (feature gates as shipped; a second pass with CoordinatedLeaderElection on for the
 * cases that depend on it), each case in a namespace of its own, both servers at once.
 */
import { randomBytes } from 'node:crypto';
import { type AllowlistEntry, entryFor, uncovered } from './allowlist.js';
import { compareRecords, type Difference } from './compare.js';
import { type Case, type Category, type Pass, runsIn } from './corpus.js';
import { type Observation, runScript } from './script.js';
import type { Target } from './target.js';

export interface PassTargets {
  pass: Pass;
  kubeApiserver: Target;
  embedded: Target;
}

export interface CaseResult {
  category: string;
  caseId: string;
  testCase: Case;
  pass: Pass;
  differences: Difference[];
  /** identical; allowlisted (every difference covered by an entry); differing (some not). */
  outcome: 'identical' | 'allowlisted' | 'differing';
  /** The differences no allowlist entry covers. */
  unexplained: Difference[];
  entry?: AllowlistEntry;
  /** A script that could not run (a corpus mistake, a server gone). */
  failure?: string;
  /** What each server answered, kept with `keepRecords` (npm run conformance -- --raw). */
  records?: { kubeApiserver: Observation[]; embedded: Observation[] };
}

export interface ConformanceRun {
  results: CaseResult[];
  /** Allowlist entries that matched no difference: the server was fixed, or the case renamed. */
  staleEntries: AllowlistEntry[];
}

export const caseId = (category: Category, testCase: Case) => `${category.category}/${testCase.name}`;

export async function runConformance(corpus: Category[], passes: PassTargets[], allowlist: AllowlistEntry[], options: { concurrency?: number; only?: RegExp; keepRecords?: boolean } = {}): Promise<ConformanceRun> {
  const run = randomBytes(3).toString('hex');
  const jobs: (() => Promise<CaseResult>)[] = [];
  let index = 0;
  for (const targets of passes) {
    for (const category of corpus) {
      for (const testCase of category.cases) {
        const id = caseId(category, testCase);
        if (!runsIn(testCase, targets.pass) || (options.only && !options.only.test(id))) continue;
        const namespace = `cf-${run}-${targets.pass === 'plain' ? 'p' : 'c'}${++index}`;
        jobs.push(() => runCase(category, testCase, targets, namespace, allowlist, options.keepRecords ?? false));
      }
    }
  }
  const results = await inParallel(jobs, options.concurrency ?? 4);
  const used = new Set(results.map((result) => result.entry).filter((entry) => entry !== undefined));
  const ran = new Set(results.map((result) => result.caseId));
  const staleEntries = allowlist.filter((entry) => !used.has(entry) && (!options.only || ran.has(entry.case)));
  return { results, staleEntries };
}

async function runCase(category: Category, testCase: Case, targets: PassTargets, namespace: string, allowlist: AllowlistEntry[], keepRecords: boolean): Promise<CaseResult> {
  const id = caseId(category, testCase);
  const base: Pick<CaseResult, 'category' | 'caseId' | 'testCase' | 'pass' | 'records'> = { category: category.category, caseId: id, testCase, pass: targets.pass };
  try {
    await targets.kubeApiserver.prepareNamespace(namespace);
    const [kube, embedded] = await Promise.all([runScript(targets.kubeApiserver, testCase, namespace), runScript(targets.embedded, testCase, namespace)]);
    if (keepRecords) base.records = { kubeApiserver: kube, embedded };
    const differences = compareRecords(category, testCase, kube, embedded);
    if (differences.length === 0) return { ...base, differences, outcome: 'identical', unexplained: [] };
    const entry = entryFor(allowlist, id, targets.pass);
    const unexplained = uncovered(entry, differences);
    return { ...base, differences, unexplained, outcome: unexplained.length === 0 ? 'allowlisted' : 'differing', ...(entry && unexplained.length < differences.length ? { entry } : {}) };
  } catch (error) {
    const failure = (error as Error).message;
    return { ...base, differences: [], unexplained: [], outcome: 'differing', failure };
  }
}

async function inParallel<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const mine = next++;
      results[mine] = await jobs[mine]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}
