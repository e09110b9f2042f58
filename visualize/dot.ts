/**
 * One level of a machine (levels.ts) as a Graphviz DOT digraph, drawn left to right.
 *
 * - a box per child state; a box with children lists them (its detail diagram draws them) and
 *   links to that diagram; an atomic box lists what it invokes and the transitions that stay in it;
 * - one edge per pair of ends, labelled with every transition it stands for: `EVENT`, `after
 *   <delay>`, `done: <id>` / `error: <id>` (an invoke's outcome), `always`, the guard in brackets;
 * - a dot marks where the level starts; dashed "any state" markers carry the transitions written
 *   on the state itself; exits (a detail's way out) are plain arrows to the state's name;
 * - `columns` fixes the boxes' order left to right (the overview's declared order), exits sit in
 *   the last column.
 *
 * Every box's DOT name is its state id and carries class "state", and each listed child's row has
 * the SVG id `a_<child id>`, so a page can highlight the state an actor is in. The output depends
 * only on the machine and the options: same input, same bytes.
 */
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { describeEventType } from './eventNames.js';
import { type End, type Level, type LevelEdge, children, hasChildren, pathOf, stayingTransitions } from './levels.js';

const FONT = 'Helvetica';
const INK = '#30343b';
const MUTED = '#5b6270';

export interface LevelDrawing {
  /** Columns left to right, each the ids of the boxes stacked in it top to bottom. */
  columns?: ReadonlyArray<readonly string[]>;
  /** The file a box's detail diagram is in, for boxes with children. */
  detailLink?: (state: AnyStateNode) => string;
}

export function levelToDot(level: Level, { columns = [], detailLink }: LevelDrawing = {}): string {
  const isRoot = level.state.parent === undefined;
  const lines = [
    `digraph ${quote(level.state.id)} {`,
    '  rankdir=LR;',
    '  newrank=true;',
    '  nodesep=0.3;',
    '  ranksep=0.25;',
    `  graph [fontname=${quote(FONT)}, fontsize=13, fontcolor=${quote(INK)}, labelloc=t, labeljust=l, style="rounded,dashed", color="#aab0ba"];`,
    `  node [fontname=${quote(FONT)}, fontsize=12, shape=box, style="rounded,filled", fillcolor="#ffffff", color=${quote(MUTED)}, penwidth=1.3, margin="0.12,0.06"];`,
    `  edge [fontname=${quote(FONT)}, fontsize=9, color=${quote(MUTED)}, fontcolor=${quote(INK)}, arrowsize=0.7];`,
  ];
  if (!isRoot) lines.push(`  label=${quote(`${level.state.machine.id}: inside ${pathOf(level.state)}`)};`);

  for (const container of level.containers) {
    const region = container.state !== level.state;
    const pad = region ? '    ' : '  ';
    if (region) lines.push(`  subgraph ${quote(`cluster_${container.state.id}`)} {`, `    label=${quote(container.state.key)};`);
    if (container.initial.length > 0) {
      lines.push(`${pad}${quote(initialName(container.state))} [shape=point, width=0.12, style=filled, fillcolor=${quote(INK)}, color=${quote(INK)}, label=""];`);
    }
    for (const box of container.boxes) lines.push(`${pad}${quote(box.id)} [${boxAttributes(box, detailLink).join(', ')}];`);
    const staying = stayingTransitions(container.state);
    if (level.edges.some((edge) => edge.from.kind === 'any' && edge.from.container === container.state) || staying.length > 0) {
      const title = container.state.parent === undefined ? 'in any state' : `in any state of ${container.state.key}`;
      lines.push(`${pad}${quote(anyName(container.state))} [style="rounded,dashed", color="#8a8f98", fontcolor=${quote(MUTED)}, label=${htmlLabel(`<i>${escapeHtml(title)}</i>`, staying.map(stayingRow))}];`);
    }
    if (region) lines.push('  }');
  }
  for (const exit of level.exits) {
    lines.push(`  ${quote(exitName(exit))} [shape=plaintext, style="", fontcolor=${quote(MUTED)}, label=${quote(`to ${pathOf(exit)}`)}];`);
  }

  // The declared order: one rank per column, held left to right by an invisible chain.
  const placed = columns.filter((column) => column.length > 0);
  for (const column of placed) {
    if (column.length > 1) lines.push(`  { rank=same; ${column.map(quote).join('; ')}; }`);
    for (let i = 1; i < column.length; i++) lines.push(`  ${quote(column[i - 1]!)} -> ${quote(column[i]!)} [style=invis];`);
  }
  for (let i = 1; i < placed.length; i++) lines.push(`  ${quote(placed[i - 1]![0]!)} -> ${quote(placed[i]![0]!)} [style=invis, weight=10];`);
  if (level.exits.length > 0) lines.push(`  { rank=max; ${level.exits.map((exit) => quote(exitName(exit))).join('; ')}; }`);

  for (const container of level.containers) {
    for (const target of container.initial) lines.push(`  ${quote(initialName(container.state))} -> ${quote(target.id)};`);
  }
  // With a declared order, its main line (each column's first state to the next column's) is drawn
  // bold and the other edges lighter, so the eye follows the way a run goes.
  const heads = placed.map((column) => column[0]!);
  for (const edge of level.edges) {
    const from = heads.indexOf(endName(edge.from));
    const role = heads.length < 2 ? 'plain' : from >= 0 && heads[from + 1] === endName(edge.to) ? 'main' : 'aside';
    lines.push(`  ${edgeLine(edge, role)}`);
  }
  return [...lines, '}', ''].join('\n');
}

