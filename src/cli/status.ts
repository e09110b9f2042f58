/** `leasehold status --lease NAME [--watch]`: who holds a lease, since when, and until when. */
import { formatDuration } from '../lease/duration.js';
import { ConfigError, LeaseNotFoundError } from '../lease/errors.js';
import type { ObservedLease } from '../lease/record.js';
import { KubernetesLeaseLock } from '../lock/kubernetesLeaseLock.js';
import { realClock } from '../time/realClock.js';
import { connect } from './connection.js';
import { parseFlags } from './flags.js';

export const STATUS_USAGE = `usage: leasehold status --lease NAME [--namespace default] [--kubeconfig FILE] [--watch]
`;

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
  ].join('\n');
}

export async function status(args: readonly string[], print: (line: string) => void = console.log): Promise<number> {
  const flags = parseFlags(args, { values: ['lease', 'namespace', 'kubeconfig'], switches: ['watch'] }, 'status');
  const name = flags.values.get('lease');
  if (!name) throw new ConfigError('status: --lease NAME is required', 'lease');
  const ref = { namespace: flags.values.get('namespace') ?? 'default', name };
  const connection = await connect(flags.values.get('kubeconfig'), print);
  const lock = new KubernetesLeaseLock(connection.kubeConfig, ref, 'leasehold-status');
  try {
    if (!flags.switches.has('watch')) {
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
