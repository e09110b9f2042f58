/**
 * deploy/ is a complete example that `kubectl apply -f deploy/` accepts: every document matches
 * the Kubernetes API schema (client-node's generated models, field by field), kubectl applies it
 * (client-side dry run) against the embedded server, the Role grants exactly the lease verbs the
 * built CLI sends, and the Deployment runs `leasehold run -- CMD` with probes on its health port.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { startLeaseApiServer } from '../../src/server/index.js';
import { runCli } from '../support/cli.js';
import { commands, startFleet, startRunner, type Fleet } from '../support/sidecar.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const documents = () =>
  readdirSync(DEPLOY)
    .filter((file) => file.endsWith('.yaml'))
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

/**
 * The embedded server serves only Leases; kubectl maps every kind through discovery first. This
 * front answers discovery for the kinds of deploy/ (as kube-apiserver lists them), 404 for reading
 * such an object (so apply plans a create), and forwards everything else to the embedded server.
 */
async function discoveryFront(target: string) {
  const resource = (name: string, kind: string, namespaced = true) => ({ name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] });
  const extraGroups: Record<string, { kind: string; name: string }[]> = {
    'rbac.authorization.k8s.io/v1': [{ name: 'roles', kind: 'Role' }, { name: 'rolebindings', kind: 'RoleBinding' }],
    'apps/v1': [{ name: 'deployments', kind: 'Deployment' }],
  };
  const json = (response: ServerResponse, status: number, body: unknown) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const pass = (request: IncomingMessage, response: ServerResponse, rewrite?: (body: Record<string, unknown>) => unknown) => {
    const upstream = forward(`${target}${request.url}`, { method: request.method, headers: { ...request.headers, accept: 'application/json' } }, (answer) => {
      if (!rewrite) {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        return answer.pipe(response);
      }
      let text = '';
      answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
      answer.on('end', () => json(response, answer.statusCode ?? 502, rewrite(JSON.parse(text) as Record<string, unknown>)));
    });
    request.pipe(upstream);
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://front').pathname;
    if (path === '/apis') {
      return pass(request, response, (list) => ({
        ...list,
        groups: [
          ...(list.groups as unknown[]),
          ...Object.keys(extraGroups).map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: 'v1' }], preferredVersion: { groupVersion: gv, version: 'v1' } })),
        ],
      }));
    }
    if (path === '/api/v1') {
      return pass(request, response, (list) => ({ ...list, resources: [...(list.resources as unknown[]), resource('serviceaccounts', 'ServiceAccount')] }));
    }
    const group = /^\/apis\/([^/]+\/v1)$/.exec(path)?.[1];
    if (group && extraGroups[group]) return json(response, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group, resources: extraGroups[group].map((r) => resource(r.name, r.kind)) });
    const kind = /\/(serviceaccounts|roles|rolebindings|deployments)\/([^/]+)$/.exec(path);
    if (kind) return json(response, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${kind[1]} "${kind[2]}" not found` });
    pass(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe('deploy/', () => {
  it('every document matches the Kubernetes schema of its kind, field by field', () => {
    const models: Record<string, string> = { ServiceAccount: 'V1ServiceAccount', Role: 'V1Role', RoleBinding: 'V1RoleBinding', Deployment: 'V1Deployment' };
    const found = documents();
    expect(found.map(({ document }) => document.kind).sort()).toEqual(['Deployment', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const { file, document } of found) {
      expect(schemaProblems(document, models[document.kind as string]!, file), file).toEqual([]);
    }
    // The check itself catches a misspelt field.
    expect(schemaProblems({ spec: { replica: 3 } }, 'V1Deployment', 'x')).toEqual(['x.spec.replica: unknown field of V1DeploymentSpec']);
  });

  it('kubectl apply --dry-run=client -f deploy/ accepts it', async () => {
    if (spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error) {
      throw new Error("kubectl is not installed: install Debian's kubernetes-client (.ci/run does this)");
    }
    const server = await startLeaseApiServer();
    const front = await discoveryFront(server.url);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'leasehold-deploy-'));
      writeFileSync(join(dir, 'kubeconfig'), kubeConfigFor(front.url));
      const env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache') };
      // --validate=false: the embedded server has no OpenAPI schema for these kinds (the test above checks them).
      const { stdout } = await promisify(execFile)('kubectl', ['apply', '--dry-run=client', '--validate=false', '-f', DEPLOY], { env });
      expect(stdout.split('\n').filter(Boolean).sort()).toEqual([
        'deployment.apps/nightly-report created (dry run)',
        'role.rbac.authorization.k8s.io/leasehold created (dry run)',
        'rolebinding.rbac.authorization.k8s.io/leasehold created (dry run)',
        'serviceaccount/leasehold created (dry run)',
      ]);
    } finally {
      await front.close();
      await server.close();
    }
  });

  it('the Deployment: 3 replicas of `leasehold run -- CMD` as the ServiceAccount, probes on the health port', () => {
    const deployment = documents().find(({ document }) => document.kind === 'Deployment')!.document as unknown as k8s.V1Deployment;
    const serviceAccount = documents().find(({ document }) => document.kind === 'ServiceAccount')!.document as unknown as k8s.V1ServiceAccount;
    expect(deployment.spec!.replicas).toBe(3);
    const pod = deployment.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe(serviceAccount.metadata!.name);
    const container = pod.containers[0]!;
    const command = container.command!;
    expect(command.slice(0, 2)).toEqual(['leasehold', 'run']);
    expect(command.indexOf('--')).toBeGreaterThan(1);
    const healthPort = Number(/^--health-probe-bind-address=:(\d+)$/.exec(command.find((arg) => arg.startsWith('--health-probe-bind-address='))!)![1]);
    const named = new Map(container.ports!.map((port) => [port.name, port.containerPort]));
    for (const probe of [container.livenessProbe!, container.readinessProbe!]) expect(named.get(String(probe.httpGet!.port))).toBe(healthPort);
    expect([container.livenessProbe!.httpGet!.path, container.readinessProbe!.httpGet!.path]).toEqual(['/healthz', '/readyz']);
  });

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
