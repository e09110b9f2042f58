/**
 * deploy/ holds two complete examples (kube-apiserver admits both under Pod Security "restricted":
 * test/real/deployAdmission.test.ts): every document matches the Kubernetes API schema
 * (client-node's generated models, field by field), the Role grants exactly the lease verbs the
 * built CLI sends, and each Deployment runs `leasehold run -- CMD` with probes on its health port
 * and the pod name as its identity's prefix.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { commands, startFleet, startRunner, type Fleet } from '../support/sidecar.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const documents = () =>
  readdirSync(DEPLOY, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.yaml') && !file.endsWith('kustomization.yaml'))
    .flatMap((file) => (k8s.loadAllYaml(readFileSync(join(DEPLOY, file), 'utf8')) as Record<string, unknown>[]).map((document) => ({ file, document })));

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

/** Field names and value types of `value` against client-node's model `type`; the problems found. */
function schemaProblems(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((item, i) => schemaProblems(item, array[1]!, `${path}[${i}]`)) : [`${path}: expected a list`];
  if (/^\{ \[key: string\]: (.+); \}$/.test(type)) return typeof value === 'object' ? [] : [`${path}: expected a map`];
  if (type === 'string' || type === 'Date') return typeof value === 'string' ? [] : [`${path}: expected a string`];
  if (type === 'number') return typeof value === 'number' ? [] : [`${path}: expected a number`];
  if (type === 'boolean') return typeof value === 'boolean' ? [] : [`${path}: expected true or false`];
  if (type === 'IntOrString') return typeof value === 'string' || typeof value === 'number' ? [] : [`${path}: expected a number or a name`];
  const model = (k8s as unknown as Record<string, Model | undefined>)[type];
  if (!model?.getAttributeTypeMap) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object (${type})`];
  const attributes = new Map(model.getAttributeTypeMap().map((attribute) => [attribute.baseName, attribute.type]));
  return Object.entries(value).flatMap(([key, field]) =>
    attributes.has(key) ? schemaProblems(field, attributes.get(key)!, `${path}.${key}`) : [`${path}.${key}: unknown field of ${type}`],
  );
}

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe('deploy/', () => {
  it('every document matches the Kubernetes schema of its kind, field by field', () => {
    const models: Record<string, string> = { ServiceAccount: 'V1ServiceAccount', Role: 'V1Role', RoleBinding: 'V1RoleBinding', Deployment: 'V1Deployment', PodDisruptionBudget: 'V1PodDisruptionBudget' };
    const found = documents();
    expect(found.map(({ document }) => document.kind).sort()).toEqual(['Deployment', 'Deployment', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const { file, document } of found) {
      expect(schemaProblems(document, models[document.kind as string]!, file), file).toEqual([]);
    }
    // The check itself catches a misspelt field.
    expect(schemaProblems({ spec: { replica: 3 } }, 'V1Deployment', 'x')).toEqual(['x.spec.replica: unknown field of V1DeploymentSpec']);
  });

  it('names no namespace: kubectl -n or kustomize decides', () => {
    expect(documents().filter(({ document }) => JSON.stringify(document).includes('"namespace"'))).toEqual([]);
  });

  const deployments = () => documents().filter(({ document }) => document.kind === 'Deployment');
  it.each(deployments().map(({ file, document }) => [file, document as unknown as k8s.V1Deployment]))(
    '%s: 3 replicas of `leasehold run -- CMD` as the ServiceAccount, the pod name as identity prefix, probes on the health port, a PodDisruptionBudget',
    (_, deployment) => {
    const serviceAccount = documents().find(({ document }) => document.kind === 'ServiceAccount')!.document as unknown as k8s.V1ServiceAccount;
    expect(deployment.spec!.replicas).toBe(3);
    const pod = deployment.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe(serviceAccount.metadata!.name);
    const container = pod.containers[0]!;
    const command = container.command!;
    expect(command.slice(0, 2)).toEqual([command[0]!.endsWith('/leasehold') ? command[0] : 'leasehold', 'run']);
    expect(command.indexOf('--')).toBeGreaterThan(1);
    expect(command).toContain('--identity-prefix=$(POD_NAME)');
    expect(container.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const budget = documents().find(({ document }) => document.kind === 'PodDisruptionBudget' && (document as { spec: { selector: unknown } }).spec.selector && JSON.stringify((document as { spec: { selector: unknown } }).spec.selector) === JSON.stringify(deployment.spec!.selector));
    expect(budget).toBeDefined();
    const healthPort = Number(/^--health-probe-bind-address=:(\d+)$/.exec(command.find((arg) => arg.startsWith('--health-probe-bind-address='))!)![1]);
    const named = new Map(container.ports!.map((port) => [port.name, port.containerPort]));
    for (const probe of [container.livenessProbe!, container.readinessProbe!]) expect(named.get(String(probe.httpGet!.port))).toBe(healthPort);
    expect([container.livenessProbe!.httpGet!.path, container.readinessProbe!.httpGet!.path]).toEqual(['/healthz', '/readyz']);
    },
  );

  it("the Role grants exactly the lease verbs the built CLI sends (run's whole life, status and handover)", async () => {
    const sent = new Set<string>();
    fleet = await startFleet({
      onRequest: (verb, _code, request) => {
        if (request.url?.startsWith('/apis/coordination.k8s.io/v1/namespaces/')) sent.add(verb);
      },
    });
    const leader = startRunner(fleet, { identity: 'a', command: commands.worker });
    await fleet.observer.whenAlive('a');
    const candidate = startRunner(fleet, { identity: 'b', command: commands.worker });
    await candidate.printed('lease held by another process: waiting');
    leader.signal('SIGTERM');
    await fleet.observer.whenAlive('b');
    candidate.signal('SIGTERM');
    await candidate.exited;
    const status = runCli(['status', '--lease', 'job', '--kubeconfig', fleet.kubeconfig]);
    expect(await status.exited).toBe(0);
    // Nobody leads now: the request is written, waited on, and withdrawn at the timeout.
    const handover = runCli(['handover', '--lease', 'job', '--to', 'c', '--timeout', '500ms', '--kubeconfig', fleet.kubeconfig]);
    expect(await handover.exited).toBe(1);
    expect(handover.output()).toContain('request withdrawn');

    const role = documents().find(({ document }) => document.kind === 'Role')!.document as unknown as k8s.V1Role;
    const granted = new Set(role.rules!.filter((rule) => rule.apiGroups!.includes('coordination.k8s.io') && rule.resources!.includes('leases')).flatMap((rule) => rule.verbs));
    expect([...sent].sort()).toEqual([...granted].sort());
  });
});