function boxAttributes(box: AnyStateNode, detailLink: LevelDrawing['detailLink']): string[] {
  const invokes = box.invoke.map((invoke) => `<font point-size="9" color="${MUTED}">invoke ${escapeHtml(invoke.id)}</font>`);
  const attributes = ['class="state"'];
  if (hasChildren(box) && detailLink) {
    const link = detailLink(box);
    const rows = children(box).map(
      (child) => `<td align="left" href="${escapeHtml(link)}" tooltip="${escapeHtml(pathOf(child))}" id="${escapeHtml(child.id)}"><font point-size="10" color="${INK}">${escapeHtml(child.key)}</font></td>`,
    );
    attributes.push('fillcolor="#f3f5f8"', `href=${quote(link)}`, `tooltip=${quote(`${pathOf(box)}: open its detail diagram`)}`);
    attributes.push(`label=${htmlTable(`<b>${escapeHtml(box.key)}</b>`, [...invokes.map(cell), ...rows])}`);
  } else {
    attributes.push(`label=${htmlLabel(`<b>${escapeHtml(box.key)}</b>`, [...invokes, ...stayingTransitions(box).map(stayingRow)])}`);
  }
  if (box.type === 'final') attributes.push('peripheries=2');
  if (box.type === 'history') attributes.push('shape=circle');
  return attributes;
}

const EDGE_STYLE = { plain: '', main: ', penwidth=1.8, color="#30343b"', aside: ', color="#979ca5", fontcolor="#4b5059"' } as const;

function edgeLine(edge: LevelEdge, role: keyof typeof EDGE_STYLE): string {
  // A box with children shows the guards in its detail diagram; here its events are enough.
  const summary = edge.from.kind === 'box' && hasChildren(edge.from.state);
  const labels = [...new Set(edge.transitions.map((transition) => (summary ? eventName(transition) : wrapGuard(transition))))];
  return `${quote(endName(edge.from))} -> ${quote(endName(edge.to))} [label=${quote(labels.join('\n'))}${EDGE_STYLE[role]}];`;
}

/** `EVENT [guard]`, the guard on lines of its own when long, so labels stay narrow. */
function wrapGuard(transition: AnyTransitionDefinition): string {
  const event = eventName(transition);
  if (transition.guard === undefined) return event;
  const guard = guardName(transition.guard);
  if (event.length + guard.length <= 28) return `${event} [${guard}]`;
  return `${event}\n[${guard.replace(/ (&&|\|\|) /g, ' $1\n ')}]`;
}

function endName(end: End): string {
  if (end.kind === 'any') return anyName(end.container);
  return end.kind === 'exit' ? exitName(end.state) : end.state.id;
}

const initialName = (state: AnyStateNode) => `initial:${state.id}`;
const anyName = (state: AnyStateNode) => `any:${state.id}`;
const exitName = (state: AnyStateNode) => `exit:${state.id}`;

/** A transition that stays in its state, as UML writes it: `EVENT [guard] / action, action`. */
function stayingRow(transition: AnyTransitionDefinition): string {
  const actions = actionNames(transition);
  const description = transition.description ? ` (${transition.description})` : '';
  return `<font point-size="9" color="${INK}">${escapeHtml(`${transitionLabel(transition)}${actions.length ? ` / ${actions.join(', ')}` : ''}${description}`)}</font>`;
}

export function transitionLabel(transition: AnyTransitionDefinition): string {
  const guard = transition.guard === undefined ? '' : ` [${guardName(transition.guard)}]`;
  return `${eventName(transition)}${guard}`;
}

function eventName(transition: AnyTransitionDefinition): string {
  if ('delay' in transition) {
    const delay = (transition as { delay: unknown }).delay;
    return `after ${typeof delay === 'number' ? `${delay} ms` : typeof delay === 'string' ? delay : '(computed delay)'}`;
  }
  return describeEventType(String(transition.eventType));
}

/** Named guards by name, parameters in parentheses, and()/or()/not() spelled out. */
export function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combined = (guard as { guards?: unknown[] }).guards;
    if (Array.isArray(combined)) {
      const parts = combined.map(guardName);
      if (guard.name === 'not') return `!${parts.join('')}`;
      return parts.join(guard.name === 'or' ? ' || ' : ' && ');
    }
    return guard.name || 'inline guard';
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    const { type, params } = guard as { type: string; params?: unknown };
    if (params === undefined || typeof params === 'function') return type;
    const values = typeof params === 'object' && params !== null ? Object.values(params) : [params];
    return `${type}(${values.map((value) => String(value)).join(', ')})`;
  }
  return 'guard';
}

/** Named actions by name; inline functions by their function name, if they have one. */
function actionNames(transition: AnyTransitionDefinition): string[] {
  return (transition.actions ?? []).flatMap((action: unknown) => {
    if (typeof action === 'string') return [action];
    if (typeof action === 'function') return action.name ? [action.name] : [];
    if (typeof action === 'object' && action !== null && 'type' in action) return [String((action as { type: unknown }).type)];
    return [];
  });
}

/** A bold title, then smaller rows, left-aligned. */
function htmlLabel(title: string, rows: string[]): string {
  return `<${[title, ...rows].join('<br align="left"/>')}${rows.length > 0 ? '<br align="left"/>' : ''}>`;
}

/** A bold title over table cells: a table, so each cell can carry an SVG id and a link. */
function htmlTable(title: string, cells: string[]): string {
  const rows = [`<tr><td align="left">${title}</td></tr>`, ...cells.map((row) => `<tr>${row}</tr>`)];
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">${rows.join('')}</table>>`;
}

const cell = (content: string) => `<td align="left">${content}</td>`;

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
