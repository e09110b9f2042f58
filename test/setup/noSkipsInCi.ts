// In CI (CI=true) a skipped test fails the run: a missing browser or kubectl must never pass as
// green. The one exception is a test whose title names the LEASEHOLD_* variable that turns it on
// (the real-cluster scenarios, LEASEHOLD_KUBECONFIG): those need something CI does not have.
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

const OPT_IN = /\bLEASEHOLD_[A-Z_]+\b/;

export default class NoSkipsInCi implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (process.env.CI !== 'true') return;
    const skipped = testModules.flatMap((module) =>
      [...module.children.allTests('skipped')].filter((test) => !OPT_IN.test(test.fullName)).map((test) => `${relative(process.cwd(), module.moduleId)}: ${test.fullName}`),
    );
    if (skipped.length === 0) return;
    console.error(`\nCI=true and ${skipped.length} test(s) skipped (a skip must name the LEASEHOLD_* variable that enables it):\n  ${skipped.join('\n  ')}`);
    process.exitCode = 1;
  }
}
