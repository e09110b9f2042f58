/**
 * Every machine leasehold draws: `npm run visualize` writes its overview and one detail diagram per
 * compound state to visualize/out, and test/unit/diagrams.test.ts fails when a committed diagram is
 * stale. Adding a machine is one entry here.
 *
 * `order` is the overview's layout: the top-level states left to right in the order a run goes
 * through them; a nested list stacks states in one column, top to bottom. It must name every
 * top-level state once, so a renamed or added state fails loudly instead of drifting.
 */
import type { AnyStateMachine } from 'xstate';
import { leaseManagerMachine } from '../machines/leaseManager.js';
import { leaseParticipantMachine } from '../machines/leaseParticipant.js';
import { rolloutManagerMachine } from '../machines/rolloutManager.js';

export type OverviewOrder = ReadonlyArray<string | readonly string[]>;

export interface DrawnMachine {
  /** The diagrams' file names start with it. */
  name: string;
  machine: AnyStateMachine;
  order: OverviewOrder;
}

export const diagramMachines: readonly DrawnMachine[] = [
  {
    name: 'leaseParticipant',
    machine: leaseParticipantMachine,
    order: ['idle', 'acquiring', 'leading', 'renewing', ['handingOver', 'releasing'], 'stopped'],
  },
  { name: 'rolloutManager', machine: rolloutManagerMachine, order: ['empty', 'claimed'] },
  { name: 'leaseManager', machine: leaseManagerMachine, order: ['loading', 'running', 'stopped'] },
];
