/**
 * `npm run visualize`: every machine in visualize/machines.ts to visualize/out/<name>.dot and .svg,
 * straight from the machine definitions. Prints each file written and the render times.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DIAGRAM_DIR, diagramPaths, drawMachine } from './diagrams.js';
import { diagramMachines } from './machines.js';

const started = performance.now();
mkdirSync(DIAGRAM_DIR, { recursive: true });
const written = new Set<string>();
for (const { name, machine } of diagramMachines) {
  const drawingStarted = performance.now();
  const diagram = await drawMachine(name, machine);
  const took = performance.now() - drawingStarted;
  const paths = diagramPaths(name);
  writeFileSync(paths.dot, diagram.dot);
  writeFileSync(paths.svg, diagram.svg);
  written.add(paths.dot).add(paths.svg);
  console.log(`wrote ${relative(process.cwd(), paths.dot)} and ${relative(process.cwd(), paths.svg)} (${took.toFixed(0)} ms)`);
}
// A machine taken off the list must not leave its old diagram behind.
for (const file of readdirSync(DIAGRAM_DIR)) {
  const path = join(DIAGRAM_DIR, file);
  if (written.has(path)) continue;
  rmSync(path);
  console.log(`removed ${relative(process.cwd(), path)}`);
}
console.log(
  `${diagramMachines.length} machine(s) rendered to DOT and SVG in ${(performance.now() - started).toFixed(0)} ms in all (the first includes loading Graphviz's WebAssembly)`,
);
