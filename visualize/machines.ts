/**
 * Every machine leasehold draws: `npm run visualize` writes visualize/out/<name>.dot and .svg for
 * each, and test/unit/diagrams.test.ts fails when a committed diagram is stale. Adding a machine is
 * one line here.
 */
import type { AnyStateMachine } from 'xstate';
import { leaseManagerMachine } from '../machines/leaseManager.js';
import { leaseParticipantMachine } from '../machines/leaseParticipant.js';
import { rolloutManagerMachine } from '../machines/rolloutManager.js';

export const diagramMachines: ReadonlyArray<{ name: string; machine: AnyStateMachine }> = [
  { name: 'leaseParticipant', machine: leaseParticipantMachine },
  { name: 'rolloutManager', machine: rolloutManagerMachine },
  { name: 'leaseManager', machine: leaseManagerMachine },
];
