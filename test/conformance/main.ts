/**
 * `npm run conformance`: the corpus against kube-apiserver and the embedded server. Starts both
 * itself (kube-apiserver and etcd from the cached binaries, built first when missing: minutes),
 * prints a table per category and every difference, and ends with
 * `conformance: N of M cases identical (P %), K allowlisted`. Exits 1 on any difference the
 * allowlist (test/conformance/allowlist.yaml) does not explain, or on an allowlist entry that no
 * longer matches anything.
 *
 *   npm run conformance                              both passes (gates as shipped; coordinated)
 *   npm run conformance -- --only 'watch/'           cases whose "category/name" matches
 *   npm run conformance -- --pass plain              one pass
 *   npm run conformance -- --kubeconfig FILE         kube-apiserver already running (plain pass)
 *   npm run conformance -- --allowlisted             print the allowlisted differences too
 *   npm run conformance -- --explain                 what each category compares
 *   npm run conformance -- --raw --only 'watch/'     also what both servers answered, as JSON
 */
import { parseArgs } from 'node:util';
import { controlPlaneBinaries } from '../cluster/binaries.js';
import { loadAllowlist } from './allowlist.js';
import { runConformance } from './conformance.js';
import { loadCorpus, type Pass } from './corpus.js';
import { report } from './report.js';
import { type StartedPass, startPass } from './servers.js';

const USAGE = 'usage: npm run conformance -- [--only REGEX] [--pass plain|coordinated] [--kubeconfig FILE] [--coordinated-kubeconfig FILE] [--allowlisted] [--explain] [--raw]';

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        only: { type: 'string' },
        pass: { type: 'string' },
        kubeconfig: { type: 'string' },
        'coordinated-kubeconfig': { type: 'string' },
        allowlisted: { type: 'boolean' },
        explain: { type: 'boolean' },
        raw: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const corpus = loadCorpus();
  if (values.explain) {
    for (const category of corpus) console.log(`${category.category} (${category.cases.length} cases, messages ${category.messages}): ${category.compared.trim()}\n`);
    return 0;
  }
  const allowlist = loadAllowlist();
  const wanted: Pass[] = values.pass ? [values.pass as Pass] : values.kubeconfig && !values['coordinated-kubeconfig'] ? ['plain'] : ['plain', 'coordinated'];
  if (wanted.some((pass) => pass !== 'plain' && pass !== 'coordinated')) {
    console.error(`--pass is plain or coordinated\n${USAGE}`);
    return 2;
  }
  const log = (line: string) => console.error(line);
  const needsBinaries = wanted.some((pass) => !(pass === 'plain' ? values.kubeconfig : values['coordinated-kubeconfig']));
  const binaries = needsBinaries ? await controlPlaneBinaries({ log }) : undefined;
  const started: StartedPass[] = [];
  try {
    for (const pass of wanted) {
      const kubeconfig = pass === 'plain' ? values.kubeconfig : values['coordinated-kubeconfig'];
      started.push(await startPass(pass, kubeconfig ? { kubeconfig } : { binaries: binaries!, log }));
    }
    const startedAt = performance.now();
    const run = await runConformance(corpus, started.map((pass) => pass.targets), allowlist, { keepRecords: values.raw ?? false, ...(values.only ? { only: new RegExp(values.only) } : {}) });
    for (const result of run.results) if (result.records) console.log(`== ${result.caseId} (${result.pass})\n${JSON.stringify(result.records, null, 1)}`);
    console.log(report(run, corpus, { allowlisted: values.allowlisted ?? false }));
    console.error(`(${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
    const failed = run.results.some((result) => result.outcome === 'differing') || run.staleEntries.length > 0;
    return failed ? 1 : 0;
  } finally {
    for (const pass of started) await pass.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`conformance: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
