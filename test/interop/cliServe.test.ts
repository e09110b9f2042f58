/** `leasehold serve` as a user runs it: a kubeconfig that kubectl and client-node accept, clean exit. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('leasehold serve', () => {
  it('serves leases, writes a working kubeconfig and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-serve-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const cli = runCli(['serve', '--port', '0', '--kubeconfig-out', kubeconfig]);
    await cli.printed('Ctrl-C stops the server.');
    expect(cli.output()).toContain(`KUBECONFIG=${kubeconfig} kubectl get leases`);
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
    const api = kc.makeApiClient(CoordinationV1Api);
    await api.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'via-cli' }, spec: { holderIdentity: 'me' } } });
    expect((await api.readNamespacedLease({ namespace: 'default', name: 'via-cli' })).spec?.holderIdentity).toBe('me');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('refuses bad flags and a non-loopback address without a token, exit code 2', async () => {
    const cases = [['serve', '--bogus'], ['serve', '--port', 'eighty'], ['serve', '--host', '0.0.0.0'], ['nonsense']];
    const runs = cases.map((args) => ({ args, cli: runCli(args) }));
    for (const { args, cli } of runs) {
      expect(await cli.exited, args.join(' ')).toBe(2);
      expect(cli.output(), args.join(' ')).toMatch(/unknown flag --bogus|--port must be a port|refusing to serve leases on 0\.0\.0\.0|unknown command/);
    }
  });
});
