/**
 * Events on kube-apiserver as an operator sees them: `leasehold run` members change leaders, and
 * `kubectl get events` (the newest kubectl the suite has) lists who became leader of the Lease, in
 * core/v1 and in events.k8s.io/v1, which kube-apiserver serves from the same objects.
 */
import { afterEach, expect, it } from 'vitest';
import { findKubectls } from '../support/kubectl.js';
import { describeOnRealCluster } from '../support/realCluster.js';
import { type RealFleet, startRealFleet } from '../support/realFleet.js';
import { commands, startRunner } from '../support/sidecar.js';

let fleet: RealFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const kubectl = findKubectls().kubectls.sort((a, b) => b.minor - a.minor)[0];

describeOnRealCluster('Events on kube-apiserver', () => {
  it('kubectl get events shows each leader of the Lease (reason LeaderElection, object lease/job), in both API groups', async () => {
    expect(kubectl, 'a kubectl (npm install brings 1.35)').toBeDefined();
    fleet = await startRealFleet('events');
    const env = { ...process.env, KUBECONFIG: fleet.kubeconfig };
    const first = startRunner(fleet, { identity: 'member-1', command: commands.worker });
    await fleet.observer.whenAlive('member-1');
    startRunner(fleet, { identity: 'member-2', command: commands.worker });
    first.signal('SIGTERM');
    await fleet.observer.whenAlive('member-2');

    // Events go out after the lease writes, one at a time: read until both leaders are listed.
    const listed = async (args: string[], text: string) => {
      for (;;) {
        const output = await kubectl!.run(args, env);
        if (output.includes(text)) return output;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const core = await listed(['get', 'events', '--field-selector', 'involvedObject.name=job', '-o', 'custom-columns=REASON:.reason,OBJECT:.involvedObject.kind,NAME:.involvedObject.name,MESSAGE:.message'], 'member-2 became leader');
    expect(core).toMatch(/LeaderElection\s+Lease\s+job\s+member-1 became leader/);
    expect(core).toMatch(/LeaderElection\s+Lease\s+job\s+member-2 became leader/);
    const table = await kubectl!.run(['get', 'events'], env);
    expect(table).toMatch(/Normal\s+LeaderElection\s+lease\/job\s+member-2 became leader/);
    const eventsGroup = await listed(['get', 'events.v1.events.k8s.io', '-o', 'custom-columns=REASON:.reason,KIND:.regarding.kind,NOTE:.note'], 'member-2 became leader');
    expect(eventsGroup).toMatch(/LeaderElection\s+Lease\s+member-1 became leader/);
  });
});
