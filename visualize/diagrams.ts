/**
 * The diagrams of one machine: its overview (the top-level states in their declared order) and a
 * detail diagram for every compound state, with the files they live in.
 */
import { join } from 'node:path';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { levelToDot } from './dot.js';
import { detailedStates, levelOf, pathOf } from './levels.js';
import { type DrawnMachine, type OverviewOrder, diagramMachines } from './machines.js';

export const DIAGRAM_DIR = join(import.meta.dirname, 'out');

export interface Diagram {
  /** File name without extension: `leaseParticipant`, `leaseParticipant.acquiring`. */
  file: string;
  /** The state the diagram draws the inside of: the root for the overview. */
  state: AnyStateNode;
  dot: string;
}

/** The overview first, then the details in the order their boxes appear. */
export function machineDiagrams({ name, machine, order }: DrawnMachine): Diagram[] {
  const fileOf = (state: AnyStateNode) => (state.parent === undefined ? name : `${name}.${pathOf(state)}`);
  const detailLink = (state: AnyStateNode) => `${fileOf(state)}.svg`;
  const overview = { file: name, state: machine.root, dot: levelToDot(levelOf(machine.root), { columns: columnsOf(machine, order), detailLink }) };
  const details = detailedStates(machine.root).map((state) => ({ file: fileOf(state), state, dot: levelToDot(levelOf(state), { detailLink }) }));
  return [overview, ...details];
}

/**
 * How to draw a machine: its entry in visualize/machines.ts (also for a machine with implementations
 * provided, which keeps the definition), else under its id with the top-level states in definition order.
 */
export function drawingOf(machine: AnyStateMachine): DrawnMachine {
  const listed = diagramMachines.find((entry) => entry.machine.config === machine.config);
  return listed ? { ...listed, machine } : { name: machine.id, machine, order: Object.keys(machine.root.states) };
}

/** The declared order as columns of state ids; it must name every top-level state exactly once. */
export function columnsOf(machine: AnyStateMachine, order: OverviewOrder): string[][] {
  const keys = Object.keys(machine.root.states);
  const named = order.flat();
  const unknown = named.filter((key) => !keys.includes(key));
  const missing = keys.filter((key) => !named.includes(key));
  const twice = named.filter((key, index) => named.indexOf(key) !== index);
  if (unknown.length + missing.length + twice.length > 0) {
    const problems = [
      unknown.length ? `names no top-level state ${unknown.join(', ')}` : '',
      missing.length ? `leaves out ${missing.join(', ')}` : '',
      twice.length ? `names ${twice.join(', ')} twice` : '',
    ].filter(Boolean);
    throw new Error(`the overview order of ${machine.id} ${problems.join('; ')}: update its entry in visualize/machines.ts`);
  }
  return order.map((column) => (typeof column === 'string' ? [column] : [...column]).map((key) => (machine.root.states[key] as AnyStateNode).id));
}

export const diagramPaths = (file: string) => ({ dot: join(DIAGRAM_DIR, `${file}.dot`), svg: join(DIAGRAM_DIR, `${file}.svg`) });
