/**
 * deploy/ as kube-apiserver admits it, in a namespace whose Pod Security is `restricted` for both
 * enforce and warn: each kustomization (deploy/ and deploy/single-executable/) applies with
 * `--dry-run=server` and no warning, into whatever namespace `-n` names (none is written in the
 * files), and a Pod made from each Deployment's template is admitted with dryRun=All (there is no
 * controller-manager to make real Pods).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, dumpYaml, loadAllYaml, PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findKubectls } from '../support/kubectl.js';
import { adminKubeConfig, describeOnRealCluster, testNamespace } from '../support/realCluster.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const EXAMPLES = { 'deploy/': DEPLOY, 'deploy/single-executable/': join(DEPLOY, 'single-executable') };
const run = promisify(execFile);

describeOnRealCluster('deploy/ on kube-apiserver, Pod Security restricted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-admission-'));
  let namespace: Awaited<ReturnType<typeof testNamespace>>;
  const kubectl = findKubectls().kubectls.at(-1)!;
  /** kubectl against the test's namespace: stdout and stderr, whatever the exit status. */
  const kubectlIn = async (args: string[]) => {
    const env = { ...process.env, KUBECONFIG: namespace.kubeconfig, KUBECACHEDIR: join(dir, 'cache') };
    return run(kubectl.path, args, { env }).catch((error: { stdout: string; stderr: string }) => ({ stdout: error.stdout, stderr: `${error.stderr} (failed)` }));
  };

  beforeAll(async () => {
    namespace = await testNamespace('admission', dir);
    const restricted = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' };
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .patchNamespace({ name: namespace.name, body: { metadata: { labels: restricted } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  });
  afterAll(async () => {
    await namespace?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.entries(EXAMPLES))('kubectl apply -k %s --dry-run=server: every object admitted, no warning', async (_, example) => {
    const { stdout, stderr } = await kubectlIn(['apply', '-k', example, '-n', namespace.name, '--dry-run=server']);
    console.log(`kubectl ${kubectl.version} apply -k ${example} --dry-run=server into ${namespace.name} (restricted):\n${stdout}${stderr}`);
    expect(stderr).toBe('');
    const kinds = loadAllYaml((await kubectlIn(['kustomize', example])).stdout).map((object) => `${(object as { kind: string }).kind}/${(object as { metadata: { name: string } }).metadata.name}`);
    expect(stdout.trim().split('\n')).toHaveLength(kinds.length);
    expect(stdout).toMatch(/^(\S+ (created|configured|unchanged) \(server dry run\)\n)+$/);
  });

  it.each(Object.entries(EXAMPLES))("a Pod from %s's Deployment template is admitted with dryRun=All, no warning", async (_, example) => {
    // The Pod's ServiceAccount must exist for the ServiceAccount admission plugin.
    await kubectlIn(['apply', '-n', namespace.name, '-f', join(DEPLOY, 'serviceaccount.yaml')]);
    const deployments = (loadAllYaml((await kubectlIn(['kustomize', example])).stdout) as V1Deployment[]).filter((object) => object.kind === 'Deployment');
    expect(deployments.length).toBeGreaterThan(0);
    for (const deployment of deployments) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${deployment.metadata!.name}-pod`, labels: deployment.spec!.template.metadata!.labels }, spec: deployment.spec!.template.spec };
      const file = join(dir, `${deployment.metadata!.name}-pod.yaml`);
      writeFileSync(file, dumpYaml(pod));
      const { stdout, stderr } = await kubectlIn(['create', '-n', namespace.name, '--dry-run=server', '-f', file]);
      console.log(`kubectl create --dry-run=server of a Pod from ${example}'s ${deployment.metadata!.name}:\n${stdout}${stderr}`);
      expect(stderr).toBe('');
      expect(stdout.trim()).toBe(`pod/${pod.metadata.name} created (server dry run)`);
    }
  });

  it('the check itself: a Pod without seccompProfile is refused by the same namespace', async () => {
    const deployment = loadAllYaml(readFileSync(join(DEPLOY, 'deployment.yaml'), 'utf8'))[0] as V1Deployment;
    const spec = structuredClone(deployment.spec!.template.spec!);
    delete spec.securityContext!.seccompProfile;
    const file = join(dir, 'unconfined-pod.yaml');
    writeFileSync(file, dumpYaml({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unconfined' }, spec }));
    const { stderr } = await kubectlIn(['create', '-n', namespace.name, '--dry-run=server', '-f', file]);
    expect(stderr).toMatch(/violates PodSecurity "restricted:latest": seccompProfile/);
  });
});
