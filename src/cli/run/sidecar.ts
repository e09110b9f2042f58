/**
 * The leader-election sidecar behind `leasehold run`: CMD runs only inside this process's
 * leadership window, and neither it nor anything it started outlives the window.
 *
 * - Leadership ends (renewDeadline passed, another holder): CMD's group gets SIGTERM, and SIGKILL
 *   `grace` after the moment the window *closed*. A process paused past that moment (SIGSTOP, a VM
 *   or GC pause) SIGKILLs at once when it wakes, instead of granting a fresh grace period that
 *   would run into a successor's window. grace < leaseDuration - renewDeadline, so the group is gone
 *   before another process may legally take over.
 * - This process dies: the guard in CMD's group SIGKILLs it (guardedCommand.ts).
 * - CMD exits: what it left in its group is stopped, then the lease is released and the runner
 *   exits with CMD's status. SIGTERM/SIGINT: CMD is stopped first, then the lease is released; a
 *   second signal SIGKILLs CMD's group at once.
 * - A request the API server refuses for good (400/422: invalid name or value; 401/403) ends the
 *   runner with 2, naming the flag involved; transient failures (5xx, timeouts, network) are retried.
 *
 * What no sidecar can stop: this process paused alone while CMD runs on. CMD then works past the
 * window until the runner wakes (and SIGKILLs it at once); LEASEHOLD_TERM lets a store fence it.
 */
import { HealthzAdaptor } from '../../api/healthzAdaptor.js';
import { LeaderElector } from '../../api/leaderElector.js';
import type { LeaseTiming } from '../../lease/config.js';
import { ConfigError } from '../../lease/errors.js';
import { KubernetesLeaseLock } from '../../kubernetes/leaseLock.js';
import type { LeaseRecord, LeaseRef } from '../../lease/record.js';
import type { LeaseLock } from '../../ports/leaseLock.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { createLogger, type Logger, type LogLevel, withFields } from '../../log/logger.js';
import { realClock } from '../../time/realClock.js';
import { connect, type Connection } from '../connection.js';
import type { BindAddress } from '../flags.js';
import { commandProblem, type GuardedCommand, startGuarded } from './guardedCommand.js';
import { type Endpoint, readyHandler, serveEndpoint } from './probes.js';

export interface SidecarSettings {
  lease: string;
  identity: string;
  namespace: string | undefined;
  kubeconfig: string | undefined;
  embedded: boolean;
  timing: LeaseTiming;
  /** SIGTERM-to-SIGKILL time for CMD's group, counted from the window's close (ms). */
  grace: number;
  health: BindAddress | undefined;
  metrics: BindAddress | undefined;
  inspect: string | undefined;
  /** CMD and its arguments. */
  command: string[];
  log: { format: 'text' | 'json'; level: LogLevel };
}

/** client-go's HealthzAdaptor timeout in controller-runtime: how long past expiry a stuck leader is tolerated. */
const HEALTHZ_TOLERANCE = 20_000;

/** Which flag a refused field came from, judged from the server's message or a ConfigError's field. */
const FLAG_OF_FIELD: ReadonlyArray<[RegExp, string]> = [
  [/leaseDurationSeconds/, '--lease-duration'],
  [/holderIdentity/, '--identity'],
  [/namespace/i, '--namespace'],
  [/metadata\.name|"name"|name/i, '--lease'],
];
const flagOf = (text: string) => FLAG_OF_FIELD.find(([field]) => field.test(text))?.[1] ?? '--lease';

/** The lease's lock; a name or namespace no API server would take is refused here, naming the flag. */
function leaseLockFor(kubeConfig: KubeConfig, ref: LeaseRef, identity: string, logger: Logger): LeaseLock {
  try {
    return new KubernetesLeaseLock(kubeConfig, ref, identity, { kubernetesEvents: { logger } });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const flag = flagOf(error.field ?? '');
    throw new ConfigError(`${error.message} (check ${flag})`, flag);
  }
}

/**
 * `lock`, whose writes naming another identity as holder (the participant's hand-over write) are
 * sent only once `stopped()` has resolved, or not at all if the call's signal aborts meanwhile.
 */
