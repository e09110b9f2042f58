/**
 * `leasehold run --lease NAME -- CMD ARGS...`: the leader-election sidecar. CMD runs only while this
 * process holds the lease. Losing the lease sends CMD SIGTERM, then SIGKILL after the grace period,
 * which is bounded so CMD is gone before anyone else could legally take over (the window between
 * our renewDeadline and the lease's expiry). When CMD exits, the lease is released and leasehold
 * exits with CMD's status; on SIGTERM/SIGINT, CMD is stopped first, then the lease released.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { HealthzAdaptor } from '../api/HealthzAdaptor.js';
import { LeaderElector } from '../api/LeaderElector.js';
import { parseDuration } from '../lease/duration.js';
import { ConfigError } from '../lease/errors.js';
import { KubernetesLeaseLock } from '../lock/kubernetesLeaseLock.js';
import { LeaseMetrics } from '../metrics.js';
import { realClock } from '../time/realClock.js';
import { connect } from './connection.js';
import { parseFlags, portFlag } from './flags.js';
import { inspectFlag, webSocketInspector } from './inspection.js';

export const RUN_USAGE = `usage: leasehold run --lease NAME [--namespace default] [--identity ID] [--kubeconfig FILE]
                    [--lease-duration 15s] [--renew-deadline 10s] [--retry-period 2s] [--grace-period D]
                    [--healthz-port N] [--inspect ws://HOST:PORT] -- CMD ARGS...

Runs CMD only while this process holds the lease. --grace-period (default: (leaseDuration -
renewDeadline) / 2, must end before the lease could expire. --healthz-port serves /healthz and
/metrics on 127.0.0.1. --inspect sends XState inspection events to a Stately inspector relay.
`;

export interface RunOptions {
  print?: (line: string) => void;
  /** Resolves with the exit code leasehold should end with. */
  signals?: NodeJS.Process;
}

function waitForExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? 128);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1)));
  });
}

export async function run(args: readonly string[], { print = console.error, signals = process }: RunOptions = {}): Promise<number> {
  const flags = parseFlags(
    args,
    { values: ['lease', 'namespace', 'identity', 'kubeconfig', 'lease-duration', 'renew-deadline', 'retry-period', 'grace-period', 'healthz-port', 'inspect'] },
    'run',
  );
  const lease = flags.values.get('lease');
  if (!lease) throw new ConfigError('run: --lease NAME is required', 'lease');
  const [command, ...commandArgs] = flags.rest;
  if (!command) throw new ConfigError('run: give the command to run after --', 'command');
  const duration = (flag: string, fallback: string) => parseDuration(flags.values.get(flag) ?? fallback, `--${flag}`);
  const timing = {
    leaseDuration: duration('lease-duration', '15s'),
    renewDeadline: duration('renew-deadline', '10s'),
    retryPeriod: duration('retry-period', '2s'),
  };
  const window = timing.leaseDuration - timing.renewDeadline;
  const grace = flags.values.has('grace-period') ? duration('grace-period', '0') : window / 2;
  if (grace >= window) {
    throw new ConfigError(
      `run: --grace-period must be shorter than leaseDuration - renewDeadline (${window / 1000}s), or CMD could outlive our lease`,
      'grace-period',
    );
  }
  const healthzPort = portFlag(flags.values.get('healthz-port'), 'run');
  const inspectUrl = inspectFlag(flags.values.get('inspect'), 'run');
  const ref = { namespace: flags.values.get('namespace') ?? 'default', name: lease };
  const identity = flags.values.get('identity') ?? `${hostname()}-${process.pid}`;

  const connection = await connect(flags.values.get('kubeconfig'), print);
  if (inspectUrl) print(`leasehold run: inspection events go to ${inspectUrl}`);
  const metrics = new LeaseMetrics();
  const healthz = new HealthzAdaptor({ timeout: 20_000 });
  const lock = metrics.instrument(lease, new KubernetesLeaseLock(connection.kubeConfig, ref, identity));
  let child: ChildProcess | undefined;
  let childExit: Promise<number> | undefined;
  const stopChild = async (why: string): Promise<number | undefined> => {
    if (!child || !childExit) return undefined;
    print(`leasehold run: ${why}: sending SIGTERM to ${command} (SIGKILL in ${grace / 1000}s)`);
    child.kill('SIGTERM');
    const timer = realClock.setTimeout(() => child?.kill('SIGKILL'), grace);
    const code = await childExit;
    realClock.clearTimeout(timer);
    return code;
  };

  const shutdown = new AbortController();
  let exitCode: number | undefined;
  let lost = false;
  const elector = new LeaderElector({
    lock,
    ...timing,
    releaseOnCancel: true,
    watchdog: healthz,
    name: `${ref.namespace}/${lease}`,
    inspect: inspectUrl === undefined ? undefined : webSocketInspector(inspectUrl),
    callbacks: {
      onStartedLeading: (signal) => {
        print(`leasehold run: ${identity} holds lease ${ref.namespace}/${lease} (term ${elector.actor.getSnapshot().context.term}); starting ${command}`);
        child = spawn(command, commandArgs, {
          stdio: 'inherit',
          env: { ...process.env, LEASEHOLD_LEASE: `${ref.namespace}/${lease}`, LEASEHOLD_IDENTITY: identity, LEASEHOLD_TERM: String(elector.actor.getSnapshot().context.term) },
        });
        childExit = waitForExit(child);
        child.once('error', (error) => print(`leasehold run: cannot start ${command}: ${error.message}`));
        void childExit.then((code) => {
          if (signal.aborted) return;
          exitCode = code;
          print(`leasehold run: ${command} exited with ${code}; releasing the lease`);
          shutdown.abort();
        });
        signal.addEventListener('abort', () => {
          if (exitCode !== undefined || shutdown.signal.aborted) return;
          lost = true;
          void stopChild('lost the lease');
        });
      },
      onStoppedLeading: () => {},
      onNewLeader: (holder) => holder && holder !== identity && print(`leasehold run: lease held by ${holder}; waiting`),
    },
  });
  const unobserve = metrics.observe(lease, elector.state$, () => realClock.now());
  let lastError = '';
  const errors = elector.state$.subscribe((snapshot) => {
    const error = snapshot.context.lastError;
    if (!error || error.message === lastError) return;
    lastError = error.message;
    print(`leasehold run: ${error.message}`);
    if (error.kind === 'Forbidden') {
      exitCode = 1;
      shutdown.abort();
    }
  });

  let server: Server | undefined;
  if (healthzPort !== undefined) {
    server = createServer((request, response) => {
      if (request.url === '/metrics') void metrics.handler(request, response);
      else if (request.url === '/healthz') healthz.handler(request, response);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server!.listen(healthzPort, '127.0.0.1', resolve));
    print(`leasehold run: /healthz and /metrics on http://127.0.0.1:${healthzPort}`);
  }

  const onSignal = (name: NodeJS.Signals) => {
    void (async () => {
      const code = await stopChild(`received ${name}`);
      exitCode ??= code ?? (name === 'SIGINT' ? 130 : 143);
      shutdown.abort();
    })();
  };
  signals.once('SIGTERM', onSignal);
  signals.once('SIGINT', onSignal);

  await elector.run({ signal: shutdown.signal });
  if (lost) {
    await childExit;
    print(`leasehold run: lost lease ${ref.namespace}/${lease}; ${command} was stopped`);
    exitCode ??= 1;
  }
  errors.unsubscribe();
  unobserve();
  signals.off('SIGTERM', onSignal);
  signals.off('SIGINT', onSignal);
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await connection.close();
  return exitCode ?? 0;
}
