/**
 * `leasehold demo [--ui] [--ui-port N] [--inspect ws://HOST:PORT]`: the demo story, on an embedded
 * Lease API server in this process, optionally watched. --inspect sends every participant's
 * inspection events to the Stately inspector's relay; --ui serves the offline live view (diagrams
 * with the current state, the lease, a transition log) and keeps handing the lease over until
 * SIGINT/SIGTERM so a person can watch; a rollout manager and a lease manager decide beside the
 * participants (managers.ts). The demo, the live view and the inspector load only when used.
 */
import { ConfigError } from '../../lease/errors.js';
import type { ParticipantSnapshot } from '../../runtime/participant.js';
import type { LeaseManager } from '../../api/leaseManager.js';
import type { RolloutManager } from '../../api/rolloutManager.js';
import { type CommandLine, type CommandSpec, inspectFlag, portFlag } from '../flags.js';

export const spec: CommandSpec = {
  name: 'demo',
  flags: { ui: { type: 'boolean' }, 'ui-port': { type: 'string' }, inspect: { type: 'string' } },
  usage: `usage: leasehold demo [--ui] [--ui-port N] [--inspect ws://HOST:PORT]

Three instance managers compete for one lease on an embedded Lease API server in this process:
election, hand-over (a release), switchover to a chosen pod (handOver), crash failover, in-place
upgrade. --ui serves a live view on http://127.0.0.1 (any free port, or --ui-port N) and keeps
handing the lease on, by release and by switchover in turn, until Ctrl-C. --inspect sends
XState inspection events to a Stately inspector relay.
`,
};

export async function main(line: CommandLine, print: (line: string) => void = console.log): Promise<number> {
  const inspectUrl = inspectFlag(line);
  const uiPort = portFlag(line, 'ui-port');
  const ui = line.values.ui === true;
  if (uiPort !== undefined && !ui) throw new ConfigError('--ui-port needs --ui', '--ui-port');

  const { demo } = await import('./story.js');
  const inspection = inspectUrl === undefined ? undefined : await import('../inspection.js');
  const stately = inspectUrl === undefined ? undefined : inspection!.webSocketInspector(inspectUrl);
  if (inspectUrl) print(`inspection events go to ${inspectUrl} (the Stately inspector relay; see README "Stately inspector")`);
  if (!ui) {
    await demo({ print, inspect: stately });
    return 0;
  }

  const [{ startLiveView }, { startDemoManagers }, { inspectAll }, { realClock }] = await Promise.all([
    import('../../../visualize/liveView.js'),
    import('./managers.js'),
    import('../inspection.js'),
    import('../../time/realClock.js'),
  ]);
  const liveView = await startLiveView({ port: uiPort ?? 0, title: 'leasehold demo' });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  print(`live view: ${liveView.url} (Ctrl-C stops the demo)`);
  const lease = 'default/cluster-example';
  const inspect = inspectAll([stately, liveView.inspect]) ?? liveView.inspect;
  startDemoManagers(realClock, inspect, stop.signal, ({ rollout, leases }) => {
    liveView.register('rollout manager', rollout.actor, { describe: () => describeRollout(rollout) });
    liveView.register('lease manager', leases.actor, { describe: () => describeLeases(leases) });
  });
  try {
    await demo({
      print,
      inspect,
      onParticipant: (identity, participant) =>
        liveView.register(identity, participant.actor, { describe: (snapshot) => describeParticipant(snapshot as ParticipantSnapshot) }),
      onLeaseObserved: (record, at) =>
        liveView.showLease(lease, {
          holder: record.holderIdentity,
          term: record.leaseTransitions,
          expiresAt: record.holderIdentity ? at + record.leaseDurationSeconds * 1000 : null,
        }),
      loop: true,
      signal: stop.signal,
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    print('interrupted: every participant stopped');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await liveView.close();
  }
  return 0;
}

function describeParticipant(snapshot: ParticipantSnapshot): string {
  const { leader, term, counters } = snapshot.context;
  const held = term === null ? '' : `term ${term} · `;
  return `${held}sees ${leader || 'no holder'} · ${counters.renewals} renewals`;
}

function describeRollout(rollout: RolloutManager): string {
  const { lastCluster, decision } = rollout.actor.getSnapshot().context;
  const last = decision ? (decision.rolloutAllowed ? 'last: allowed' : `last: wait ${Math.ceil(decision.timeToWait / 1000)} s`) : 'no request yet';
  return `slot: ${lastCluster ?? 'empty'} · ${last}`;
}

function describeLeases(leases: LeaseManager): string {
  const report = leases.report();
  const holder = leases.reader('application-leadership', 'demo').leases().web?.holder ?? 'nobody';
  return `web held by ${holder} · ${report.waiters} waiting · ${report.counters.claimed} claimed, ${report.counters.denied} denied`;
}
