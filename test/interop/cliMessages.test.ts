/**
 * The CLI's messages say what is true, seen from outside (output and exit status of the built bin):
 * each case here once printed something misleading (issue 27).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-messages-'));
const noCluster = { ...process.env, KUBECONFIG: '', HOME: dir, KUBERNETES_SERVICE_HOST: '' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the CLI says what is true', () => {
  it('--version prints the package version', async () => {
    const cli = runCli(['--version']);
    expect(await cli.exited).toBe(0);
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(cli.output()).toBe(`leasehold ${version}\n`);
  });

  it('--lease-duration 1.5s: refused as not whole seconds, where the flag is read', async () => {
    const cli = runCli(['run', '--lease', 'job', '--lease-duration', '1.5s', '--', 'true'], noCluster);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toBe('leasehold run: --lease-duration 1.5s must be whole seconds: a Lease stores leaseDurationSeconds as an integer\n');
  });

  it('no cluster: run suggests --embedded, status and handover (which do not take it) do not', async () => {
    const run = runCli(['run', '--lease', 'job', '--', 'true'], noCluster);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('(or pass --embedded');
    for (const args of [['status', '--lease', 'job'], ['handover', '--lease', 'job', '--to', 'b']]) {
      const cli = runCli(args, noCluster);
      expect(await cli.exited).toBe(2);
      expect(cli.output()).toContain('no cluster found');
      expect(cli.output()).not.toContain('--embedded');
    }
  });

  it('handover against an unreachable server says so, not "not found"', async () => {
    const kubeconfig = join(dir, 'unreachable');
    writeFileSync(kubeconfig, kubeConfigFor(`http://127.0.0.1:${await closedPort()}`));
    const cli = runCli(['handover', '--lease', 'job', '--to', 'b', '--timeout', '2s', '--kubeconfig', kubeconfig]);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/ECONNREFUSED|unavailable|unreachable/i);
    expect(cli.output()).not.toContain('not found');
  });

  it('serve on a port in use: one line naming the flag, exit 2, as run does', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const cli = runCli(['serve', '--port', String(port), '--kubeconfig-out', join(dir, 'serve.kubeconfig')]);
      expect(await cli.exited).toBe(2);
      expect(cli.output()).toBe(`leasehold serve: --port ${port}: cannot listen: address already in use\n`);
    } finally {
      taken.close();
    }
  });
});
