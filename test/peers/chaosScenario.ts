/**
 * Chaos over a mixed fleet of four on one Lease: two client-go electors (one with ReleaseOnCancel)
 * and two leasehold participants (`leasehold run`, the library). Each round hits the leader (two
 * times in three) or a candidate with one fault: SIGKILL (restarted later, as a kubelet would), a
 * paused pod (SIGSTOP of every process group it has, SIGCONT later) or a black hole between it and
 * the API server. Members that exit on their own (`leasehold run` after losing its lease) are
 * restarted at once. The verdict comes from the shared effects file alone: no two tenures overlap.
 *
 * A pause lasts at most leaseDuration - retryPeriod - 1 s: a frozen leader that wakes later than
 * leaseDuration after its last renew finds a successor already acting, and whatever its guarded
 * process does between waking and being killed overlaps it. No supervisor can prevent that (README:
 * LEASEHOLD_TERM); the pauses here are the ones a correct participant must survive. Black holes
 * last up to 6 s, longer than the lease.
 *
 * LEASEHOLD_CHAOS_ROUNDS (default 20) and LEASEHOLD_CHAOS_SEED (default: the time) repeat a run.
 */
import { afterEach, expect, it } from 'vitest';
import { seededRandom } from '../../src/sim/random.js';
import { isAlive } from '../support/sidecar.js';
import { MIXED_TIMING, type MixedFleet, mixedFleet, type Peer, type Target } from './fleet.js';

const ROUNDS = Number(process.env.LEASEHOLD_CHAOS_ROUNDS ?? 20);
const SEED = Number(process.env.LEASEHOLD_CHAOS_SEED ?? Date.now() % 2 ** 31);
const LEASE_MS = 4_000;
const RETRY_MS = 500;
const MAX_PAUSE_MS = LEASE_MS - RETRY_MS - 1_000;
const MAX_BLACKHOLE_MS = 6_000;

type FaultKind = 'SIGKILL' | 'pause' | 'blackhole';
const FAULTS: FaultKind[] = ['SIGKILL', 'pause', 'blackhole'];

interface Round {
  kind: FaultKind;
  victim: string;
  wasLeader: boolean;
  durationMs: number;
  /** The effect index when the fault began, and the first effect after it ended. */
  before: number;
  nextActor: string;
}

/** The duration of a fault: waiting on the real clock is the fault itself here, not a synchronisation. */
const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function chaosScenario(target: Target): void {
  let fleet: MixedFleet | undefined;
  let stopping = false;
  afterEach(async (context) => {
    stopping = true;
    if (context.task.result?.state === 'fail' && fleet) console.error(fleet.report());
    await fleet?.close();
    fleet = undefined;
  });

  it(`${ROUNDS} rounds of SIGKILL, paused pods and black holes over 2 client-go + 2 leasehold members: no two tenures' effects overlap`, { timeout: ROUNDS * 30_000 }, async () => {
    console.log(`chaos on ${target}: seed ${SEED} (LEASEHOLD_CHAOS_SEED=${SEED} repeats this run), ${ROUNDS} rounds`);
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    fleet = await mixedFleet(target, 'chaos');
    const running = fleet;
    stopping = false;
    const members = new Map<string, Peer>();
    const heldDown = new Set<string>();

    /** Every process the member has, and every effects writer it ever started, are gone. */
    const gone = async (peer: Peer, pids: number[]) => {
      const writers = running.effects().filter((effect) => effect.who === peer.identity).map((effect) => effect.pid);
      const all = [...new Set([...pids, ...writers])];
      while (all.some(isAlive)) await hold(5);
    };
    /** A kubelet: a member that exits is started again once its processes are gone, unless a fault holds it down. */
    const supervise = (peer: Peer) => {
      members.set(peer.identity, peer);
      const pids = peer.tree();
      void peer.exited.then(async () => {
        if (stopping || heldDown.has(peer.identity) || members.get(peer.identity) !== peer) return;
        await gone(peer, pids);
        if (!stopping) supervise(await running.restart(peer));
      });
    };
    for (const [kind, identity, releaseOnCancel] of [
      ['client-go', 'go-1', true],
      ['client-go', 'go-2', false],
      ['leasehold run', 'run-1', false],
      ['leasehold library', 'lib-1', false],
    ] as const) {
      supervise(await fleet.start(kind, { identity, releaseOnCancel, timing: MIXED_TIMING }));
    }

    const rounds: Round[] = [];
    await running.whenAnyActing(0);
    // Every fault kind once in each block of three rounds, in a random order.
    const kinds = Array.from({ length: Math.ceil(ROUNDS / 3) }, () => [...FAULTS].sort(() => random() - 0.5)).flat();
    for (let round = 0; round < ROUNDS; round++) {
      await hold(random() * 1_000);
      const leader = running.effects().at(-1)!.who;
      const others = [...members.keys()].filter((identity) => identity !== leader);
      const victim = members.get(random() < 2 / 3 ? leader : pick(others))!;
      const kind = kinds[round]!;
      const before = running.effects().length;
      let durationMs = 0;
      if (kind === 'SIGKILL') {
        heldDown.add(victim.identity);
        const pids = victim.tree();
        victim.signal('SIGKILL');
        await gone(victim, pids);
        durationMs = random() * 2 * LEASE_MS;
        await hold(durationMs);
        heldDown.delete(victim.identity);
        supervise(await running.restart(victim));
      } else if (kind === 'pause') {
        durationMs = 200 + random() * (MAX_PAUSE_MS - 200);
        victim.pause();
        await hold(durationMs);
        victim.resume();
      } else {
        durationMs = 500 + random() * (MAX_BLACKHOLE_MS - 500);
        victim.proxy.blackhole(true);
        await hold(durationMs);
        victim.proxy.blackhole(false);
      }
      const next = await running.whenAnyActing(running.effects().length);
      rounds.push({ kind, victim: victim.identity, wasLeader: victim.identity === leader, durationMs, before, nextActor: next.who });
    }

    for (const kind of FAULTS) {
      const of = rounds.filter((round) => round.kind === kind);
      console.log(
        `chaos on ${target}, ${kind}: ${of.length} rounds (${of.filter((round) => round.wasLeader).length} on the leader), ` +
          `durations ${of.map((round) => (round.durationMs / 1000).toFixed(1)).join(', ')} s; leader afterwards: ${of.map((round) => round.nextActor).join(', ')}`,
      );
    }
    const tenures = running.tenures();
    console.log(`chaos on ${target}: ${tenures.length} tenures by ${new Set(tenures.map((tenure) => tenure.who)).size} members, ${running.effects().length} effects`);
    expect(rounds).toHaveLength(ROUNDS);
    running.assertNoOverlap();
  });
}
