/**
 * `leasehold run` and `status` (the built bin) as a user meets them: exit codes, flags and their
 * errors, finding the cluster, refusals of the API server, and the probe and metrics endpoints.
 * Judged from outside: exit codes, what the server stored, what a client reaches.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { runCli } from '../support/cli.js';
import { startFaultProxy } from '../support/faultProxy.js';
import { fakePod } from '../support/inCluster.js';
import { commands, FAST_TIMING, type Fleet, startFleet, startRunner, termOf } from '../support/sidecar.js';

let fleet: Fleet | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const NO_STACK = /\n\s+at /;
const scratch = () => mkdtempSync(join(tmpdir(), 'leasehold-cli-'));

describe('leasehold run', () => {
  it('runs CMD only while leading; when CMD exits it releases, exits with its status, and the next one leads with a higher term', async () => {
    fleet = await startFleet();
    const exitsWith3 = ['sh', '-c', 'echo "$LEASEHOLD_TERM" > "$PID_DIR/$LEASEHOLD_IDENTITY.term"; echo $$ > "$PID_DIR/$LEASEHOLD_IDENTITY.pid"; sleep 1; exit 3'];
    const a = startRunner(fleet, { identity: 'a', command: exitsWith3 });
    await fleet.observer.whenAlive('a');
    const b = startRunner(fleet, { identity: 'b', command: commands.worker });
    expect(await a.exited).toBe(3);
    await fleet.observer.whenAlive('b');
    expect(await fleet.holder()).toBe('b');
    expect(termOf(fleet, 'b')).toBe(termOf(fleet, 'a') + 1);
    expect(fleet.observer.maxAlive).toBe(1);
    b.signal('SIGTERM');
    expect(await b.exited).toBe(143);
    expect(await fleet.holder()).toBe(''); // released on the way out
  });

  it('CMD that cannot start: 127 (not found) or 126 (not executable) at once, without taking the lease', async () => {
    fleet = await startFleet();
    const dir = scratch();
    const notExecutable = join(dir, 'script.sh');
    writeFileSync(notExecutable, '#!/bin/sh\necho hi\n');
    chmodSync(notExecutable, 0o644);
    const cases = [
      { command: ['/nonexistent/cmd'], code: 127, says: '/nonexistent/cmd: no such file' },
      { command: ['leasehold-no-such-command'], code: 127, says: 'leasehold-no-such-command: not found in PATH' },
      { command: [notExecutable], code: 126, says: `${notExecutable} is not executable` },
      { command: [dir], code: 126, says: `${dir} is a directory` },
    ];
    const runs = cases.map((c, i) => ({ ...c, runner: startRunner(fleet!, { identity: `r${i}`, command: c.command, lease: `job-${i}` }) }));
    for (const [i, { code, says, runner }] of runs.entries()) {
      expect(await runner.exited, says).toBe(code);
      expect(runner.output()).toContain(says);
      expect(await fleet.holder(`job-${i}`), 'lease untouched').toBeUndefined();
    }
  });

  it('CMD whose exec fails after the lease was taken (a missing interpreter): 127, lease released', async () => {
    fleet = await startFleet();
    const script = join(fleet.dir, 'broken.sh');
    writeFileSync(script, '#!/nonexistent/interpreter\n');
    chmodSync(script, 0o755);
    const runner = startRunner(fleet, { identity: 'a', command: [script] });
    expect(await runner.exited).toBe(127);
    expect(await fleet.holder()).toBe('');
  });

  it('--embedded: a private Lease API server, said so, and no kubeconfig file left behind', async () => {
    const tmp = scratch();
    const cli = runCli(['run', '--embedded', '--lease', 'job', '--', 'sh', '-c', 'echo "held $LEASEHOLD_LEASE term $LEASEHOLD_TERM by $LEASEHOLD_IDENTITY"'], {
      ...process.env,
      TMPDIR: tmp,
    });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/--embedded: leases live in a Lease API server inside this process/);
    expect(cli.output()).toMatch(/held default\/job term 0 by .+_[0-9a-f-]{36}\n/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('every flag error names the flag as typed, exits 2, and prints no stack trace', async () => {
    const dir = scratch();
    const badYaml = join(dir, 'bad.yaml');
    writeFileSync(badYaml, 'clusters: [\n');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => void busy.close());
    const busyAddress = `127.0.0.1:${(busy.address() as AddressInfo).port}`;
    const kubeconfig = join(dir, 'kubeconfig');
    const server = await startLeaseApiServer();
    cleanups.push(() => server.close());
    writeFileSync(kubeconfig, server.kubeConfig());
    const run = (...flags: string[]) => ['run', '--lease', 'job', '--kubeconfig', kubeconfig, ...FAST_TIMING, ...flags, '--', 'true'];
    const cases: Array<[string[], string, NodeJS.ProcessEnv?]> = [
      [['run', '--lease', 'job', '--bogus', '--', 'true'], 'unknown flag --bogus'],
      [['run', '--lease', 'job', '-x', '--', 'true'], 'unknown flag -x'],
      [['run', '--lease'], '--lease needs a value'],
      [['run', '--lease', '--namespace', 'x', '--', 'true'], '--lease needs a value'],
      [['run', '--', 'true'], '--lease NAME is required'],
      [['run', '--lease', 'job'], 'give the command to run after --'],
      [['run', '--lease', 'job', 'true'], 'unexpected argument "true" (put the command to run after --)'],
      [['run', '--lease', 'job', '--embedded=yes', '--', 'true'], '--embedded takes no value'],
      [['run', '--lease', 'job', '--lease-duration', 'soon', '--', 'true'], '--lease-duration: invalid duration "soon"'],
      [['run', '--lease', 'job', '--lease-duration', '1s', '--renew-deadline', '2s', '--', 'true'], '--lease-duration must be greater than --renew-deadline'],
      [['run', '--lease', 'job', '--lease-duration', '1500ms', '--renew-deadline', '1s', '--retry-period', '500ms', '--', 'true'], '--lease-duration 1500ms must be whole seconds: a Lease stores leaseDurationSeconds as an integer'],
      [run('--grace-period', '1s'), '--grace-period 1s must be shorter than --lease-duration - --renew-deadline'],
      [run('--health-probe-bind-address', '8081'), '--health-probe-bind-address "8081": expected [HOST]:PORT'],
      [run('--metrics-bind-address', ':99999'), '--metrics-bind-address ":99999": expected [HOST]:PORT'],
      [run('--health-probe-bind-address', busyAddress), `--health-probe-bind-address ${busyAddress}: cannot listen: address already in use`],
      [run('--log-format', 'xml'), '--log-format must be one of text, json, not "xml"'],
      [run('--log-level', 'loud'), '--log-level must be one of debug, info, warn, error'],
      [run('--embedded'), '--embedded and --kubeconfig exclude each other'],
      [['run', '--lease', 'job', '--kubeconfig', dir, '--', 'true'], `--kubeconfig ${dir} is a directory, not a kubeconfig file`],
      [['run', '--lease', 'job', '--kubeconfig', join(dir, 'missing'), '--', 'true'], `--kubeconfig ${join(dir, 'missing')}: no such file`],
      [['run', '--lease', 'job', '--kubeconfig', badYaml, '--', 'true'], `--kubeconfig ${badYaml}: not a valid kubeconfig`],
      [['run', '--lease', 'job', '--', 'true'], `KUBECONFIG=${join(dir, 'missing')}: none of these files exists`, { ...process.env, KUBECONFIG: join(dir, 'missing') }],
      [['run', '--lease', 'job', '--', 'true'], 'no cluster found: pass --kubeconfig FILE', { ...process.env, KUBECONFIG: '', HOME: dir, KUBERNETES_SERVICE_HOST: '' }],
      [['status', '--lease', 'job', '--watch=1'], '--watch takes no value'],
      [['serve', '--port', 'eighty'], '--port must be a port 0-65535'],
    ];
    const runs = cases.map(([args, says, env]) => ({ args, says, cli: runCli(args, env) }));
    for (const { args, says, cli } of runs) {
      expect(await cli.exited, args.join(' ')).toBe(2);
      expect(cli.output(), args.join(' ')).toContain(says);
      expect(cli.output(), args.join(' ')).not.toMatch(NO_STACK);
    }
  });

  it('--help on every command, from parseArgs', async () => {
    const runs = ['demo', 'serve', 'run', 'status'].flatMap((command) => [
      { command, cli: runCli([command, '--help']) },
      { command, cli: runCli([command, '-h']) },
      { command, cli: runCli(['help', command]) },
    ]);
    for (const { command, cli } of runs) {
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toMatch(new RegExp(`^usage: leasehold ${command} `));
    }
    const run = runCli(['run', '--help']);
    await run.exited;
    for (const documented of ['--health-probe-bind-address', '--metrics-bind-address', '--log-format', '--log-level', '--embedded', 'LEASEHOLD_TERM']) {
      expect(run.output()).toContain(documented);
    }
    const bare = runCli([]);
    expect(await bare.exited).toBe(2);
    expect(bare.output()).toContain('leasehold <command> --help');
  });

  describe('requests the API server refuses for good: exit 2 with its message and the flag involved', () => {
    it('a lease name no API server would take (--lease): refused before anything is sent', async () => {
      fleet = await startFleet();
      const runner = startRunner(fleet, { identity: 'a', command: commands.worker, lease: 'Not_A_Name' });
      expect(await runner.exited).toBe(2);
      expect(runner.output()).toMatch(/lease name "Not_A_Name" is not a Kubernetes object name: a lowercase RFC 1123 subdomain .*\(check --lease\)/);
      expect(fleet.observer.lives.size).toBe(0);
      expect((await fleet.api.listNamespacedLease({ namespace: 'default' })).items).toEqual([]);
    });

    it('400: a lease duration beyond leaseDurationSeconds (--lease-duration)', async () => {
      fleet = await startFleet();
      const flags = ['--lease-duration', '1000000h', '--renew-deadline', '10s', '--retry-period', '2s'];
      const runner = startRunner(fleet, { identity: 'a', command: commands.worker, flags });
      expect(await runner.exited).toBe(2);
      expect(runner.output()).toMatch(/check --lease-duration\): .*leaseDurationSeconds/);
    });

    it('403 (with the RBAC hint) and 401', async () => {
      fleet = await startFleet({ token: 'right' });
      const proxy = await startFaultProxy(fleet.server.url);
      cleanups.push(() => proxy.close());
      const forbidden = {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: 'leases.coordination.k8s.io "job" is forbidden: User "system:serviceaccount:default:app" cannot get resource "leases"',
      };
      proxy.faults = () => ({ status: 403, body: forbidden });
      const viaProxy = join(fleet.dir, 'kubeconfig-proxy');
      writeFileSync(viaProxy, kubeConfigFor(proxy.url, 'right'));
      const wrongToken = join(fleet.dir, 'kubeconfig-wrong');
      writeFileSync(wrongToken, kubeConfigFor(fleet.server.url, 'wrong'));
      const rejected = startRunner(fleet, { identity: 'a', command: commands.worker, kubeconfig: viaProxy });
      const unauthenticated = startRunner(fleet, { identity: 'b', command: commands.worker, kubeconfig: wrongToken });
      expect(await rejected.exited).toBe(2);
      expect(rejected.output()).toContain('cannot get resource "leases"');
      expect(rejected.output()).toContain('grant the verb "get" on leases.coordination.k8s.io in namespace default');
      expect(await unauthenticated.exited).toBe(2);
      expect(unauthenticated.output()).toContain('rejected the credentials');
    });

    it('a transient 503 is retried, and the runner leads once the API answers', async () => {
      fleet = await startFleet();
      const proxy = await startFaultProxy(fleet.server.url);
      cleanups.push(() => proxy.close());
      proxy.faults = () => ({ status: 503, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 503, message: 'etcd is busy' } });
      const viaProxy = join(fleet.dir, 'kubeconfig-proxy');
      writeFileSync(viaProxy, kubeConfigFor(proxy.url));
      const runner = startRunner(fleet, { identity: 'a', command: commands.worker, kubeconfig: viaProxy });
      await runner.printed(/retrying[^\n]*etcd is busy/);
      proxy.faults = undefined;
      await fleet.observer.whenAlive('a');
      expect(await fleet.holder()).toBe('a');
    });
  });

  it('--health-probe-bind-address :PORT binds every interface and serves /healthz and /readyz; --metrics-bind-address serves /metrics', async () => {
    fleet = await startFleet();
    const runner = startRunner(fleet, {
      identity: 'a',
      command: commands.worker,
      flags: [...FAST_TIMING, '--health-probe-bind-address', ':0', '--metrics-bind-address', '127.0.0.1:0'],
    });
    await fleet.observer.whenAlive('a');
    const health = Number(/serving \/healthz and \/readyz .*url=http:\/\/\S+:(\d+)/.exec(runner.output())![1]);
    const metrics = Number(/serving \/metrics .*url=http:\/\/127\.0\.0\.1:(\d+)/.exec(runner.output())![1]);
    expect(listensOnEveryInterface(health), 'health port bound to every interface').toBe(true);
    expect(listensOnEveryInterface(metrics), 'metrics port bound to loopback only').toBe(false);
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`http://127.0.0.1:${health}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toBe('ok\n');
    }
    const scrape = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    expect(scrape).toContain('leader_election_master_status{name="default/job"} 1');
    expect(scrape).toMatch(/leasehold_api_requests_total\{name="default\/job",verb="create",code="201"\} 1\n/); // it created the lease
  });
});

/** From /proc/net/tcp{,6}: a socket listening on `port` at the wildcard address (0.0.0.0 or ::). */
function listensOnEveryInterface(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => {
        const [, local, , state] = line.trim().split(/\s+/);
        return state === '0A' && local === `${'0'.repeat(file.endsWith('6') ? 32 : 8)}:${hex}`;
      }),
  );
}

