/**
 * `leasehold status --lease NAME [--watch]`: who holds a lease, since when, and until when. The
 * cluster is found as `run` finds it; the Kubernetes client loads only once the flags are good.
 */
import { formatDuration } from '../lease/duration.js';
import { ConfigError, LeaseNotFoundError } from '../lease/errors.js';
import type { ObservedLease } from '../lease/record.js';
import { type CommandLine, type CommandSpec, LOG_FLAGS, logUsage, logFlags, stringFlag } from './flags.js';

export const spec: CommandSpec = {
  name: 'status',
  flags: { lease: { type: 'string' }, namespace: { type: 'string' }, kubeconfig: { type: 'string' }, watch: { type: 'boolean' }, ...LOG_FLAGS },
  usage: `usage: leasehold status --lease NAME [--namespace NS] [--kubeconfig FILE] [--watch]

Prints the lease's holder, term (leaseTransitions), acquired and renewed ages, an expiry estimate
(from the holder's renewTime) and a pending hand-over request; --watch prints it again on every change, until Ctrl-C. The cluster and
the namespace are found as \`leasehold run\` finds them. Exit status 1 when the lease does not exist.
${logUsage('warn')}
`,
};

const ago = (time: number | null, now: number) => (time === null ? 'unknown' : `${formatDuration(Math.max(0, Math.round(now - time)))} ago`);

/** The lease in a few lines; times are the holder's, so the expiry is an estimate. */
export function describeStatus(name: string, lease: ObservedLease | null, now: number): string {
  if (!lease) return `lease ${name}: not found`;
  const { holderIdentity, leaseTransitions, acquireTime, renewTime, leaseDurationSeconds } = lease.record;
  const expiresAt = renewTime === null ? null : renewTime + leaseDurationSeconds * 1000;
  const expiry =
    expiresAt === null ? 'unknown' : expiresAt > now ? `in ~${formatDuration(Math.round(expiresAt - now))}` : `~${formatDuration(Math.round(now - expiresAt))} ago`;
  return [
    `lease ${name} (resourceVersion ${lease.resourceVersion})`,
    `  holder:    ${holderIdentity || '(none: free)'}`,
    `  term:      ${leaseTransitions} (leaseTransitions)`,
    `  acquired:  ${ago(acquireTime, now)}`,
    `  renewed:   ${ago(renewTime, now)}`,
    `  duration:  ${leaseDurationSeconds}s`,
    `  expires:   ${expiry} (estimated from the holder's renewTime)`,
    ...(lease.handOverTo === undefined ? [] : [`  hand-over: to ${lease.handOverTo} requested (leasehold handover)`]),
  ].join('\n');
}

export async function main(line: CommandLine, print: (line: string) => void = console.log): Promise<number> {
  const name = stringFlag(line, 'lease');
  if (!name) throw new ConfigError('--lease NAME is required', '--lease');
  const [{ KubernetesLeaseLock }, { connect }, { createLogger }, { realClock }] = await Promise.all([
    import('../kubernetes/leaseLock.js'),
    import('./connection.js'),
    import('../log/logger.js'),
    import('../time/realClock.js'),
  ]);
  const logger = createLogger(logFlags(line, 'warn'));
  const connection = await connect({ kubeconfig: stringFlag(line, 'kubeconfig'), namespace: stringFlag(line, 'namespace') }, logger);
  const lock = new KubernetesLeaseLock(connection.kubeConfig, { namespace: connection.namespace, name }, 'leasehold-status', { kubernetesEvents: false });
  try {
    if (line.values.watch !== true) {
      const lease = await lock.get().catch((error: unknown) => {
        if (error instanceof LeaseNotFoundError) return null;
        throw error;
      });
      print(describeStatus(lock.describe(), lease, realClock.now()));
      return lease ? 0 : 1;
    }
    await new Promise<void>((resolve) => {
      const subscription = lock.watch().subscribe((event) => {
        if (event.type === 'down') print(`${new Date(realClock.now()).toISOString()} watch down: ${event.error.message}; reconnecting`);
        else print(`${new Date(realClock.now()).toISOString()}\n${describeStatus(lock.describe(), event.lease, realClock.now())}`);
      });
      const stop = () => {
        subscription.unsubscribe();
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  } finally {
    await connection.close();
  }
}
