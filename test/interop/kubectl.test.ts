/** kubectl, unchanged, against the embedded server: get, get -o yaml, apply, delete, get -w. */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';

const run = promisify(execFile);

describe('kubectl against the embedded server', () => {
  let server: LeaseApiServer;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const manifest = (holder: string) =>
    `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: applied\n  labels: {app: demo}\nspec:\n  holderIdentity: ${holder}\n  leaseDurationSeconds: 15\n`;
  const kubectl = async (...args: string[]) => (await run('kubectl', args, { env })).stdout;
  const apply = (holder: string) => {
    writeFileSync(join(dir, 'lease.yaml'), manifest(holder));
    return kubectl('apply', '-f', join(dir, 'lease.yaml'));
  };

  beforeAll(async () => {
    if (spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error) {
      throw new Error('kubectl is not installed: install Debian\'s kubernetes-client (.ci/run does this)');
    }
    server = await startLeaseApiServer();
    dir = mkdtempSync(join(tmpdir(), 'leasehold-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), server.kubeConfig());
    env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache') };
  });
  afterAll(async () => server?.close());

  it('get, apply (create and update), get -o yaml, get -A, delete', async () => {
    expect(await kubectl('get', 'leases')).toBe('');
    expect(await apply('alice')).toContain('lease.coordination.k8s.io/applied created');
    expect(await kubectl('get', 'leases')).toMatch(/^NAME\s+HOLDER\s+AGE\napplied\s+alice\s+\d+s\n$/);
    expect(await apply('bob')).toContain('lease.coordination.k8s.io/applied configured');
    const yaml = await kubectl('get', 'lease', 'applied', '-o', 'yaml');
    expect(yaml).toContain('holderIdentity: bob');
    expect(yaml).toMatch(/resourceVersion: "\d+"/);
    expect(yaml).toContain('app: demo');
    expect(await kubectl('get', 'leases', '-A')).toMatch(/NAMESPACE\s+NAME\s+HOLDER\s+AGE\ndefault\s+applied\s+bob/);
    await expect(kubectl('get', 'lease', 'nope')).rejects.toThrow('leases.coordination.k8s.io "nope" not found');
    expect(await kubectl('delete', 'lease', 'applied')).toContain('lease.coordination.k8s.io "applied" deleted');
    expect(await kubectl('get', 'leases', '-o', 'name')).toBe('');
  });

  it('get -w sees a holder change', async () => {
    await apply('carol');
    const watcher = spawn('kubectl', ['get', 'lease', 'applied', '-w'], { env });
    let output = '';
    const sawHolder = (holder: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => output.includes(holder) && resolve();
        watcher.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          check();
        });
        watcher.once('exit', (code) => reject(new Error(`kubectl get -w exited (${code}) before showing ${holder}:\n${output}`)));
        check();
      });
    try {
      await sawHolder('carol');
      await apply('dave');
      await sawHolder('dave');
      expect(output).toMatch(/applied\s+carol[\s\S]*applied\s+dave/);
    } finally {
      watcher.kill();
    }
  });
});
