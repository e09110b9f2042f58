/**
 * `npm run visualize`: every machine in visualize/machines.ts to visualize/out — its overview
 * <name>.dot/.svg and one <name>.<state>.dot/.svg per compound state — straight from the machine
 * definitions. Prints each file written and the render time.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DIAGRAM_DIR, diagramPaths, machineDiagrams } from './diagrams.js';
import { diagramMachines } from './machines.js';
import { svgRenderer } from './renderSvg.js';

const started = performance.now();
const render = await svgRenderer();
mkdirSync(DIAGRAM_DIR, { recursive: true });
const written = new Set<string>();
for (const entry of diagramMachines) {
  const drawingStarted = performance.now();
  const diagrams = machineDiagrams(entry);
  for (const diagram of diagrams) {
    const paths = diagramPaths(diagram.file);
    writeFileSync(paths.dot, diagram.dot);
    writeFileSync(paths.svg, render(diagram.dot));
    written.add(paths.dot).add(paths.svg);
  }
  const took = performance.now() - drawingStarted;
  console.log(`${entry.name}: wrote ${diagrams.map((diagram) => `${diagram.file}.svg`).join(', ')} and their .dot to ${relative(process.cwd(), DIAGRAM_DIR)} (${took.toFixed(0)} ms)`);
}
// A machine or state taken away must not leave its old diagram behind.
for (const file of readdirSync(DIAGRAM_DIR)) {
  const path = join(DIAGRAM_DIR, file);
  if (written.has(path)) continue;
  rmSync(path);
  console.log(`removed ${relative(process.cwd(), path)}`);
}
console.log(`${written.size / 2} diagram(s) of ${diagramMachines.length} machine(s) in ${(performance.now() - started).toFixed(0)} ms in all, loading Graphviz's WebAssembly included`);
