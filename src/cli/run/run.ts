/**
 * `leasehold run --lease NAME -- CMD ARGS...`: the flags of the leader-election sidecar, checked
 * before anything starts. What runs is in sidecar.ts, loaded only once the flags are good, so
 * `run --help` and a bad flag never pay for the Kubernetes client.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { validateTiming } from '../../lease/config.js';
import { ConfigError } from '../../lease/errors.js';
import {
  bindAddressFlag,
  type CommandLine,
  type CommandSpec,
  durationFlag,
  inspectFlag,
  LOG_FLAGS,
  logUsage,
  logFlags,
  stringFlag,
} from '../flags.js';

export const spec: CommandSpec = {
  name: 'run',
  takesCommand: true,
  flags: {
    lease: { type: 'string' },
    namespace: { type: 'string' },
    identity: { type: 'string' },
    'identity-prefix': { type: 'string' },
    kubeconfig: { type: 'string' },
    embedded: { type: 'boolean' },
    'lease-duration': { type: 'string' },
    'renew-deadline': { type: 'string' },
    'retry-period': { type: 'string' },
    'grace-period': { type: 'string' },
    'health-probe-bind-address': { type: 'string' },
    'metrics-bind-address': { type: 'string' },
    inspect: { type: 'string' },
    ...LOG_FLAGS,
  },
  usage: `usage: leasehold run --lease NAME [flags] -- CMD [ARGS...]

Runs CMD only while this process holds the Lease NAME: the leader-election sidecar. CMD and all it
starts run in a process group of their own. When leadership ends, the group gets SIGTERM, and
SIGKILL --grace-period after the leadership window closed, before anyone else may take over; it is
SIGKILLed as well if leasehold itself dies. When CMD exits, the lease is released and leasehold
exits with CMD's status. SIGTERM or SIGINT stops CMD the same way, then releases the lease.

Cluster, found as kubectl finds it:
  --kubeconfig FILE          else $KUBECONFIG, else ~/.kube/config, else the pod's service account
  --namespace NS             else the service account's namespace, else the kubeconfig context's, else default
  --embedded                 no cluster: a Lease API server inside this process, private to it (to try it out)

Lease:
  --lease NAME               the Lease object (required)
  --identity ID              who holds it; default PREFIX_<random UUID>, unique per process
  --identity-prefix PREFIX   the default identity's prefix (default the hostname); in a pod, the pod
                             name from the downward API: --identity-prefix=$(POD_NAME)
  --lease-duration 15s       how long others wait for a silent holder before taking over (whole seconds)
  --renew-deadline 10s       how long this leader acts without a successful renew
  --retry-period 2s          how often it renews
  --grace-period D           SIGTERM to SIGKILL, counted from the window's close; must be less than
                             lease-duration - renew-deadline (default: half of that)

Operations:
  --health-probe-bind-address ADDR   /healthz and /readyz on ADDR, e.g. :8081 (all interfaces) or
                                     127.0.0.1:8081; 0 (default) disables
  --metrics-bind-address ADDR        /metrics (Prometheus) on ADDR, e.g. :8080; 0 (default) disables
${logUsage()}
  --inspect ws://HOST:PORT   send XState inspection events to a Stately inspector relay

CMD's environment adds LEASEHOLD_LEASE (namespace/name), LEASEHOLD_IDENTITY and LEASEHOLD_TERM: the
lease's leaseTransitions when this tenure began, a fencing token that grows with every new holder.

A leader asked with \`leasehold handover --to ID\` (the Lease's annotation leasehold.io/hand-over-to,
or spec.preferredHolder) stops CMD's group first, then writes the lease to ID, and exits 0.

Exit status: CMD's; 127 if CMD is not found, 126 if it cannot be executed; 0 after handing the
lease over on request; 1 when leadership was lost (CMD stopped); 2 for a bad flag or a request the API server refuses (invalid name or value,
forbidden); 128+N after signal N when CMD was not running.
`,
};

const FLAG_OF_FIELD: Record<string, string> = {
  leaseDuration: '--lease-duration',
  renewDeadline: '--renew-deadline',
  retryPeriod: '--retry-period',
};

/** A library ConfigError about a timing field, reworded with the flags the user typed. */
function inFlagTerms(error: ConfigError): ConfigError {
  const message = error.message.replace(/\b(leaseDuration|renewDeadline|retryPeriod)\b/g, (field) => FLAG_OF_FIELD[field]!);
  return new ConfigError(message, FLAG_OF_FIELD[error.field ?? ''] ?? error.field);
}

/** A Lease stores leaseDurationSeconds as an integer: a fraction is refused where the flag is read. */
function wholeSeconds(line: CommandLine, name: string, ms: number): number {
  if (ms % 1000 !== 0) throw new ConfigError(`--${name} ${stringFlag(line, name)} must be whole seconds: a Lease stores leaseDurationSeconds as an integer`, `--${name}`);
  return ms;
}

export async function main(line: CommandLine): Promise<number> {
  const lease = stringFlag(line, 'lease');
  if (!lease) throw new ConfigError('--lease NAME is required', '--lease');
  if (line.command.length === 0 || !line.command[0]) throw new ConfigError('give the command to run after --, as in: leasehold run --lease NAME -- CMD ARGS', '--');
  const timing = {
    leaseDuration: wholeSeconds(line, 'lease-duration', durationFlag(line, 'lease-duration', '15s')),
    renewDeadline: durationFlag(line, 'renew-deadline', '10s'),
    retryPeriod: durationFlag(line, 'retry-period', '2s'),
  };
  try {
    validateTiming(timing);
  } catch (error) {
    throw error instanceof ConfigError ? inFlagTerms(error) : error;
  }
  const window = timing.leaseDuration - timing.renewDeadline;
  const grace = stringFlag(line, 'grace-period') === undefined ? window / 2 : durationFlag(line, 'grace-period', '0');
  if (grace >= window) {
    throw new ConfigError(
      `--grace-period ${stringFlag(line, 'grace-period')} must be shorter than --lease-duration - --renew-deadline (${window} ms): CMD could outlive the lease`,
      '--grace-period',
    );
  }
  const prefix = stringFlag(line, 'identity-prefix');
  if (prefix !== undefined && stringFlag(line, 'identity') !== undefined) throw new ConfigError('--identity and --identity-prefix exclude each other', '--identity-prefix');
  if (prefix === '') throw new ConfigError('--identity-prefix must not be empty', '--identity-prefix');
  const identity = stringFlag(line, 'identity') ?? `${prefix ?? hostname()}_${randomUUID()}`;
  if (!identity) throw new ConfigError('--identity must not be empty', '--identity');
  const settings = {
    lease,
    identity,
    namespace: stringFlag(line, 'namespace'),
    kubeconfig: stringFlag(line, 'kubeconfig'),
    embedded: line.values.embedded === true,
    timing,
    grace,
    health: bindAddressFlag(line, 'health-probe-bind-address'),
    metrics: bindAddressFlag(line, 'metrics-bind-address'),
    inspect: inspectFlag(line),
    command: line.command,
    log: logFlags(line),
  };
  const { runSidecar } = await import('./sidecar.js');
  return runSidecar(settings);
}
