/**
 * How readable a drawing is, measured on Graphviz's own layout: the states drawn, the edges drawn
 * and how many times edges cross. `npx tsx visualize/layoutFigures.ts [file.dot ...]` prints them
 * for the given DOT files, or for every overview in visualize/out.
 *
 * Crossings: the layout is rendered to JSON (xdot drawing operations), each edge's B-spline is
 * flattened to a polyline, and every pair of edges is intersected segment by segment. Points inside
 * a node's box (plus a margin) are not counted: edges that share a node meet there by design.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { instance } from '@viz-js/viz';
import { DIAGRAM_DIR } from './diagrams.js';
import { diagramMachines } from './machines.js';

type Point = readonly [number, number];

interface XdotOperation {
  op: string;
  points?: Point[];
}

interface LayoutObject {
  name: string;
  pos?: string;
  width?: string;
  height?: string;
  style?: string;
  class?: string;
  nodes?: number[];
}

interface LayoutEdge {
  tail: number;
  head: number;
  style?: string;
  _draw_?: XdotOperation[];
}

interface Layout {
  bb: string;
  objects?: LayoutObject[];
  edges?: LayoutEdge[];
}

export interface LayoutFigures {
  /** Nodes and clusters drawn with class "state" (initial markers and other pseudo-nodes are not states). */
  states: number;
  /** Visible edges, after merging. */
  edges: number;
  /** Points where two visible edges cross outside the nodes. */
  crossings: number;
  /** The drawing's size in points (1/72 inch) at scale 1. */
  width: number;
  height: number;
}

const SAMPLES_PER_CURVE = 16;
const NODE_MARGIN = 4;

export async function layoutFigures(dot: string): Promise<LayoutFigures> {
  const viz = await instance();
  const layout = viz.renderJSON(dot) as Layout;
  const objects = layout.objects ?? [];
  const boxes = objects.filter((object) => object.pos !== undefined && object.nodes === undefined).map(nodeBox);
  const visible = (layout.edges ?? []).filter((edge) => edge.style !== 'invis');
  const polylines = visible.map((edge) => polyline(edge));
  let crossings = 0;
  for (let a = 0; a < polylines.length; a++) {
    for (let b = a + 1; b < polylines.length; b++) {
      for (const point of intersections(polylines[a]!, polylines[b]!)) {
        if (!boxes.some((box) => inside(point, box))) crossings++;
      }
    }
  }
  const states = objects.filter((object) => (object.class ?? '').split(' ').includes('state')).length;
  const [, , width, height] = layout.bb.split(',').map(Number) as [number, number, number, number];
  return { states, edges: visible.length, crossings, width, height };
}

interface Box {
  left: number;
  right: number;
  bottom: number;
  top: number;
}

function nodeBox(object: LayoutObject): Box {
  const [x, y] = object.pos!.split(',').map(Number) as [number, number];
  const halfWidth = (Number(object.width ?? 0) * 72) / 2 + NODE_MARGIN;
  const halfHeight = (Number(object.height ?? 0) * 72) / 2 + NODE_MARGIN;
  return { left: x - halfWidth, right: x + halfWidth, bottom: y - halfHeight, top: y + halfHeight };
}

function inside([x, y]: Point, box: Box): boolean {
  return x >= box.left && x <= box.right && y >= box.bottom && y <= box.top;
}

/** The edge's spline ('b' operations: cubic Bézier pieces sharing end points) as a polyline. */
function polyline(edge: LayoutEdge): Point[] {
  const points: Point[] = [];
  for (const operation of edge._draw_ ?? []) {
    if (operation.op !== 'b' || !operation.points) continue;
    const controls = operation.points;
    for (let start = 0; start + 3 < controls.length; start += 3) {
      const [p0, p1, p2, p3] = controls.slice(start, start + 4) as [Point, Point, Point, Point];
      for (let step = points.length === 0 ? 0 : 1; step <= SAMPLES_PER_CURVE; step++) points.push(bezier(p0, p1, p2, p3, step / SAMPLES_PER_CURVE));
    }
  }
  return points;
}

function bezier(p0: Point, p1: Point, p2: Point, p3: Point, t: number): Point {
  const u = 1 - t;
  const at = (i: 0 | 1) => u * u * u * p0[i] + 3 * u * u * t * p1[i] + 3 * u * t * t * p2[i] + t * t * t * p3[i];
  return [at(0), at(1)];
}

/** Where two polylines cross; each segment is half-open so a crossing at a shared vertex counts once. */
function intersections(a: Point[], b: Point[]): Point[] {
  const found: Point[] = [];
  for (let i = 0; i + 1 < a.length; i++) {
    for (let j = 0; j + 1 < b.length; j++) {
      const point = segmentIntersection(a[i]!, a[i + 1]!, b[j]!, b[j + 1]!);
      if (point) found.push(point);
    }
  }
  return found;
}

function segmentIntersection(p: Point, p2: Point, q: Point, q2: Point): Point | null {
  const r: Point = [p2[0] - p[0], p2[1] - p[1]];
  const s: Point = [q2[0] - q[0], q2[1] - q[1]];
  const denominator = r[0] * s[1] - r[1] * s[0];
  if (denominator === 0) return null; // parallel or collinear: touching, not crossing
  const qp: Point = [q[0] - p[0], q[1] - p[1]];
  const t = (qp[0] * s[1] - qp[1] * s[0]) / denominator;
  const u = (qp[0] * r[1] - qp[1] * r[0]) / denominator;
  if (t < 0 || t >= 1 || u < 0 || u >= 1) return null;
  return [p[0] + t * r[0], p[1] + t * r[1]];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = process.argv.slice(2);
  const targets = files.length > 0 ? files : diagramMachines.map(({ name }) => join(DIAGRAM_DIR, `${name}.dot`));
  for (const file of targets) {
    const figures = await layoutFigures(readFileSync(file, 'utf8'));
    console.log(`${relative(process.cwd(), file)}: ${figures.states} states, ${figures.edges} edges, ${figures.crossings} crossings, ${figures.width}x${figures.height} pt`);
  }
}
