/**
 * The no-skips guard, observed from outside: vitest run as CI runs it, over a fixture with a named
 * skip, exits non-zero with CI=true and names the test; without CI the same run passes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

function runFixture(ci: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  delete env.CI;
  if (ci) env.CI = 'true';
  const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs');
  return spawnSync(process.execPath, [vitest, 'run', '--config', 'test/fixtures/skips/vitest.config.ts'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('no skipped test passes in CI', () => {
  it('with CI=true, a named skip fails the run and is listed', () => {
    const run = runFixture(true);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toContain('CI=true and 1 test(s) skipped');
    expect(run.stderr).toContain('skipped.fixture.ts: needs something this machine lacks');
  });

  it('without CI, the same run passes with the skip reported', () => {
    const run = runFixture(false);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1 passed \| 1 skipped/);
  });
});
