// In CI (CI=true, which .ci/run sets itself) a skipped test fails the run, whatever its name: a
// missing browser, kubectl or cluster must never pass as green. In CI the real-cluster tests run
// (.ci/run builds a kube-apiserver, which test/setup/controlPlane.ts starts, setting
// LEASEHOLD_KUBECONFIG); outside CI they may be skipped, by name, without one. A test that cannot run somewhere skips
// by name (it.skip / ctx.skip), never by returning early, so that this reporter sees it.
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkipsInCi implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (process.env.CI !== 'true') return;
    const skipped = testModules.flatMap((module) =>
      [...module.children.allTests('skipped')].map((test) => `${relative(process.cwd(), module.moduleId)}: ${test.fullName}`),
    );
    if (skipped.length === 0) return;
    console.error(`\nCI=true and ${skipped.length} test(s) skipped (CI runs every test):\n  ${skipped.join('\n  ')}`);
    process.exitCode = 1;
  }
}
