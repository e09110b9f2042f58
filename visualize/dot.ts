/**
 * An XState v5 machine as a Graphviz DOT digraph, read from the machine's own state nodes — never a
 * hand-drawn copy, so a diagram cannot drift from the code.
 *
 * - compound and parallel states are clusters; atomic, final and history states are nodes;
 * - each compound state has an initial marker (a dot) pointing at its initial child;
 * - edges carry the event: `EVENT`, `after <delay>` (delayed transitions), `done: <id>` /
 *   `error: <id>` (an invoke's onDone / onError), `always`; the guard follows in brackets;
 * - transitions that stay inside their source (no target, or a target within it) are listed in the
 *   source's own label, since Graphviz cannot draw an edge from a cluster into itself.
 *
 * Every state node's DOT name is its state id (`lease.acquiring.reading`; clusters prefix
 * `cluster_`) and carries class "state", so a page can find and highlight the SVG element of the
 * state an actor is in. The output depends only on the machine: same machine, same bytes.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { describeEventType } from './eventNames.js';

const FONT = 'Helvetica';

export function machineToDot(machine: AnyStateMachine): string {
  const lines = [
    `digraph ${quote(machine.id)} {`,
    '  compound=true;',
    '  rankdir=LR;',
    '  nodesep=0.35;',
    '  ranksep=0.45;',
    `  graph [fontname=${quote(FONT)}, fontsize=12, style="rounded", color="#8a8f98", penwidth=1.2];`,
    `  node [fontname=${quote(FONT)}, fontsize=11, shape=box, style="rounded,filled", fillcolor="#ffffff", color="#5b6270", penwidth=1.2, class="state"];`,
    `  edge [fontname=${quote(FONT)}, fontsize=9, color="#5b6270", fontcolor="#30343b", arrowsize=0.7];`,
  ];
  const edges = new Edges();
  writeState(machine.root, 1, lines, edges);
  return [...lines, ...edges.lines(), '}', ''].join('\n');
}

/** Edges with the same ends are drawn once, their labels stacked in definition order. */
class Edges {
  private readonly byEnds = new Map<string, { ends: string; labels: string[] }>();

  add(from: string, source: AnyStateNode, target: AnyStateNode, label: string): void {
    const attributes: string[] = [];
    if (isCluster(source) && !isDescendant(target, source)) attributes.push(`ltail=${quote(clusterName(source))}`);
    if (isCluster(target) && !isDescendant(source, target)) attributes.push(`lhead=${quote(clusterName(target))}`);
    const ends = `${quote(from)} -> ${quote(nodeName(target))}${attributes.length ? ` [${attributes.join(', ')}]` : ''}`;
    const existing = this.byEnds.get(ends) ?? { ends, labels: [] };
    if (label) existing.labels.push(label);
    this.byEnds.set(ends, existing);
  }

  lines(): string[] {
    return [...this.byEnds.values()].map(({ ends, labels }) => {
      if (labels.length === 0) return `  ${ends};`;
      const label = `label=${quote(labels.join('\n'))}`;
      return ends.endsWith(']') ? `  ${ends.slice(0, -1)}, ${label}];` : `  ${ends} [${label}];`;
    });
  }
}

function writeState(node: AnyStateNode, depth: number, lines: string[], edges: Edges): void {
  const pad = '  '.repeat(depth);
  const internal = transitionsOf(node).filter((t) => staysInside(t, node));
  if (isCluster(node)) {
    lines.push(`${pad}subgraph ${quote(clusterName(node))} {`);
    lines.push(`${pad}  label=${htmlLabel(node, internal)};`);
    lines.push(`${pad}  class="state";`);
    lines.push(`${pad}  labeljust=l;`);
    if (node.type === 'parallel') lines.push(`${pad}  style="rounded,dashed";`);
    // The anchor edges attach to: the initial marker, or an invisible point for parallel states.
    const initial = initialTargets(node);
    lines.push(
      initial.length > 0
        ? `${pad}  ${quote(anchorName(node))} [shape=point, width=0.1, style=filled, fillcolor="#30343b", color="#30343b", label="", class="initial"];`
        : `${pad}  ${quote(anchorName(node))} [shape=point, width=0.01, style=invis, label="", class="anchor"];`,
    );
    for (const target of initial) edges.add(anchorName(node), node, target, '');
    for (const child of Object.values(node.states) as AnyStateNode[]) writeState(child, depth + 1, lines, edges);
    lines.push(`${pad}}`);
  } else {
    const attributes = [`label=${htmlLabel(node, internal)}`];
    if (node.type === 'final') attributes.push('peripheries=2');
    if (node.type === 'history') attributes.push('shape=circle', 'style=filled');
    lines.push(`${pad}${quote(node.id)} [${attributes.join(', ')}];`);
  }
  for (const transition of transitionsOf(node)) {
    if (staysInside(transition, node)) continue;
    for (const target of transition.target ?? []) {
      edges.add(nodeName(node), node, target, transitionLabel(transition));
    }
  }
}

/** All transitions leaving `node` in definition order: on/after/onDone/onError, then always. */
function transitionsOf(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

function staysInside(transition: AnyTransitionDefinition, source: AnyStateNode): boolean {
  const targets = transition.target ?? [];
  return targets.length === 0 || (isCluster(source) && targets.every((target) => isDescendant(target, source)));
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

/** The state's key in bold, then what it invokes and the transitions that stay inside it. */
function htmlLabel(node: AnyStateNode, internal: AnyTransitionDefinition[]): string {
  const rows = [`<b>${escapeHtml(node.key)}</b>`];
  for (const invoke of node.invoke) rows.push(`<font point-size="9" color="#5b6270">invoke ${escapeHtml(invoke.id)}</font>`);
  for (const transition of internal) {
    const targets = (transition.target ?? []).map((target) => relativeName(target, node));
    const description = transition.description ? ` (${transition.description})` : '';
    const to = targets.length ? ` -> ${targets.join(', ')}` : '';
    rows.push(`<font point-size="9" color="#30343b">${escapeHtml(`${transitionLabel(transition)}${to}${description}`)}</font>`);
  }
  return `<${rows.join('<br align="left"/>')}${rows.length > 1 ? '<br align="left"/>' : ''}>`;
}

function initialTargets(node: AnyStateNode): AnyStateNode[] {
  return node.type === 'compound' ? [...(node.initial?.target ?? [])] : [];
}

function isCluster(node: AnyStateNode): boolean {
  return node.type === 'compound' || node.type === 'parallel';
}

function isDescendant(node: AnyStateNode, ancestor: AnyStateNode): boolean {
  for (let current: AnyStateNode | undefined = node; current; current = current.parent) {
    if (current === ancestor) return true;
  }
  return false;
}

/** What edges attach to: the node itself, or a compound state's anchor inside its cluster. */
function nodeName(node: AnyStateNode): string {
  return isCluster(node) ? anchorName(node) : node.id;
}

function anchorName(node: AnyStateNode): string {
  return `${node.id}:${node.type === 'compound' ? 'initial' : 'anchor'}`;
}

function clusterName(node: AnyStateNode): string {
  return `cluster_${node.id}`;
}

function relativeName(target: AnyStateNode, ancestor: AnyStateNode): string {
  return target.id.startsWith(`${ancestor.id}.`) ? target.id.slice(ancestor.id.length + 1) : target.id;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
