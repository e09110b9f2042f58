/**
 * `npm run cluster`: builds (once, cached) and starts a real control plane, etcd and kube-apiserver
 * on loopback, and writes a kubeconfig for it.
 *
 *   npm run cluster                         start it and wait for Ctrl-C
 *   npm run cluster -- -- CMD [ARGS...]     run CMD with LEASEHOLD_KUBECONFIG and KUBECONFIG set to
 *                                           it, then stop it; exits with CMD's status
 *   npm run cluster -- --build              build the binaries (if not cached) and exit
 *   --coordinated                           CoordinatedLeaderElection and coordination.k8s.io/v1beta1 on
 *   --kubernetes 1.36.6                     another Kubernetes release (built from a derived go.mod)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { controlPlaneBinaries } from './binaries.js';
import { isAlive, startControlPlane } from './controlPlane.js';

const USAGE = 'usage: npm run cluster -- [--coordinated] [--kubernetes 1.N.M] [--build] [-- CMD [ARGS...]]';
const NO_CONTROLLERS = 'no controller-manager or scheduler runs: Deployments create no Pods, deleted namespaces are not finalised, ServiceAccounts get no token Secrets (use TokenRequest)';

const log = (line: string) => console.error(line);

async function main(): Promise<number> {
  const separator = process.argv.indexOf('--', 2);
  const own = separator === -1 ? process.argv.slice(2) : process.argv.slice(2, separator);
  const command = separator === -1 ? [] : process.argv.slice(separator + 1);
  let options;
  try {
    options = parseArgs({ args: own, options: { coordinated: { type: 'boolean' }, kubernetes: { type: 'string' }, build: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    log(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (separator !== -1 && command.length === 0) {
    log(`nothing to run after "--"\n${USAGE}`);
    return 2;
  }
  const buildStarted = performance.now();
  const binaries = await controlPlaneBinaries({ kubernetesVersion: options.kubernetes, log });
  log(`control plane: binaries ready in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s (kube-apiserver ${binaries.kubeApiserver}, etcd ${binaries.etcd})`);
  if (options.build) return 0;

  const controlPlane = await startControlPlane({ binaries, coordinated: options.coordinated, log });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= controlPlane.stop());
  // Killed in any way, this process takes the control plane with it (parent-death signals). When a
  // process above it is killed instead (npm, the shell npm started it with), it stops too.
  const ancestors = ancestorPids();
  const orphaned = setInterval(() => {
    if (ancestors.every(isAlive)) return;
    clearInterval(orphaned);
    log('control plane: the command that started it is gone; stopping');
    void stop().then(() => process.exit(1));
  }, 500);
  orphaned.unref();
  log(`control plane: ${NO_CONTROLLERS}`);
  if (command.length === 0) {
    log(`control plane: kubeconfig ${controlPlane.kubeconfig}`);
    console.log(`export LEASEHOLD_KUBECONFIG=${controlPlane.kubeconfig} KUBECONFIG=${controlPlane.kubeconfig}`);
    log('control plane: running until Ctrl-C');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await stop();
    log('control plane: stopped, its state removed');
    return 0;
  }

  const [program, ...args] = command as [string, ...string[]];
  const child = spawn(program, args, { stdio: 'inherit', env: { ...process.env, LEASEHOLD_KUBECONFIG: controlPlane.kubeconfig, KUBECONFIG: controlPlane.kubeconfig } });
  // Ctrl-C reaches the command from the terminal; a SIGTERM to this process is passed on.
  const forward = () => child.kill('SIGTERM');
  process.on('SIGTERM', forward);
  process.on('SIGINT', () => {});
  const status = await new Promise<number>((resolve) => {
    child.on('error', (error) => {
      log(`${program}: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + constants.signals[signal!]));
  });
  process.off('SIGTERM', forward);
  await stop();
  return status;
}

/** This process's ancestors up to (not including) init, from /proc. */
function ancestorPids(): number[] {
  const pids: number[] = [];
  for (let pid = process.ppid; pid > 1; ) {
    pids.push(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`control plane: ${(error as Error).message}`);
    process.exit(1);
  },
);