describe('leasehold status finds the cluster as kubectl does', () => {
  it('--kubeconfig, then $KUBECONFIG, then ~/.kube/config, then the service account; namespace from --namespace, the service account, the context', async () => {
    const servers: Record<string, LeaseApiServer> = {};
    const files: Record<string, string> = {};
    const dir = scratch();
    for (const name of ['flag', 'env', 'home', 'pod']) {
      const server = (servers[name] = await startLeaseApiServer(name === 'pod' ? { token: 'sa' } : {}));
      cleanups.push(() => server.close());
      const kc = new KubeConfig();
      kc.loadFromString(server.kubeConfig());
      const api = kc.makeApiClient(CoordinationV1Api);
      for (const namespace of ['batch', 'team', 'other']) {
        await api.createNamespacedLease({ namespace, body: { metadata: { name: 'who' }, spec: { holderIdentity: `${name}-${namespace}` } } });
      }
      files[name] = join(dir, `${name}.kubeconfig`);
      writeFileSync(files[name], server.kubeConfig().replace('namespace: default', 'namespace: team'));
    }
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), readFileSync(files.home!));
    const pod = await fakePod(servers.pod!.port, { token: 'sa', namespace: 'batch' });
    cleanups.push(() => pod.close());
    const emptyHome = join(dir, 'empty');
    mkdirSync(emptyHome);
    const noPod = { KUBERNETES_SERVICE_HOST: '', LEASEHOLD_IN_CLUSTER_ROOT: '' };
    const cases: Array<{ flags: string[]; env: NodeJS.ProcessEnv; holder: string }> = [
      { flags: ['--kubeconfig', files.flag!], env: { ...pod.env, KUBECONFIG: files.env, HOME: home }, holder: 'flag-batch' },
      { flags: [], env: { ...pod.env, KUBECONFIG: files.env, HOME: home }, holder: 'env-batch' },
      { flags: [], env: { ...pod.env, HOME: home }, holder: 'home-batch' },
      { flags: [], env: pod.env, holder: 'pod-batch' },
      { flags: ['--namespace', 'other'], env: pod.env, holder: 'pod-other' },
      { flags: [], env: { ...noPod, KUBECONFIG: '', HOME: home }, holder: 'home-team' },
      { flags: ['--namespace', 'other'], env: { ...noPod, KUBECONFIG: `${join(dir, 'missing')}:${files.env}`, HOME: emptyHome }, holder: 'env-other' },
    ];
    const runs = cases.map((c) => ({ ...c, cli: runCli(['status', '--lease', 'who', ...c.flags], { ...process.env, ...c.env }) }));
    for (const { holder, cli } of runs) {
      expect(await cli.exited, cli.output()).toBe(0);
      expect(cli.output()).toMatch(new RegExp(`holder: +${holder}\n`));
    }
  });
});
