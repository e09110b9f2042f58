/**
 * kubectl, unchanged, against the embedded server, with every kubectl the machine can give
 * (test/support/kubectl.ts): get, get -o yaml, apply, delete, get -w, and the read-only commands
 * (diff, --dry-run=server) that must change nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { forEachKubectl, type Kubectl } from '../support/kubectl.js';
import { leadOnce } from '../support/serverClient.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

forEachKubectl('kubectl.test.ts', { describe, it }, (kubectl: Kubectl) => {
  let server: LeaseApiServer;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const manifest = (name: string, holder: string) =>
    `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: ${name}\n  labels: {app: demo}\nspec:\n  holderIdentity: ${holder}\n  leaseDurationSeconds: 15\n`;
  const run = (...args: string[]) => kubectl.run(args, env);
  const file = (name: string, holder: string) => {
    const path = join(dir, `${name}-${holder}.yaml`);
    writeFileSync(path, manifest(name, holder));
    return path;
  };
  const validate: string[] = [];
  const apply = (name: string, holder: string, ...flags: string[]) => run('apply', '-f', file(name, holder), ...validate, ...flags);
  /** What the server stored, read over plain HTTP (never through the kubectl under test). */
  const stored = async (name: string) => {
    const response = await fetch(`${server.url}${LEASES}/${name}`);
    return response.status === 404 ? undefined : ((await response.json()) as { metadata: { resourceVersion: string }; spec: { holderIdentity?: string } });
  };
  const revision = async () => ((await (await fetch(`${server.url}${LEASES}`)).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

  const requests: string[] = [];
  /** Resolves once kubectl has a watch open on the server. */
  const watching = async (name: string) => {
    while (!requests.some((url) => /[?&]watch=(1|true)/.test(url) && url.includes(name))) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  beforeAll(async () => {
    server = await startLeaseApiServer({ onRequest: (_verb, _code, request) => requests.push(decodeURIComponent(request.url ?? '')) });
    dir = mkdtempSync(join(tmpdir(), 'leasehold-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), server.kubeConfig());
    env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache') };
  });
  afterAll(async () => server?.close());

  it('a lease applied before a restart of a --data-dir server is there after it, at the same resourceVersion', async () => {
    const dataDir = join(dir, `data-${kubectl.version}`);
    const withServer = async <T>(body: (kubeconfigEnv: NodeJS.ProcessEnv) => Promise<T>) => {
      const durable = await startLeaseApiServer({ dataDir });
      try {
        writeFileSync(join(dir, 'durable'), durable.kubeConfig());
        return await body({ ...env, KUBECONFIG: join(dir, 'durable') });
      } finally {
        await durable.close();
      }
    };
    const version = (out: string) => /resourceVersion: "(\d+)"/.exec(out)![1];
    const before = await withServer(async (durableEnv) => {
      await kubectl.run(['apply', '-f', file('durable', 'pat')], durableEnv);
      return kubectl.run(['get', 'lease', 'durable', '-o', 'yaml'], durableEnv);
    });
    const after = await withServer((durableEnv) => kubectl.run(['get', 'lease', 'durable', '-o', 'yaml'], durableEnv));
    expect(after).toContain('holderIdentity: pat');
    expect(version(after)).toBe(version(before));
  });

  it('auth can-i against a server that needs a token: refused, as kubectl sends no token over plain http', async () => {
    const guarded = await startLeaseApiServer({ token: 'kubectl-secret' });
    try {
      writeFileSync(join(dir, 'guarded'), guarded.kubeConfig());
      const canI = kubectl.run(['auth', 'can-i', 'update', 'leases'], { ...env, KUBECONFIG: join(dir, 'guarded') });
      // As kube-apiserver refuses system:anonymous (test/conformance): even the question.
      await expect(canI).rejects.toThrow(/Forbidden.*User "system:anonymous" cannot create resource "selfsubjectaccessreviews"/);
    } finally {
      await guarded.close();
    }
  });

  it('get, apply (create and update), get -o yaml, get -A, delete', async () => {
    // Its own namespace: other tests' leases in "default" do not change what it lists, whatever the order.
    const ns = ['-n', 'crud'];
    expect(await run('get', 'leases', ...ns)).toBe('');
    expect(await apply('applied', 'alice', ...ns)).toContain('lease.coordination.k8s.io/applied created');
    expect(await run('get', 'leases', ...ns)).toMatch(/^NAME\s+HOLDER\s+AGE\napplied\s+alice\s+\d+s\n$/);
    expect(await apply('applied', 'bob', ...ns)).toContain('lease.coordination.k8s.io/applied configured');
    const yaml = await run('get', 'lease', 'applied', '-o', 'yaml', ...ns);
    expect(yaml).toContain('holderIdentity: bob');
    expect(yaml).toContain('namespace: crud');
    expect(yaml).toMatch(/resourceVersion: "\d+"/);
    expect(yaml).toContain('app: demo');
    expect(await run('get', 'leases', '-A')).toMatch(/^NAMESPACE\s+NAME\s+HOLDER\s+AGE\n(.*\n)*crud\s+applied\s+bob\s/);
    await expect(run('get', 'lease', 'nope', ...ns)).rejects.toThrow('leases.coordination.k8s.io "nope" not found');
    expect(await run('delete', 'lease', 'applied', ...ns)).toContain('lease.coordination.k8s.io "applied" deleted');
    expect(await run('get', 'leases', '-o', 'name', ...ns)).toBe('');
  });

  it('explain shows every field with its description (OpenAPI v2 for 1.20, v3 after)', async () => {
    expect(await run('explain', 'lease.spec.holderIdentity')).toContain('Who holds the lease now; empty when nobody does.');
    const spec = await run('explain', 'lease.spec');
    for (const field of ['acquireTime', 'holderIdentity', 'leaseDurationSeconds', 'leaseTransitions', 'renewTime']) expect(spec).toContain(field);
    expect(spec).not.toContain('<no description>');
    expect(await run('explain', 'events.involvedObject')).toContain('The object this event is about.');
  });

  it('get -w sees a holder change', async () => {
    await apply('watched', 'carol');
    const watcher = spawn(kubectl.path, ['get', 'lease', 'watched', '-w'], { env });
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
      await apply('watched', 'dave');
      await sawHolder('dave');
      expect(output).toMatch(/watched\s+carol[\s\S]*watched\s+dave/);
    } finally {
      watcher.kill();
    }
  });

  const patchHolder = (name: string, holder: string) =>
    fetch(`${server.url}${LEASES}/${name}`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { holderIdentity: holder } }) });

  it('wait --for=delete returns once the lease is deleted', async () => {
    await apply('deleted', 'judy');
    requests.length = 0;
    const deleted = run('wait', '--for=delete', 'lease/deleted', '--timeout=30s');
    await watching('deleted');
    await fetch(`${server.url}${LEASES}/deleted`, { method: 'DELETE' });
    expect(await deleted).toMatch(/deleted (condition met|deleted)/);
    expect(await stored('deleted')).toBeUndefined();
  });

  // One test per version range, each asserting what that kubectl does: no version skips it.
  if (kubectl.minor >= 23) {
    it(`wait --for=jsonpath on a holder returns once it holds (1.23+), ${kubectl.minor >= 35 ? 'through a streaming list (1.35+)' : 'through a plain watch (before 1.35)'}`, async () => {
      await apply('waited', 'judy');
      requests.length = 0;
      const waited = run('wait', '--for=jsonpath={.spec.holderIdentity}=kim', 'lease/waited', '--timeout=30s');
      await watching('waited');
      await patchHolder('waited', 'kim');
      expect(await waited).toContain('lease.coordination.k8s.io/waited condition met');
      expect(requests.some((url) => url.includes('sendInitialEvents=true'))).toBe(kubectl.minor >= 35);
    });
  } else {
    it('wait --for=jsonpath is refused before 1.23 (an unknown condition), and the lease is untouched', async () => {
      await apply('waited', 'judy');
      await expect(run('wait', '--for=jsonpath={.spec.holderIdentity}=kim', 'lease/waited', '--timeout=5s')).rejects.toThrow(/unrecognized condition/);
      expect((await stored('waited'))?.spec.holderIdentity).toBe('judy');
    });
  }

  it('apply --server-side creates and updates, conflicts with another manager naming it, --force-conflicts takes the field', async () => {
    expect(await apply('ssa', 'lena', '--server-side')).toContain('lease.coordination.k8s.io/ssa serverside-applied');
    expect((await stored('ssa'))?.spec.holderIdentity).toBe('lena');
    await fetch(`${server.url}${LEASES}/ssa?fieldManager=elector`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { holderIdentity: 'mona' } }),
    });
    await expect(apply('ssa', 'nina', '--server-side')).rejects.toThrow(/conflict with "elector".*\.spec\.holderIdentity/s);
    expect((await stored('ssa'))?.spec.holderIdentity).toBe('mona');
    expect(await apply('ssa', 'nina', '--server-side', '--force-conflicts')).toContain('serverside-applied');
    const lease = (await stored('ssa')) as unknown as { spec: { holderIdentity: string }; metadata: { managedFields: { manager: string; operation: string; fieldsV1: object }[] } };
    expect(lease.spec.holderIdentity).toBe('nina');
    const kubectlFields = lease.metadata.managedFields.find((e) => e.manager === 'kubectl' && e.operation === 'Apply');
    expect(kubectlFields?.fieldsV1).toMatchObject({ 'f:spec': { 'f:holderIdentity': {} } });
    expect(lease.metadata.managedFields.some((e) => e.manager === 'elector')).toBe(false); // it owned only the holder
  });

  it('get events shows the leader changes the Kubernetes adapter recorded', async () => {
    await leadOnce(server.kubeConfig(), 'elected', 'pod-7');
    let events = '';
    while (!events.includes('pod-7 stopped leading')) events = await run('get', 'events');
    expect(events).toMatch(/LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    expect(events).toMatch(/\d+s\s+Normal\s+LeaderElection\s+lease\/elected\s+pod-7 became leader/);
    expect(await run('get', 'events', '--field-selector', 'involvedObject.name=elected', '-o', 'name')).toMatch(/^event\/elected\.[0-9a-f]+$/m);
  });

  it('auth can-i: yes for what the server serves, no for what it does not', async () => {
    expect((await run('auth', 'can-i', 'create', 'leases')).trim()).toBe('yes');
    expect((await run('auth', 'can-i', 'watch', 'leases.coordination.k8s.io', '-n', 'team-a')).trim()).toBe('yes');
    expect((await run('auth', 'can-i', 'create', 'events')).trim()).toBe('yes');
    await expect(run('auth', 'can-i', 'create', 'pods')).rejects.toThrow(/no/);
  });

  it('shows the server\'s refusals: an invalid label value, an impossible renewTime, a bad namespace', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, manifest('bad', 'olga').replace('labels: {app: demo}', 'labels: {app: "not valid"}'));
    await expect(run('apply', '-f', path)).rejects.toThrow(/metadata\.labels: Invalid value: "not valid"/);
    writeFileSync(path, `${manifest('bad', 'olga')}  renewTime: "2024-13-45T99:99:99.000000Z"\n`);
    await expect(run('create', '-f', path, '--validate=false')).rejects.toThrow(/cannot parse as MicroTime/);
    await expect(run('create', '-f', file('bad', 'olga'), '-n', 'Bad_NS')).rejects.toThrow(/metadata\.namespace|Bad_NS/);
    expect(await stored('bad')).toBeUndefined();
  });

  it('--dry-run=server create, apply, patch and delete, and diff, store nothing', async () => {
    expect(await run('create', '-f', file('dry', 'erin'), ...validate, '--dry-run=server')).toContain('lease.coordination.k8s.io/dry created (server dry run)');
    expect(await stored('dry')).toBeUndefined();
    expect(await apply('dry', 'erin', '--dry-run=server')).toContain('(server dry run)');
    expect(await stored('dry')).toBeUndefined();

    await apply('dry', 'frank');
    const before = await stored('dry');
    const versionBefore = await revision();
    expect(await apply('dry', 'grace', '--dry-run=server')).toContain('lease.coordination.k8s.io/dry configured (server dry run)');
    expect(await run('patch', 'lease', 'dry', '--type=merge', '-p', '{"spec":{"holderIdentity":"heidi"}}', '--dry-run=server')).toContain('patched');
    // kubectl diff: exit 1 and the change shown, the live lease untouched.
    await expect(run('diff', '-f', file('dry', 'ivan'), ...validate)).rejects.toThrow(/holderIdentity: ivan/);
    expect(await run('delete', 'lease', 'dry', '--dry-run=server')).toMatch(/deleted.*\(server dry run\)/);
    expect(await stored('dry')).toEqual(before);
    expect(await revision()).toBe(versionBefore);
  });
});
