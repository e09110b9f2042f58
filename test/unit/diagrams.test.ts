/** The committed diagrams are the machines as they are now, drawn from the definitions themselves. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { leaseParticipantMachine } from '../../machines/leaseParticipant.js';
import { DIAGRAM_DIR, diagramPaths, drawMachine } from '../../visualize/diagrams.js';
import { machineToDot } from '../../visualize/dot.js';
import { diagramMachines } from '../../visualize/machines.js';

const STALE = 'is stale: run `npm run visualize` and commit visualize/out';

describe('committed diagrams', () => {
  it.each(diagramMachines.map(({ name, machine }) => [name, machine] as const))('%s: DOT and SVG match the machine', async (name, machine) => {
    const paths = diagramPaths(name);
    expect(existsSync(paths.dot), `${paths.dot} is missing: run \`npm run visualize\``).toBe(true);
    const fresh = await drawMachine(name, machine);
    expect(readFileSync(paths.dot, 'utf8'), `${basename(paths.dot)} ${STALE}`).toBe(fresh.dot);
    expect(readFileSync(paths.svg, 'utf8'), `${basename(paths.svg)} ${STALE}`).toBe(fresh.svg);
  });

  it('holds exactly the listed machines', () => {
    const expected = diagramMachines.flatMap(({ name }) => [`${name}.dot`, `${name}.svg`]).sort();
    expect(readdirSync(DIAGRAM_DIR).sort()).toEqual(expected);
  });
});

describe('machine to DOT', () => {
  const dot = machineToDot(leaseParticipantMachine);

  it('draws compound states as clusters with an initial marker pointing at the initial child', () => {
    expect(dot).toContain('subgraph "cluster_lease.acquiring" {');
    expect(dot).toContain('"lease.acquiring:initial" -> "lease.acquiring.reading";');
    expect(dot).toContain('"lease:initial" -> "lease.idle";');
  });

  it('labels delayed transitions, invoke outcomes and always, with guard names in brackets', () => {
    expect(dot).toMatch(/"lease\.leading" -> "lease\.renewing:initial" \[lhead="cluster_lease\.renewing", label="after renewInterval"\]/);
    expect(dot).toContain('after untilObservedExpiry [heldByOther]');
    expect(dot).toContain('done: claimLease');
    expect(dot).toContain('error: claimLease [isConflict]');
    expect(dot).toContain('always [holderEmpty]');
    expect(dot).toContain('after renewInterval [pastRenewDeadline && stopsAfterLoss(deadline)]');
  });

  it('clips edges leaving a compound state at its border and lists transitions that stay inside it', () => {
    expect(dot).toMatch(/"lease\.renewing:initial" -> "lease\.acquiring:initial" \[ltail="cluster_lease\.renewing", lhead="cluster_lease\.acquiring", label="[^"]*after untilRenewDeadline"\]/);
    expect(dot).toContain('STOP -&gt; stopped');
    expect(dot).toContain('RELEASE [notUpgrading] -&gt; releasing');
    expect(dot).toContain('RELEASE (no-op while upgrading in place)');
  });

  it('is the same text for the same machine, and changes when the machine does', () => {
    expect(machineToDot(leaseParticipantMachine)).toBe(dot);
    const toggle = (guarded: boolean) =>
      setup({ guards: { ready: () => true } }).createMachine({
        id: 'toggle',
        initial: 'off',
        states: { off: { on: { FLIP: guarded ? { target: 'on', guard: 'ready' } : 'on' } }, on: { after: { 500: 'off' } } },
      });
    expect(machineToDot(toggle(false))).toContain('"toggle.off" -> "toggle.on" [label="FLIP"];');
    expect(machineToDot(toggle(true))).toContain('"toggle.off" -> "toggle.on" [label="FLIP [ready]"];');
    expect(machineToDot(toggle(true))).toContain('"toggle.on" -> "toggle.off" [label="after 500 ms"];');
  });
});
