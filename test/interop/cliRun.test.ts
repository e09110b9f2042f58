/** `leasehold run` as a sidecar: CMD only while holding the lease, stopped in time, exit codes passed on. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { runCli } from '../support/cli.js';

const TIMING = ['--lease-duration', '2s', '--renew-deadline', '1500ms', '--retry-period', '500ms'];
/** A command that reports its term, traps SIGTERM, and exits with `code` after `ms` (or on a file). */
const cmd = (name: string, code: number, ms: number) => [
  'node',
  '-e',
  `console.log('${name} running, term ' + process.env.LEASEHOLD_TERM); process.on('SIGTERM', () => { console.log('${name} got SIGTERM'); process.exit(0); }); setTimeout(() => process.exit(${code}), ${ms});`,
];

describe('leasehold run', () => {
  let server: LeaseApiServer;
  let kubeconfig: string;
  let api: CoordinationV1Api;
  afterEach(async () => server?.close());

  async function start() {
    server = await startLeaseApiServer();
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'leasehold-run-')), 'kubeconfig');
    writeFileSync(kubeconfig, server.kubeConfig());
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeConfig());
    api = kc.makeApiClient(CoordinationV1Api);
  }
  const holder = async () => (await api.readNamespacedLease({ namespace: 'default', name: 'job' })).spec?.holderIdentity;
  const leaseholdRun = (identity: string, command: string[], extra: string[] = []) =>
    runCli(['run', '--lease', 'job', '--identity', identity, '--kubeconfig', kubeconfig, ...TIMING, ...extra, '--', ...command]);

  it('runs CMD only while leading; when CMD exits: release, exit with its status, the next one takes over', async () => {
    await start();
    const a = leaseholdRun('A', cmd('A', 3, 60_000), ['--healthz-port', '0']);
    await a.printed('A running, term 0');
    const b = leaseholdRun('B', cmd('B', 0, 1_000));
    await b.printed('lease held by A; waiting');
    expect(b.output()).not.toContain('B running');
    a.child.kill('SIGTERM'); // A stops its CMD first, then releases
    await a.printed('A got SIGTERM');
    expect(await a.exited).toBe(0);
    await b.printed('B running, term 1');
    expect(await b.exited).toBe(0);
    expect(await holder()).toBe(''); // B released after its CMD exited
    const c = leaseholdRun('C', cmd('C', 3, 0));
    expect(await c.exited).toBe(3);
    expect(c.output()).toContain('node exited with 3; releasing the lease');
  });

  it('stops CMD when the lease is lost, before anyone could take over, and exits 1', async () => {
    await start();
    const a = leaseholdRun('A', cmd('A', 0, 60_000));
    await a.printed('A running');
    // Someone deletes the lease: renewals fail from now on, so A's window closes at renewDeadline.
    await api.deleteNamespacedLease({ namespace: 'default', name: 'job' });
    await a.printed('lost the lease: sending SIGTERM');
    await a.printed('A got SIGTERM');
    expect(await a.exited).toBe(1);
    expect(a.output()).toContain('lost lease default/job');
  });

  it('refuses bad flags and a grace period that could outlive the lease (exit 2)', async () => {
    await start();
    const cases = [
      ['run', '--lease', 'job', '--bogus', '--', 'true'],
      ['run', '--', 'true'],
      ['run', '--lease', 'job'],
      ['run', '--lease', 'job', '--lease-duration', 'soon', '--', 'true'],
      ['run', '--lease', 'job', '--kubeconfig', kubeconfig, ...TIMING, '--grace-period', '1s', '--', 'true'],
    ];
    const runs = cases.map((args) => ({ args, cli: runCli(args) }));
    for (const { args, cli } of runs) {
      expect(await cli.exited, args.join(' ')).toBe(2);
      expect(cli.output(), args.join(' ')).toMatch(/unknown flag|--lease NAME is required|command to run|invalid duration|grace-period must be shorter/);
    }
  });
});
