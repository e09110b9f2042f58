/**
 * RBAC for real: a ServiceAccount bound to deploy/rbac.yaml's Role, with a token from the TokenRequest
 * API, and nothing else. `leasehold run`, `status` and `handover` work with exactly those
 * permissions; a Role missing a verb gives one clear line naming the verb and the resource.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { adminKubeConfig, describeOnRealCluster } from '../support/realCluster.js';
import { type RealFleet, startRealFleet } from '../support/realFleet.js';
import { commands, startRunner } from '../support/sidecar.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const NO_STACK = /\n\s+at /;

let fleet: RealFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

type RoleRule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/**
 * deploy/serviceaccount.yaml and deploy/rbac.yaml created in the fleet's namespace as `kubectl apply -n`
 * does (they name none; the RoleBinding's subject is its own namespace's ServiceAccount), the Role's
 * rules changed by `rules`; then a kubeconfig file for the ServiceAccount's token.
 */
async function serviceAccount(fleet: RealFleet, rules: (given: RoleRule[]) => RoleRule[] = (given) => given): Promise<string> {
  const admin = adminKubeConfig();
  const objects = ['serviceaccount.yaml', 'rbac.yaml'].flatMap((file) => loadAllYaml(readFileSync(join(DEPLOY, file), 'utf8')) as (KubernetesObject & { rules?: RoleRule[] })[]);
  const client = KubernetesObjectApi.makeApiClient(admin);
  for (const object of objects) {
    expect(object.metadata?.namespace).toBeUndefined();
    object.metadata = { ...object.metadata, namespace: fleet.namespace };
    if (object.kind === 'Role') object.rules = rules(object.rules!);
    await client.create(object);
  }
  const account = objects.find((object) => object.kind === 'ServiceAccount')!.metadata!.name!;
  const { status } = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: account, namespace: fleet.namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const scoped = new KubeConfig();
  scoped.loadFromOptions({
    clusters: admin.clusters,
    users: [{ name: account, token: status!.token }],
    contexts: [{ name: account, cluster: admin.getCurrentCluster()!.name, user: account, namespace: fleet.namespace }],
    currentContext: account,
  });
  const path = join(fleet.dir, `kubeconfig-${account}`);
  writeFileSync(path, scoped.exportConfig());
  return path;
}

const without = (resource: string, verb: string) => (rules: RoleRule[]) => rules.map((rule) => (rule.resources.includes(resource) ? { ...rule, verbs: rule.verbs.filter((v) => v !== verb) } : rule));

describeOnRealCluster('deploy/rbac.yaml on kube-apiserver, with a ServiceAccount token', () => {
  it('leasehold run leads, status reports it and handover moves it, with exactly the Role’s permissions', async () => {
    fleet = await startRealFleet('rbac');
    const kubeconfig = await serviceAccount(fleet);
    startRunner(fleet, { identity: 'member-1', command: commands.worker, kubeconfig });
    await fleet.observer.whenAlive('member-1');
    const second = startRunner(fleet, { identity: 'member-2', command: commands.worker, kubeconfig });
    await second.printed('lease held by another process: waiting');

    const status = runCli(['status', '--lease', 'job', '--kubeconfig', kubeconfig]);
    expect(await status.exited, status.output()).toBe(0);
    expect(status.output()).toContain('member-1');

    const handover = runCli(['handover', '--lease', 'job', '--to', 'member-2', '--kubeconfig', kubeconfig]);
    expect(await handover.exited, handover.output()).toBe(0);
    await fleet.observer.whenAlive('member-2');
    expect(fleet.observer.maxAlive).toBe(1);
    expect(await fleet.holder()).toBe('member-2');
  });

  it('without update on leases: leasehold run exits 2 with one error line naming the verb and the resource, and no CMD outlives it', async () => {
    fleet = await startRealFleet('rbac-update');
    const kubeconfig = await serviceAccount(fleet, without('leases', 'update'));
    // The Role still allows create: the runner creates the lease, leads, and fails its first renew.
    const runner = startRunner(fleet, { identity: 'member-1', command: commands.worker, kubeconfig });
    expect(await runner.exited).toBe(2);
    const errors = runner.output().split('\n').filter((line) => / ERROR /.test(line));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cannot update resource "leases"/);
    expect(errors[0]).toMatch(/grant the verb "update" on leases\.coordination\.k8s\.io/);
    // The release it tries before exiting fails the same way: said once, not once per retry.
    expect(runner.output().split('\n').filter((line) => line.includes('lease store calls'))).toHaveLength(1);
    expect(runner.output()).not.toMatch(NO_STACK);
    for (const life of fleet.observer.lives.values()) expect(life.goneAt, 'CMD gone').not.toBeNull();
  });

  it('without create on events: leasehold run leads and says once, in one line, what to grant', async () => {
    fleet = await startRealFleet('rbac-events');
    const kubeconfig = await serviceAccount(fleet, without('events', 'create'));
    const runner = startRunner(fleet, { identity: 'member-1', command: commands.worker, kubeconfig });
    await fleet.observer.whenAlive('member-1');
    await runner.printed('cannot record Events');
    expect(await fleet.holder()).toBe('member-1');
    const lines = runner.output().split('\n').filter((line) => line.includes('cannot record Events'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/grant the verbs create and patch on events in namespace/);
  });

  it('a hand-over request nobody completes is withdrawn with the Role’s own verbs when the time runs out', async () => {
    fleet = await startRealFleet('rbac-withdraw');
    const kubeconfig = await serviceAccount(fleet);
    const now = new Date().toISOString().replace('Z', '000Z');
    await adminKubeConfig()
      .makeApiClient(CoordinationV1Api)
      .createNamespacedLease({ namespace: fleet.namespace, body: { metadata: { name: 'job' }, spec: { holderIdentity: 'old', leaseDurationSeconds: 60, acquireTime: now as never, renewTime: now as never, leaseTransitions: 3 } } });
    const handover = runCli(['handover', '--lease', 'job', '--to', 'member-2', '--timeout', '2s', '--kubeconfig', kubeconfig]);
    expect(await handover.exited, handover.output()).toBe(1);
    expect(handover.output()).not.toMatch(NO_STACK);
    const stored = await fleet.lease();
    expect(stored?.spec?.holderIdentity).toBe('old');
    expect(stored?.metadata?.annotations?.['leasehold.io/hand-over-to']).toBeUndefined();
  });
});
