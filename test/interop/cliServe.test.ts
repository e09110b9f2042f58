/** `leasehold serve` as a user runs it: a kubeconfig that kubectl and client-node accept, clean exit. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/flags.js';
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
      expect(cli.output(), args.join(' ')).toMatch(/unknown flag --bogus|--port must be|refusing to serve leases on 0\.0\.0\.0|unknown command/);
    }
  });

  it('parses --name value, --name=value, switches and -- rest', () => {
    const parsed = parseFlags(['--lease', 'a', '--namespace=b', '--watch', '--', 'cmd', '--x'], { values: ['lease', 'namespace'], switches: ['watch'] }, 'run');
    expect([...parsed.values]).toEqual([['lease', 'a'], ['namespace', 'b']]);
    expect([...parsed.switches]).toEqual(['watch']);
    expect(parsed.rest).toEqual(['cmd', '--x']);
    expect(() => parseFlags(['--lease'], { values: ['lease'] }, 'run')).toThrow('run: --lease needs a value');
  });
});
