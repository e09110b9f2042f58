/**
 * The differential conformance corpus (test/conformance) inside `npm test`: every case against
 * kube-apiserver and the embedded server in the same mode — private control planes with feature
 * gates as shipped and with CoordinatedLeaderElection on — must answer identically or be
 * allowlisted with its reason. `npm run conformance` runs the same corpus standalone.
 */
import { expect, it } from 'vitest';
import { loadAllowlist } from '../conformance/allowlist.js';
import { runConformance } from '../conformance/conformance.js';
import { loadCorpus } from '../conformance/corpus.js';
import { report } from '../conformance/report.js';
import { type StartedPass, startPass } from '../conformance/servers.js';
import { CONTROL_PLANE_BINARIES, describeOnPrivateControlPlane } from '../support/realCluster.js';

describeOnPrivateControlPlane('conformance: the embedded server against kube-apiserver', () => {
  it('answers every case of the corpus as kube-apiserver does, or as its allowlist says why not', async () => {
    const corpus = loadCorpus();
    const allowlist = loadAllowlist();
    expect(corpus.reduce((total, category) => total + category.cases.length, 0)).toBeGreaterThanOrEqual(100);
    const started: StartedPass[] = [];
    try {
      // Control planes of its own, restarted once, so that "too old" means what it means on a cluster that has run a while.
      for (const pass of ['plain', 'coordinated'] as const) started.push(await startPass(pass, { binaries: CONTROL_PLANE_BINARIES! }));
      const run = await runConformance(
        corpus,
        started.map((pass) => pass.targets),
        allowlist,
      );
      const text = report(run, corpus);
      console.log(text);
      expect(run.results.filter((result) => result.outcome === 'differing').map((result) => result.caseId), text).toEqual([]);
      expect(run.staleEntries.map((entry) => entry.case), text).toEqual([]);
    } finally {
      for (const pass of started) await pass.stop();
    }
  }, 600_000);
});
