/** The committed diagrams are the machines as they are now, drawn from the definitions themselves. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { instance } from '@viz-js/viz';
import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { leaseParticipantMachine } from '../../machines/leaseParticipant.js';
import { DIAGRAM_DIR, type Diagram, columnsOf, diagramPaths, drawingOf, machineDiagrams } from '../../visualize/diagrams.js';
import { layoutFigures } from '../../visualize/layoutFigures.js';
import { diagramMachines } from '../../visualize/machines.js';
import { svgRenderer } from '../../visualize/renderSvg.js';

const STALE = 'is stale: run `npm run visualize` and commit visualize/out';

const participant = machineDiagrams(diagramMachines.find(({ name }) => name === 'leaseParticipant')!);
const diagramOf = (file: string) => participant.find((diagram) => diagram.file === file)!;
/** The DOT lines of the edges between two DOT names. */
const edgesBetween = (diagram: Diagram, from: string, to: string) => diagram.dot.split('\n').filter((line) => line.startsWith(`  "${from}" -> "${to}" [label=`));

describe('committed diagrams', () => {
  it.each(diagramMachines.map((entry) => [entry.name, entry] as const))('%s: every DOT and SVG matches the machine', async (_, entry) => {
    const render = await svgRenderer();
    for (const diagram of machineDiagrams(entry)) {
      const paths = diagramPaths(diagram.file);
      expect(existsSync(paths.dot), `${paths.dot} is missing: run \`npm run visualize\``).toBe(true);
      expect(readFileSync(paths.dot, 'utf8'), `${basename(paths.dot)} ${STALE}`).toBe(diagram.dot);
      expect(readFileSync(paths.svg, 'utf8'), `${basename(paths.svg)} ${STALE}`).toBe(render(diagram.dot));
    }
  });

  it('holds exactly the diagrams of the listed machines', () => {
    const expected = diagramMachines.flatMap((entry) => machineDiagrams(entry).flatMap(({ file }) => [`${file}.dot`, `${file}.svg`])).sort();
    expect(readdirSync(DIAGRAM_DIR).sort()).toEqual(expected);
  });
});

describe('the overview', () => {
  const overview = participant[0]!;

  it('draws each top-level state once, as a box listing the states inside it', () => {
    const boxes = [...overview.dot.matchAll(/^ {2}"(lease\.[^"]+)" \[class="state"/gm)].map((match) => match[1]);
    expect(boxes.sort()).toEqual(Object.values(leaseParticipantMachine.root.states).map((state) => state.id).sort());
    const acquiring = overview.dot.split('\n').find((line) => line.startsWith('  "lease.acquiring" ['))!;
    for (const child of ['reading', 'deciding', 'waiting', 'claiming', 'creating', 'backoff']) expect(acquiring).toContain(`id="lease.acquiring.${child}"`);
    expect(acquiring).toContain('href="leaseParticipant.acquiring.svg"');
  });

  it('merges the transitions between two top-level states into one edge listing their events', () => {
    const [renewingToAcquiring, ...more] = edgesBetween(overview, 'lease.renewing', 'lease.acquiring');
    expect(more).toEqual([]);
    // From states inside renewing (done: renewLease, always, after pollInterval) and from renewing itself.
    expect(renewingToAcquiring).toContain('label="after untilRenewDeadline\\ndone: renewLease\\nalways\\nafter pollInterval"');
    expect(edgesBetween(overview, 'lease.leading', 'lease.renewing')).toEqual([
      '  "lease.leading" -> "lease.renewing" [label="LEASE_OBSERVED\\n[removedByNewerWrite]\\nafter renewInterval", penwidth=1.8, color="#30343b"];',
    ]);
    // Transitions inside a compound state are its detail's, not the overview's.
    expect(edgesBetween(overview, 'lease.acquiring', 'lease.acquiring')).toEqual([]);
  });

  it('starts transitions written on the machine itself at an "in any state" marker', () => {
    expect(edgesBetween(overview, 'any:lease', 'lease.stopped')).toEqual(['  "any:lease" -> "lease.stopped" [label="STOP", color="#979ca5", fontcolor="#4b5059"];']);
    expect(overview.dot).toContain('UPGRADE_STARTED / markUpgrading');
  });

  it('lays the states out left to right in the declared order: idle, acquiring, leading, renewing, releasing, stopped', async () => {
    const viz = await instance();
    const layout = viz.renderJSON(overview.dot) as { objects: Array<{ name: string; pos?: string }> };
    const x = (id: string) => Number(layout.objects.find((object) => object.name === id)!.pos!.split(',')[0]);
    const line = ['idle', 'acquiring', 'leading', 'renewing', 'releasing', 'stopped'].map((key) => x(`lease.${key}`));
    expect(line).toEqual([...line].sort((a, b) => a - b));
    expect(new Set(line).size).toBe(line.length);
  });

  it('refuses a declared order that does not name every top-level state exactly once', () => {
    const order = ['idle', 'acquiring', 'leading', 'renewing', 'handingOver', 'leading', 'releasing', 'gone'];
    expect(() => columnsOf(leaseParticipantMachine, order)).toThrow(
      'the overview order of lease names no top-level state gone; leaves out stopped; names leading twice: update its entry in visualize/machines.ts',
    );
  });
});

