/** The diagram files of one machine: where they live and what they should contain. */
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { machineToDot } from './dot.js';
import { renderSvg } from './renderSvg.js';

export const DIAGRAM_DIR = join(import.meta.dirname, 'out');

export interface Diagram {
  name: string;
  dot: string;
  svg: string;
}

export async function drawMachine(name: string, machine: AnyStateMachine): Promise<Diagram> {
  const dot = machineToDot(machine);
  return { name, dot, svg: await renderSvg(dot) };
}

export const diagramPaths = (name: string) => ({ dot: join(DIAGRAM_DIR, `${name}.dot`), svg: join(DIAGRAM_DIR, `${name}.svg`) });
