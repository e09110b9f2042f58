/**
 * A leasehold library participant as its own process, for the mixed-fleet tests: the built package's
 * LeaderElector (dist/, as it ships) on a KubernetesLeaseLock, run again after every term as the
 * client-go elector does. Its guarded work is in-process: while it leads, it appends an effect
 * every --effects-every to the shared effects file, each one only while `isLeader()` holds (the
 * window checked against the clock, so a process waking from a pause writes nothing stale).
 *
 *   node test/peers/leaseholdElector.ts --kubeconfig FILE --lease NAME --identity ID --effects FILE
 *     [--namespace default] [--lease-duration 15s --renew-deadline 10s --retry-period 2s]
 *     [--release-on-cancel] [--effects-every 10ms] [--electors N]
 *
 * With --electors N (benchmarks) it runs N electors, each on its own Lease NAME-i as ID-i, without effects.
 *
 * Node runs this file directly (type stripping, Node >= 22.18). Stdout carries JSON lines like the
 * client-go elector's (ready, new-leader, started, stopped, handover, exiting). Stdin takes
 * `handover ID` (handOver(ID) on the current term). SIGTERM or SIGINT ends the run (releasing the
 * lease with --release-on-cancel) and exits 0.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type * as Leasehold from '../../src/index.js';
import type * as LeaseholdRules from '../../src/rules.js';

const built = join(import.meta.dirname, '../../dist/src');
const { KubernetesLeaseLocks, LeaderElector, loadKubeConfig } = (await import(join(built, 'index.js'))) as typeof Leasehold;
const { parseDuration } = (await import(join(built, 'rules.js'))) as typeof LeaseholdRules;

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string', default: 'default' },
    lease: { type: 'string' },
    identity: { type: 'string' },
    'lease-duration': { type: 'string', default: '15s' },
    'renew-deadline': { type: 'string', default: '10s' },
    'retry-period': { type: 'string', default: '2s' },
    'release-on-cancel': { type: 'boolean', default: false },
    effects: { type: 'string' },
    'effects-every': { type: 'string', default: '10ms' },
    electors: { type: 'string', default: '1' },
  },
});
const { kubeconfig, lease, identity, effects } = values;
const electors = Number(values.electors);
if (!kubeconfig || !lease || !identity || (!effects && electors === 1)) {
  console.error('leaseholdElector: --kubeconfig, --lease, --identity and --effects are required');
  process.exit(2);
}

function report(event: string, fields: Record<string, unknown> = {}): void {
  const now = Date.now();
  const line = { event, identity, lease: `${values.namespace}/${lease}`, wall: new Date(now).toISOString(), wallNs: now * 1e6, monoNs: Number(process.hrtime.bigint()), ...fields };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const effectsFile = effects ? openSync(effects, 'a') : undefined;
const every = parseDuration(values['effects-every']);

/** Appends an effect every `every` ms while `elector` leads; stops when its leadership signal aborts. */
function act(elector: Leasehold.LeaderElector, signal: AbortSignal, effectsFile: number): void {
  let seq = 0;
  const term = elector.term;
  const write = () => {
    if (!elector.isLeader()) return;
    const line = { who: identity, pid: process.pid, term, seq: seq++, wallNs: Date.now() * 1e6, monoNs: Number(process.hrtime.bigint()) };
    writeSync(effectsFile, `${JSON.stringify(line)}\n`);
  };
  write();
  const timer = setInterval(write, every);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

const shutdown = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => shutdown.abort());

let current: Leasehold.LeaderElector | undefined;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, target] = line.trim().split(/\s+/);
  if (command !== 'handover' || !target || !current) return;
  current.handOver(target, { signal: AbortSignal.timeout(60_000) }).then(
    () => report('handover', { to: target, outcome: 'led' }),
    (error: Leasehold.HandOverError) => report('handover', { to: target, outcome: error.reason ?? 'error', message: error.message }),
  );
});

const locks = new KubernetesLeaseLocks(loadKubeConfig(kubeconfig));

/** Competes for one Lease term after term (run() is one-shot, as client-go's Run), acting while it leads. */
async function compete(ref: { namespace: string; name: string }, identity: string): Promise<void> {
  for (let round = 1; !shutdown.signal.aborted; round++) {
    const elector: Leasehold.LeaderElector = new LeaderElector({
      lock: locks.lockFor(ref, identity),
      leaseDuration: parseDuration(values['lease-duration']),
      renewDeadline: parseDuration(values['renew-deadline']),
      retryPeriod: parseDuration(values['retry-period']),
      releaseOnCancel: values['release-on-cancel'],
      callbacks: {
        onStartedLeading: (signal) => {
          report('started', { round, identity, term: elector.term });
          if (effectsFile !== undefined) act(elector, signal, effectsFile);
        },
        onStoppedLeading: () => report('stopped', { round, identity }),
        onNewLeader: (leader) => report('new-leader', { round, identity, leader }),
      },
    });
    current = elector;
    await elector.run({ signal: shutdown.signal });
  }
}

report('ready');
if (electors === 1) await compete({ namespace: values.namespace, name: lease }, identity);
else await Promise.all(Array.from({ length: electors }, (_, i) => compete({ namespace: values.namespace, name: `${lease}-${i}` }, `${identity}-${i}`)));
if (effectsFile !== undefined) closeSync(effectsFile);
report('exiting', { status: 0 });
process.exit(0);
