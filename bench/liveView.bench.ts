/**
 * Live-view latency and diagram render time: `npx tsx bench/liveView.bench.ts [--transitions 50]`.
 *
 * Latency: three PrimaryLease participants on a memory store hand the lease over every 200 ms in
 * real time while Chromium shows the live view. For each state transition, the time from the
 * inspection event reaching the live view (stamped on the server) to the page having applied it to
 * the DOM, and to the next animation frame after that (the update on screen). Both ends read the
 * same wall clock; the page's offset from this process is measured and subtracted.
 *
 * Render: Graphviz start-up (WebAssembly), then every machine in visualize/machines.ts to all its
 * diagrams (overview and details), DOT and SVG: the first time, then 20 more.
 */
import { PrimaryLease } from '../src/api/primaryLease.js';
import { MemoryLeaseStore } from '../src/memory/leaseStore.js';
import { realClock } from '../src/time/realClock.js';
import { launchChromium } from '../test/browser/chromium.js';
import { machineDiagrams } from '../visualize/diagrams.js';
import { startLiveView } from '../visualize/liveView.js';
import { diagramMachines } from '../visualize/machines.js';
import { svgRenderer } from '../visualize/renderSvg.js';
import { sleep } from './handover.js';
import { ms, option, percentile, printTable } from './stats.js';

interface Applied {
  seq: number;
  id: string;
  state: string;
  emittedAt: number;
  appliedAt: number;
  paintedAt: number | null;
}

const TRANSITIONS = option('transitions', 50);
const TIMING = { leaseDuration: 3_000, renewDeadline: 2_000, retryPeriod: 1_000 };
const wallTime = () => performance.timeOrigin + performance.now();

async function renderTimes() {
  const loading = performance.now();
  const render = await svgRenderer();
  const startup = performance.now() - loading;
  const machines = diagramMachines.map((entry) => {
    const times: number[] = [];
    let diagrams = 0;
    for (let run = 0; run <= 20; run++) {
      const started = performance.now();
      const drawn = machineDiagrams(entry);
      for (const diagram of drawn) render(diagram.dot);
      times.push(performance.now() - started);
      diagrams = drawn.length;
    }
    // The first render of a Graphviz instance also compiles its code paths: reported apart.
    const [first, ...warm] = times as [number, ...number[]];
    return { name: entry.name, diagrams, first, warm };
  });
  return { startup, machines };
}

async function liveViewLatency() {
  const view = await startLiveView();
  const store = new MemoryLeaseStore(realClock);
  const ref = { namespace: 'default', name: 'bench' };
  store.put(ref, { holderIdentity: '', leaseDurationSeconds: 3, acquireTime: null, renewTime: null, leaseTransitions: 0 });
  const participants = new Map<string, PrimaryLease>();
  const join = (identity: string) => {
    const participant = new PrimaryLease({ lock: store.lockFor(ref, identity), inspect: view.inspect });
    participants.set(identity, participant);
    view.register(identity, participant.actor);
    void participant.acquire(TIMING).catch(() => {});
  };

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(view.url);
    for (const identity of ['pod-1', 'pod-2', 'pod-3']) join(identity);
    await page.locator('#connection[data-connected="true"]').waitFor({ timeout: 10_000 });
    await page.locator('article.actor:nth-of-type(3) .diagram svg').waitFor({ timeout: 10_000 });

    // The page's wall clock against ours: the reading that came back fastest bounds the error best.
    let offset = 0;
    let uncertainty = Number.POSITIVE_INFINITY;
    for (let probe = 0; probe < 20; probe++) {
      const before = wallTime();
      const pageTime = (await page.evaluate('performance.timeOrigin + performance.now()')) as number;
      const after = wallTime();
      if ((after - before) / 2 < uncertainty) [offset, uncertainty] = [pageTime - (before + after) / 2, (after - before) / 2];
    }

    const measuredFrom = (await page.evaluate('window.liveView.applied.length')) as number;
    const transitions = async () => {
      const applied = ((await page.evaluate('window.liveView.applied')) as Applied[]).slice(measuredFrom);
      const last = new Map<string, string>();
      return applied.filter((entry) => {
        const changed = last.has(entry.id) && last.get(entry.id) !== entry.state;
        last.set(entry.id, entry.state);
        return changed && entry.paintedAt !== null;
      });
    };
    for (let handOvers = 0; (await transitions()).length < TRANSITIONS; handOvers++) {
      if (handOvers > TRANSITIONS * 4) throw new Error('the participants stopped producing transitions');
      const leader = [...participants].find(([, participant]) => participant.isLeader())?.[0];
      if (leader) {
        await participants.get(leader)!.release();
        participants.get(leader)!.stop();
        join(leader);
      }
      await sleep(200);
    }
    const measured = (await transitions()).slice(0, TRANSITIONS);
    const applied = measured.map((entry) => entry.appliedAt - offset - entry.emittedAt);
    const painted = measured.map((entry) => entry.paintedAt! - offset - entry.emittedAt);
    return { count: measured.length, applied, painted, offset, uncertainty };
  } finally {
    for (const participant of participants.values()) participant.stop();
    await browser.close();
    await view.close();
  }
}

const renders = await renderTimes();
console.log(`Graphviz (WebAssembly) start-up: ${ms(renders.startup)}`);
printTable(
  renders.machines.map(({ name, diagrams, first, warm }) => ({
    'machine -> DOT -> SVG': name,
    diagrams,
    first: ms(first),
    'then runs': warm.length,
    p50: ms(percentile(warm, 50)),
    p99: ms(percentile(warm, 99)),
  })),
);
const cold = renders.startup + renders.machines.reduce((sum, { first }) => sum + first, 0);
const warm = renders.machines.reduce((sum, { warm }) => sum + percentile(warm, 50), 0);
console.log(`all ${renders.machines.length} machine(s): ${ms(cold)} cold (start-up + first renders), ${ms(warm)} warm (sum of p50s)\n`);

const latency = await liveViewLatency();
console.log(`page clock offset ${latency.offset.toFixed(2)} ms ± ${latency.uncertainty.toFixed(2)} ms (subtracted)`);
printTable([
  { 'inspection event -> page': 'DOM updated', transitions: latency.count, p50: ms(percentile(latency.applied, 50)), p99: ms(percentile(latency.applied, 99)), max: ms(Math.max(...latency.applied)) },
  { 'inspection event -> page': 'next frame', transitions: latency.count, p50: ms(percentile(latency.painted, 50)), p99: ms(percentile(latency.painted, 99)), max: ms(Math.max(...latency.painted)) },
]);