describe('detail diagrams', () => {
  it('are drawn for every compound state, nested ones included', () => {
    expect(participant.map(({ file }) => file)).toEqual([
      'leaseParticipant',
      'leaseParticipant.acquiring',
      'leaseParticipant.renewing',
      'leaseParticipant.handingOver',
      'leaseParticipant.releasing',
    ]);
  });

  it('draw the states inside with every transition in full: events, guards, invoke outcomes, delays', () => {
    const acquiring = diagramOf('leaseParticipant.acquiring').dot;
    expect(acquiring).toContain('"initial:lease.acquiring" -> "lease.acquiring.reading";');
    expect(acquiring).toContain('done: claimLease');
    expect(acquiring).toContain('error: claimLease [isConflict]');
    expect(acquiring).toContain('always [holderEmpty]');
    expect(acquiring).toContain('after untilObservedExpiry\\n[heldByOther]');
    const renewing = diagramOf('leaseParticipant.renewing').dot;
    expect(renewing).toContain('after pollInterval\\n[pastRenewDeadline &&\\n stopsAfterLoss(deadline)]');
  });

  it('end transitions that leave the state at an exit naming the target, and list those that stay', () => {
    const acquiring = diagramOf('leaseParticipant.acquiring');
    expect(acquiring.dot).toContain('"exit:lease.leading" [shape=plaintext, style="", fontcolor="#5b6270", label="to leading"];');
    expect(edgesBetween(acquiring, 'lease.acquiring.claiming', 'exit:lease.leading')).toEqual(['  "lease.acquiring.claiming" -> "exit:lease.leading" [label="done: claimLease"];']);
    expect(edgesBetween(acquiring, 'lease.acquiring.waiting', 'lease.acquiring.deciding')).toEqual(['  "lease.acquiring.waiting" -> "lease.acquiring.deciding" [label="LEASE_OBSERVED"];']);
    expect(acquiring.dot).toContain('LEASE_OBSERVED / observe');
    expect(edgesBetween(participant[0]!, 'any:lease', 'lease.releasing')).toEqual(['  "any:lease" -> "lease.releasing" [label="RELEASE [notUpgrading]", color="#979ca5", fontcolor="#4b5059"];']);
    expect(participant[0]!.dot).toContain('RELEASE (no-op while upgrading in place)');
  });

  it('link a compound state inside a detail to its own detail', () => {
    const nested = setup({}).createMachine({
      id: 'door',
      initial: 'open',
      states: {
        open: { initial: 'ajar', states: { ajar: { initial: 'still', states: { still: { on: { PUSH: '#door.shut' } } } } } },
        shut: {},
      },
    });
    const diagrams = machineDiagrams(drawingOf(nested));
    const open = diagrams.find(({ file }) => file === 'door.open')!.dot;
    expect(open).toContain('href="door.open.ajar.svg"');
    expect(diagrams.find(({ file }) => file === 'door.open.ajar')!.dot).toContain('"exit:door.shut"');
  });
});

describe('any machine', () => {
  const toggle = (guarded: boolean) =>
    setup({ guards: { ready: () => true } }).createMachine({
      id: 'toggle',
      initial: 'off',
      states: { off: { on: { FLIP: guarded ? { target: 'on', guard: 'ready' } : 'on' } }, on: { after: { 500: 'off' }, on: { KICK: { target: 'on', reenter: true } } } },
    });

  it('is drawn in definition order when it is not listed, the same text each time, and changes when the machine does', () => {
    const [plain] = machineDiagrams(drawingOf(toggle(false)));
    const [guarded] = machineDiagrams(drawingOf(toggle(true)));
    expect(plain!.file).toBe('toggle');
    expect(plain!.dot).toBe(machineDiagrams(drawingOf(toggle(false)))[0]!.dot);
    expect(plain!.dot).toContain('"toggle.off" -> "toggle.on" [label="FLIP", penwidth=1.8, color="#30343b"];');
    expect(guarded!.dot).toContain('"toggle.off" -> "toggle.on" [label="FLIP [ready]", penwidth=1.8, color="#30343b"];');
    // Off the main line (each column to the next), edges are drawn lighter.
    expect(guarded!.dot).toContain('"toggle.on" -> "toggle.off" [label="after 500 ms", color="#979ca5", fontcolor="#4b5059"];');
    expect(guarded!.dot).toContain('"toggle.on" -> "toggle.on" [label="KICK", color="#979ca5", fontcolor="#4b5059"];');
  });

  it('draws a machine listed in visualize/machines.ts the same when its implementations are provided', () => {
    const provided = leaseParticipantMachine.provide({ delays: { pollInterval: 1 } });
    expect(machineDiagrams(drawingOf(provided)).map(({ dot }) => dot)).toEqual(participant.map(({ dot }) => dot));
  });
});

describe('layout figures', () => {
  it('count the crossings Graphviz could not avoid, and none where there are none', async () => {
    const complete = ['a1', 'a2', 'a3'].flatMap((a) => ['b1', 'b2', 'b3'].map((b) => `${a} -> ${b};`)).join(' ');
    // Two layers fully joined: every pair of a-nodes crosses every pair of b-nodes once, 3 x 3.
    expect(await layoutFigures(`digraph { rankdir=LR; node [class="state"]; ${complete} }`)).toMatchObject({ states: 6, edges: 9, crossings: 9 });
    expect(await layoutFigures('digraph { node [class="state"]; a -> b; a -> c; b -> d; c -> e; start [class="initial"]; start -> a; }')).toMatchObject({ states: 5, edges: 5, crossings: 0 });
  });
});