function handOverAfterCmdStopped(lock: LeaseLock, stopped: () => Promise<void> | undefined): LeaseLock {
  const handsOver = (record: LeaseRecord) => record.holderIdentity !== '' && record.holderIdentity !== lock.identity;
  return {
    identity: lock.identity,
    ref: lock.ref,
    describe: () => lock.describe(),
    recordEvent: (message) => lock.recordEvent(message),
    get: (signal) => lock.get(signal),
    create: (record, signal) => lock.create(record, signal),
    watch: () => lock.watch(),
    update: async (record, resourceVersion, signal) => {
      if (handsOver(record)) await untilDone(stopped(), signal);
      return lock.update(record, resourceVersion, signal);
    },
  };
}

/** Resolves when `work` has, rejects with the signal's reason if it aborts first. */
function untilDone(work: Promise<void> | undefined, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  if (!work || !signal) return work ?? Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export async function runSidecar(settings: SidecarSettings): Promise<number> {
  const { identity, grace, timing } = settings;
  const [command, ...args] = settings.command as [string, ...string[]];
  const logger = createLogger(settings.log);
  const problem = commandProblem(command);
  if (problem) {
    logger.error(`cannot run CMD: ${problem.reason}`, { command });
    return problem.code;
  }

  const shutdown = new AbortController();
  let exitCode: number | undefined;
  let cmd: GuardedCommand | undefined;
  /** CMD is being stopped on purpose (a signal, a refused request): its exit is expected. */
  let stopping = false;
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn(`received ${name} again: SIGKILL to CMD's process group`);
      cmd?.kill();
      return;
    }
    logger.info(`received ${name}: stopping CMD, then releasing the lease`);
    stopping = true;
    void (async () => {
      if (cmd) {
        await cmd.stop(realClock.now() + grace);
        exitCode ??= await cmd.exited;
      }
      exitCode ??= name === 'SIGINT' ? 130 : 143;
      shutdown.abort();
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const endpoints: Endpoint[] = [];
  let connection: Connection | undefined;
  try {
    connection = await connect(settings, logger);
    const ref = { namespace: connection.namespace, name: settings.lease };
    const lease = `${ref.namespace}/${ref.name}`;
    const log = withFields(logger, { lease, identity });
    const healthz = new HealthzAdaptor({ timeout: HEALTHZ_TOLERANCE });
    let lock: LeaseLock = leaseLockFor(connection.kubeConfig, ref, identity, log);
    let observeMetrics: ((elector: LeaderElector) => () => void) | undefined;
    if (settings.metrics) {
      const { LeaseMetrics } = await import('../../metrics/leaseMetrics.js');
      const metrics = new LeaseMetrics();
      lock = metrics.instrument(lease, lock);
      observeMetrics = (elector) => metrics.observe(lease, elector, realClock.now);
      const endpoint = await serveEndpoint(settings.metrics, '--metrics-bind-address', { '/metrics': (q, r) => void metrics.handler(q, r) });
      endpoints.push(endpoint);
      log.info('serving /metrics', { url: endpoint.url });
    }
    if (settings.health) {
      const endpoint = await serveEndpoint(settings.health, '--health-probe-bind-address', { '/healthz': healthz.handler, '/readyz': readyHandler });
      endpoints.push(endpoint);
      log.info('serving /healthz and /readyz', { url: endpoint.url });
    }
    // A hand-over (asked with `leasehold handover`) lets its target lead after one renew, long before
    // the lease could expire: the write naming the target waits until CMD's group is gone.
    lock = handOverAfterCmdStopped(lock, () => cmd?.stop(realClock.now() + grace));
    const inspect = settings.inspect ? (await import('../inspection.js')).webSocketInspector(settings.inspect) : undefined;
    if (settings.inspect) log.info('sending inspection events', { url: settings.inspect });

    let windowClose = Number.NEGATIVE_INFINITY;
    /** Whom the lease is being handed to, from the moment the hand-over begins (before the window closes). */
    let handingOverTo: string | undefined;
    let lost = false;
    const elector: LeaderElector = new LeaderElector({
      lock,
      ...timing,
      releaseOnCancel: true,
      watchdog: healthz,
      name: lease,
      logger,
      ...(inspect ? { inspect } : {}),
      callbacks: {
        onStartedLeading: (leadership) => {
          if (shutdown.signal.aborted) return;
          const term = elector.term ?? 0;
          log.info('leading: starting CMD', { term, command });
          const started = startGuarded(command, args, {
            env: { ...process.env, LEASEHOLD_LEASE: lease, LEASEHOLD_IDENTITY: identity, LEASEHOLD_TERM: String(term) },
            clock: realClock,
            onGuardLost: () => log.warn("CMD's parent-death guard ended: CMD would outlive a crash of leasehold"),
          });
          cmd = started;
          void started.exited.then(async (code) => {
            if (leadership.aborted || stopping) return; // being stopped by us
            log.info(`CMD exited with ${code}: stopping what it left, then releasing the lease`, { code });
            exitCode ??= code;
            await started.stop(realClock.now() + grace);
            shutdown.abort();
          });
          leadership.addEventListener(
            'abort',
            () => {
              if (shutdown.signal.aborted) return; // our own release, CMD already stopped
              lost = true;
              // Counted from the window's close; past already when this process wakes from a pause.
              const killAt = Math.min(realClock.now(), windowClose) + grace;
              const killInMs = Math.max(0, killAt - realClock.now());
              if (handingOverTo !== undefined) log.info('handing the lease over on request: stopping CMD first', { to: handingOverTo, killInMs });
              else log.warn('leadership lost: stopping CMD', { reason: (leadership.reason as Error | undefined)?.message, killInMs });
              void started.stop(killAt);
            },
            { once: true },
          );
        },
        onStoppedLeading: () => {},
        onNewLeader: (holder) => {
          if (holder && holder !== identity) log.info('lease held by another process: waiting', { holder });
        },
      },
    });
    const unobserve = observeMetrics?.(elector);
    let fatal = false;
    // The window closes renewDeadline after the last write of the tenure was sent.
    const heard = [
      elector.actor.on('leadershipStarted', ({ at }) => {
        windowClose = at + timing.renewDeadline;
        handingOverTo = undefined;
      }),
      elector.actor.on('renewed', ({ sentAt }) => (windowClose = sentAt + timing.renewDeadline)),
      elector.actor.on('handOverStarted', ({ to }) => (handingOverTo = to)),
    ];
    const errors = elector.actor.on('storeCallFailed', (error) => {
      // The elector's logger reports failures that retrying may cure (once, then at intervals).
      if (error.kind !== 'Invalid' && error.kind !== 'Forbidden') return;
      if (fatal) return;
      fatal = true;
      const check =
        error.kind === 'Invalid'
          ? flagOf(error.message)
          : `the Role of the kubeconfig's user or the pod's service account in --namespace ${ref.namespace}`;
      log.error(`the API server refused the lease for good (check ${check}): ${error.message}`);
      exitCode = 2;
      stopping = true;
      void (async () => {
        await cmd?.stop(realClock.now() + grace);
        shutdown.abort();
      })();
    });

    log.info('competing for the lease', { ...timing, grace });
    await elector.run({ signal: shutdown.signal });
    if (cmd) await cmd.stop(realClock.now() + grace); // a stop already under way keeps its earlier deadline
    const { stopReason, leader } = elector.actor.getSnapshot().context;
    if (lost && !fatal && stopReason === 'handedOver' && leader !== identity) {
      log.info('handed the lease over; CMD was stopped', { holder: leader });
      exitCode ??= 0;
    } else if (lost && !fatal) {
      log.warn('lost the lease; CMD was stopped');
      exitCode ??= 1;
    }
    errors.unsubscribe();
    heard.forEach((subscription) => subscription.unsubscribe());
    unobserve?.();
    return exitCode ?? 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await Promise.all(endpoints.map((endpoint) => endpoint.close()));
    await connection?.close();
  }
}
