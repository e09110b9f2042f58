/**
 * The official Python client (`kubernetes` from PyPI, pinned in test/peers/python/requirements.txt)
 * live against a server: Lease CRUD and a watch (python/crud.py), checked from its output and by
 * reading what it stored with another client. Run on the embedded server
 * (test/peers/pythonClient.test.ts) and on kube-apiserver (test/real/pythonClient.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { watch } from '../support/cli.js';
import { pythonClient } from './build.js';
import type { Target } from './fleet.js';

const CRUD = join(import.meta.dirname, 'python/crud.py');

type Step = Record<string, unknown> & { step: string };

export function pythonClientScenarios(target: Target): void {
  let server: LeaseApiServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('create, read, replace (a stale resourceVersion gets 409 Conflict), merge patch, list by label, delete, and a watch that sees each write', async () => {
    const { python, version } = await pythonClient();
    dir = mkdtempSync(join(tmpdir(), 'leasehold-python-'));
    server = target === 'embedded' ? await startLeaseApiServer() : undefined;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, server ? server.kubeConfig() : readFileSync(process.env.LEASEHOLD_KUBECONFIG!, 'utf8'));
    const namespace = server ? 'default' : (process.env.LEASEHOLD_NAMESPACE ?? 'default');
    const name = `python-${randomUUID().slice(0, 8)}`;

    const run = watch(spawn(python, [CRUD, '--kubeconfig', kubeconfig, '--namespace', namespace, '--name', name], { stdio: ['pipe', 'pipe', 'pipe'] }));
    // What it stored, read by another client before it deletes it.
    await run.printed('"step": "listed"');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfig);
    const api = kubeConfig.makeApiClient(CoordinationV1Api);
    const stored = await api.readNamespacedLease({ name, namespace });
    expect(stored.metadata?.labels).toEqual({ peer: 'python' });
    expect(stored.spec).toMatchObject({ holderIdentity: 'python-2', leaseDurationSeconds: 7, leaseTransitions: 1 });
    run.child.stdin!.end('delete\n');
    expect(await run.exited, `kubernetes==${version}:\n${run.output()}`).toBe(0);
    const steps = new Map(
      run
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Step)
        .map((step) => [step.step, step]),
    );

    expect(steps.get('read')).toMatchObject({ holder: 'python-1', leaseDurationSeconds: 7, sameVersion: true });
    // The client writes a timezone-aware datetime; the server keeps the instant, to the microsecond.
    expect(Date.parse(String(steps.get('read')!.renewTime))).toBe(Date.parse(String(steps.get('created')!.renewTime)));
    expect(steps.get('replaced')).toMatchObject({ holder: 'python-2', transitions: 1, newerVersion: true });
    expect(steps.get('stale-replace')).toEqual({ step: 'stale-replace', status: 409, reason: 'Conflict' });
    expect(steps.get('patched')).toMatchObject({ labels: { peer: 'python' }, holder: 'python-2' });
    expect(steps.get('listed')!.names).toEqual([name]);
    expect(steps.get('read-after-delete')).toMatchObject({ status: 404 });
    const events = steps.get('watched')!.events as [string, string, string][];
    expect(events.map(([type, holder]) => [type, holder])).toEqual([
      ['ADDED', 'python-1'],
      ['MODIFIED', 'python-2'],
      ['MODIFIED', 'python-2'],
      ['DELETED', 'python-2'],
    ]);
    await expect(api.readNamespacedLease({ name, namespace })).rejects.toMatchObject({ code: 404 });
  });
}
