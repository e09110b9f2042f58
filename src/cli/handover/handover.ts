/**
 * `leasehold handover --lease NAME --to ID`: asks the lease's leader to hand the lease to ID (a
 * switchover to a chosen successor, as CloudNativePG promotes a chosen replica) and waits until ID
 * leads. The work is in requester.ts, loaded with the Kubernetes client once the flags are good.
 */
import { ConfigError, HandOverError, LeaseApiError, LeaseNotFoundError, LeaseUnavailableError } from '../../lease/errors.js';
import { formatDuration } from '../../lease/duration.js';
import { type CommandLine, type CommandSpec, durationFlag, LOG_FLAGS, logUsage, logFlags, stringFlag } from '../flags.js';

export const spec: CommandSpec = {
  name: 'handover',
  flags: { lease: { type: 'string' }, to: { type: 'string' }, namespace: { type: 'string' }, kubeconfig: { type: 'string' }, timeout: { type: 'string' }, ...LOG_FLAGS },
  usage: `usage: leasehold handover --lease NAME --to ID [--namespace NS] [--kubeconfig FILE] [--timeout D]

Asks the leader of the Lease NAME to hand it over to the identity ID, and waits until ID leads. The
request is written on the Lease as the annotation leasehold.io/hand-over-to=ID and, where the API
server keeps it, spec.preferredHolder=ID (a conditional update, retried when the leader renews in
between). A leasehold leader that sees it stops its work first, then writes the lease to ID in one
update; ID leads once it has renewed the lease itself. The cluster and the namespace are found as
\`leasehold run\` finds them.

  --timeout D                give up after D (default: twice the lease's leaseDurationSeconds,
                             at least 30s); a request still pending is then withdrawn, as on Ctrl-C
${logUsage('warn')}

Exit status: 0 when ID leads (at once when it holds the lease already); 1 when the lease does not
exist, the time ran out, the request was cleared or overwritten without ID taking the lease, or
the lease named ID and someone else took it; 2 for a bad flag; 130 on Ctrl-C.
`,
};

export async function main(line: CommandLine, print: (line: string) => void = console.log): Promise<number> {
  const name = stringFlag(line, 'lease');
  if (!name) throw new ConfigError('--lease NAME is required', '--lease');
  const to = stringFlag(line, 'to');
  if (!to) throw new ConfigError('--to ID is required: the identity that should hold the lease', '--to');
  const timeout = stringFlag(line, 'timeout') === undefined ? undefined : durationFlag(line, 'timeout', '0');
  if (timeout === 0) throw new ConfigError('--timeout must be longer than 0', '--timeout');
  const [{ requestHandOver }, { connect }, { createLogger }, { realClock }, { describeStatus }] = await Promise.all([
    import('./requester.js'),
    import('../connection.js'),
    import('../../log/logger.js'),
    import('../../time/realClock.js'),
    import('../status.js'),
  ]);
  const logger = createLogger(logFlags(line, 'warn'));
  const connection = await connect({ kubeconfig: stringFlag(line, 'kubeconfig'), namespace: stringFlag(line, 'namespace') }, logger);
  const ref = { namespace: connection.namespace, name };
  const lease = `${ref.namespace}/${ref.name}`;
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const outcome = await requestHandOver(connection.kubeConfig, { ref, to, timeout, clock: realClock, print, signal: interrupt.signal });
    if (outcome.kind === 'alreadyHolder') print(`${to} holds lease ${lease} already (term ${outcome.lease.record.leaseTransitions}): nothing to hand over`);
    else print(`${to} leads lease ${lease} (term ${outcome.lease.record.leaseTransitions}), ${formatDuration(Math.round(outcome.afterMs))} after the request`);
    return 0;
  } catch (error) {
    if (!(error instanceof HandOverError || error instanceof LeaseApiError)) throw error;
    process.stderr.write(`leasehold handover: ${error instanceof LeaseNotFoundError ? `lease ${lease} not found` : error.message}\n`);
    // An unreachable server is the whole story; otherwise the lease as it is now, if it can be read.
    if (!(error instanceof LeaseNotFoundError || error instanceof LeaseUnavailableError)) {
      const { KubernetesLeaseLock } = await import('../../kubernetes/leaseLock.js');
      const now = await new KubernetesLeaseLock(connection.kubeConfig, ref, 'leasehold-handover', { kubernetesEvents: false }).get().then(
        (read) => describeStatus(lease, read, realClock.now()),
        (failure: unknown) => (failure instanceof LeaseNotFoundError ? describeStatus(lease, null, realClock.now()) : `could not read it: ${failure instanceof Error ? failure.message : String(failure)}`),
      );
      print(`the lease now:\n${now}`);
    }
    return error instanceof HandOverError && error.reason === 'aborted' ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await connection.close();
  }
}
