/**
 * The single executable (packaging/sea.ts), built from the current bundle: one file that runs
 * leasehold with no Node beside it. It answers --version and --help, and a fleet of two leads one
 * at a time: the first CMD alive, the second only after the first runner was stopped and released.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildSingleExecutable } from '../../packaging/sea.js';
import { commands, type Fleet, startFleet, startRunner } from '../support/sidecar.js';

const ROOT = join(import.meta.dirname, '../..');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the single executable', () => {
  let executable: string;
  let fleet: Fleet | undefined;
  beforeAll(() => {
    executable = buildSingleExecutable();
  }, 120_000);
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('prints its version and help, with an environment that names no Node', () => {
    const env = { PATH: '/nonexistent' };
    const versionRun = spawnSync(executable, ['--version'], { encoding: 'utf8', env });
    expect(versionRun.stdout).toBe(`leasehold ${version}\n`);
    expect(versionRun.status).toBe(0);
    const help = spawnSync(executable, ['run', '--help'], { encoding: 'utf8', env });
    expect(help.stdout).toContain('usage: leasehold run --lease NAME');
    expect(help.status).toBe(0);
  });

  it('leads one runner at a time: the second CMD starts only after the first runner released', async () => {
    fleet = await startFleet();
    const first = startRunner(fleet, { identity: 'sea-1', command: commands.worker, cli: [executable] });
    await fleet.observer.whenAlive('sea-1');
    expect(await fleet.holder()).toBe('sea-1');
    const second = startRunner(fleet, { identity: 'sea-2', command: commands.worker, cli: [executable] });
    await second.printed('competing for the lease');
    first.signal('SIGTERM');
    await first.exited;
    await fleet.observer.whenAlive('sea-2');
    expect(await fleet.holder()).toBe('sea-2');
    expect(fleet.observer.maxAlive).toBe(1);
  });
});
