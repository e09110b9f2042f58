/**
 * A real Kubernetes control plane on loopback: one etcd member and one kube-apiserver, as a cluster
 * runs them, with
 * - serving certificates kube-apiserver generates for itself (self-signed, in its --cert-dir),
 * - a static admin token (group system:masters) and --authorization-mode=RBAC, so that every other
 *   identity has exactly the permissions a Role grants it,
 * - the service-account key flags kube-apiserver requires (TokenRequest works),
 * - feature gates as shipped, or with `coordinated` the CoordinatedLeaderElection gate and
 *   coordination.k8s.io/v1beta1 (LeaseCandidate) turned on.
 *
 * No controller-manager and no scheduler run: Deployments create no Pods, namespaces are not
 * finalised when deleted, ServiceAccounts get no token Secrets (use TokenRequest), garbage collection
 * never runs. Tests that need a Pod admit one with dryRun.
 *
 * Nothing is left behind however the owner ends: both processes get a parent-death signal (`setpriv
 * --pdeathsig`, so a SIGKILL of the owning process stops them too), etcd removes the state folder when
 * it stops, and a new control plane removes the folders of owners that are gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlaneBinaries } from './binaries.js';

const STATE_PREFIX = 'leasehold-control-plane-';
const READY_WITHIN_MS = 120_000;

export interface ControlPlaneOptions {
  binaries: ControlPlaneBinaries;
  /** Turns on CoordinatedLeaderElection and coordination.k8s.io/v1beta1. */
  coordinated?: boolean;
  log?: (line: string) => void;
}

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** A kubeconfig for the admin token (namespace "default"). */
  readonly kubeconfig: string;
  /** The admin bearer token (group system:masters). */
  readonly token: string;
  /** kube-apiserver's serving certificate chain, a CA bundle for clients. */
  readonly caFile: string;
  readonly binaries: ControlPlaneBinaries;
  readonly coordinated: boolean;
  /** A kubeconfig for the same server with another bearer token (a service account's). */
  kubeconfigFor(token: string, namespace?: string): string;
  /** Stops kube-apiserver (its watches end, its watch cache is gone) and starts it again on the same port. */
  restartApiServer(): Promise<void>;
  /** Stops both processes and removes everything they wrote. */
  stop(): Promise<void>;
}

export async function startControlPlane({ binaries, coordinated = false, log = () => {} }: ControlPlaneOptions): Promise<ControlPlane> {
  removeOrphanedState();
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), STATE_PREFIX));
  writeFileSync(join(dir, 'owner'), String(process.pid));
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'tokens.csv'), `${token},leasehold-admin,leasehold-admin,"system:masters"\n`);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'service-account.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'service-account.pub'), publicKey.export({ type: 'spki', format: 'pem' }));

  const processes: ChildProcess[] = [];
  const stopAll = async () => {
    for (const child of processes.reverse()) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, apiserverPort] = await freePorts(3);
    const etcd = startGuarded(binaries.etcd, ['--data-dir', join(dir, 'etcd'), '--listen-client-url', `http://127.0.0.1:${etcdClient}`, '--listen-peer-url', `http://127.0.0.1:${etcdPeer}`, '--remove-on-exit', dir], join(dir, 'etcd.log'), 'TERM');
    processes.push(etcd);
    const apiserverArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserverPort}`,
      `--cert-dir=${join(dir, 'certificates')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'service-account.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'service-account.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--profiling=false',
      // The kubernetes Service's endpoint would be 127.0.0.1, which the reconciler refuses; nothing here routes to it.
      '--endpoint-reconciler-type=none',
      ...(coordinated ? ['--feature-gates=CoordinatedLeaderElection=true', '--runtime-config=coordination.k8s.io/v1beta1=true'] : []),
    ];
    const url = `https://127.0.0.1:${apiserverPort}`;
    const caFile = join(dir, 'certificates', 'apiserver.crt');
    const startApiServer = async () => {
      const apiserver = startGuarded(binaries.kubeApiserver, apiserverArgs, join(dir, 'kube-apiserver.log'), 'KILL');
      processes.push(apiserver);
      await untilReady(url, token, caFile, apiserver, join(dir, 'kube-apiserver.log'));
      return apiserver;
    };
    let apiserver = await startApiServer();
    const kubeconfigFor = (bearer: string, namespace = 'default') => kubeconfigText(url, readFileSync(caFile), bearer, namespace);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigFor(token));
    log(`control plane: kube-apiserver v${binaries.kubernetesVersion} and etcd v${binaries.etcdVersion} ready at ${url} in ${((performance.now() - started) / 1000).toFixed(1)} s${coordinated ? ' (CoordinatedLeaderElection on)' : ''}`);
    return {
      url,
      kubeconfig,
      token,
      caFile,
      binaries,
      coordinated,
      kubeconfigFor,
      async restartApiServer() {
        await stopProcess(apiserver);
        processes.splice(processes.indexOf(apiserver), 1);
        apiserver = await startApiServer();
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A child that gets `deathSignal` when this process ends in any way, its output appended to `logFile`. */
function startGuarded(binary: string, args: string[], logFile: string, deathSignal: 'TERM' | 'KILL'): ChildProcess {
  const out = openSync(logFile, 'a');
  try {
    return spawn('setpriv', ['--pdeathsig', deathSignal, '--', binary, ...args], { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** /readyz is 200 (every post-start hook done, RBAC's bootstrap roles in place) and "default" exists. */
async function untilReady(url: string, token: string, caFile: string, apiserver: ChildProcess, logFile: string): Promise<void> {
  const giveUp = performance.now() + READY_WITHIN_MS;
  let last = 'no answer';
  while (performance.now() < giveUp) {
    if (apiserver.exitCode !== null || apiserver.signalCode !== null) break;
    if (existsSync(caFile)) {
      try {
        const ready = await get(`${url}/readyz`, token, caFile);
        const namespace = ready.status === 200 ? await get(`${url}/api/v1/namespaces/default`, token, caFile) : ready;
        if (namespace.status === 200) return;
        last = `${namespace.status} ${namespace.body.slice(0, 200)}`;
      } catch (error) {
        last = (error as Error).message;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n') : '';
  const why = apiserver.exitCode !== null || apiserver.signalCode !== null ? `kube-apiserver exited (${apiserver.exitCode ?? apiserver.signalCode})` : `kube-apiserver was not ready within ${READY_WITHIN_MS / 1000} s (last: ${last})`;
  throw new Error(`${why}; the end of its log:\n${tail}`);
}

function get(url: string, token: string, caFile: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ca: readFileSync(caFile), timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function kubeconfigText(url: string, ca: Buffer, token: string, namespace: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: leasehold-control-plane',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${ca.toString('base64')}`,
    'users:',
    '- name: leasehold-user',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: leasehold-control-plane',
    '  context:',
    '    cluster: leasehold-control-plane',
    '    user: leasehold-user',
    `    namespace: ${namespace}`,
    'current-context: leasehold-control-plane',
    '',
  ].join('\n');
}

/** `count` distinct ports free on 127.0.0.1, held open together so that none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** State folders whose owner process is gone (it was killed before its etcd could remove them). */
function removeOrphanedState(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(STATE_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const ownerFile = join(dir, 'owner');
    // A folder without an owner yet may be another process's, being made right now.
    if (!existsSync(ownerFile)) {
      if (Date.now() - statSync(dir).mtimeMs < 60_000) continue;
    } else if (isAlive(Number(readFileSync(ownerFile, 'utf8')))) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The process exists (signal 0 reaches it, or it exists but is another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
