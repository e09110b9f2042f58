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
    expect(cli.output()).toContain('in memory: leases and events are lost when the server stops (--data-dir DIR keeps them)');
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
    const api = kc.makeApiClient(CoordinationV1Api);
    await api.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'via-cli' }, spec: { holderIdentity: 'me' } } });
    expect((await api.readNamespacedLease({ namespace: 'default', name: 'via-cli' })).spec?.holderIdentity).toBe('me');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('--data-dir says so, and a lease written before a restart is there after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-serve-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const dataDir = join(dir, 'data');
    const serveOnce = async () => {
      const cli = runCli(['serve', '--port', '0', '--kubeconfig-out', kubeconfig, '--data-dir', dataDir]);
      await cli.printed('Ctrl-C stops the server.');
      expect(cli.output()).toContain(`durable: every acknowledged write is fsynced to ${dataDir} and kept across restarts`);
      const kc = new KubeConfig();
      kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
      return { cli, api: kc.makeApiClient(CoordinationV1Api) };
    };
    const first = await serveOnce();
    const created = await first.api.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'kept' }, spec: { holderIdentity: 'me', leaseTransitions: 4 } } });
    first.cli.child.kill('SIGTERM');
    expect(await first.cli.exited).toBe(0);
    const second = await serveOnce();
    const read = await second.api.readNamespacedLease({ namespace: 'default', name: 'kept' });
    expect([read.spec?.holderIdentity, read.spec?.leaseTransitions, read.metadata?.resourceVersion, read.metadata?.uid]).toEqual(['me', 4, created.metadata?.resourceVersion, created.metadata?.uid]);
    second.cli.child.kill('SIGTERM');
    expect(await second.cli.exited).toBe(0);
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
