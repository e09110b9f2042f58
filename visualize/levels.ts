/**
 * One level of a machine, read from its state nodes: what a diagram of that level draws. The
 * overview is the root's level; every compound state drawn as a box gets a level of its own, its
 * detail diagram.
 *
 * A level's boxes are the state's children (a parallel state's: each region's children, grouped by
 * region). A box stands for everything inside it: a transition from anywhere inside a box is drawn
 * from the box, one that stays inside it is not drawn at this level (its detail shows it), and the
 * transitions between the same two boxes are merged into one edge listing them all. A transition to
 * a state outside the level ends at an exit naming that state. Transitions written on the state
 * itself (or a region) apply in any of its children: they start from an "any" marker.
 */
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface Level {
  state: AnyStateNode;
  /** The compound states whose children are this level's boxes: [state], or a parallel state's regions. */
  containers: Container[];
  /** Transitions between boxes, to exits, and from the "any" markers; merged by their two ends. */
  edges: LevelEdge[];
  /** States outside the level that its transitions lead to, in the order first met. */
  exits: AnyStateNode[];
}

export interface Container {
  state: AnyStateNode;
  boxes: AnyStateNode[];
  /** The boxes the container starts in (its initial state). */
  initial: AnyStateNode[];
  /** Transitions written on the container: they apply in every box of it. */
  own: AnyTransitionDefinition[];
}

/** An edge's end: a box, an exit, or the "any" marker of a container. */
export type End = { kind: 'box' | 'exit'; state: AnyStateNode } | { kind: 'any'; container: AnyStateNode };

export interface LevelEdge {
  from: End;
  to: End;
  transitions: AnyTransitionDefinition[];
}

export function levelOf(state: AnyStateNode): Level {
  if (!hasChildren(state)) throw new TypeError(`${state.id} has no child states to draw`);
  const containers = (state.type === 'parallel' ? children(state) : [state]).map((container): Container => {
    const boxes = hasChildren(container) ? children(container) : [container];
    const initial = container.type === 'compound' ? [...(container.initial?.target ?? [])] : [];
    return { state: container, boxes, initial, own: container === state || hasChildren(container) ? transitionsOf(container) : [] };
  });
  // A parallel state's own transitions apply in every region: they get a marker of their own.
  if (state.type === 'parallel') containers.unshift({ state, boxes: [], initial: [], own: transitionsOf(state) });
  const boxes = containers.flatMap((container) => container.boxes);
  const boxOf = (target: AnyStateNode) => boxes.find((box) => isWithin(target, box));

  const edges = new Map<string, LevelEdge>();
  const exits: AnyStateNode[] = [];
  const endAt = (target: AnyStateNode): End => {
    const box = boxOf(target);
    if (box) return { kind: 'box', state: box };
    if (!exits.includes(target)) exits.push(target);
    return { kind: 'exit', state: target };
  };
  const add = (from: End, to: End, transition: AnyTransitionDefinition) => {
    const key = `${endKey(from)} -> ${endKey(to)}`;
    const edge = edges.get(key) ?? { from, to, transitions: [] };
    if (!edge.transitions.includes(transition)) edge.transitions.push(transition);
    edges.set(key, edge);
  };

  for (const container of containers) {
    for (const transition of container.own) {
      for (const target of transition.target ?? []) add({ kind: 'any', container: container.state }, endAt(target), transition);
    }
  }
  for (const box of boxes) {
    for (const source of [box, ...descendants(box)]) {
      for (const transition of transitionsOf(source)) {
        for (const target of transition.target ?? []) {
          // Inside a box is its detail's business; an atomic box's own self-transition is drawn.
          if (hasChildren(box) && isWithin(target, box)) continue;
          add({ kind: 'box', state: box }, endAt(target), transition);
        }
      }
    }
  }
  return { state, containers, edges: [...edges.values()], exits };
}

/** Every state that some level draws as a box with children: each gets a detail diagram. */
export function detailedStates(root: AnyStateNode): AnyStateNode[] {
  const found: AnyStateNode[] = [];
  const visit = (state: AnyStateNode) => {
    for (const container of levelOf(state).containers) {
      for (const box of container.boxes) {
        if (!hasChildren(box)) continue;
        found.push(box);
        visit(box);
      }
    }
  };
  visit(root);
  return found;
}

/** Targetless transitions written on the state itself: listed in its box (or its "any" marker). */
export function stayingTransitions(state: AnyStateNode): AnyTransitionDefinition[] {
  return transitionsOf(state).filter((transition) => (transition.target ?? []).length === 0);
}

export function hasChildren(state: AnyStateNode): boolean {
  return (state.type === 'compound' || state.type === 'parallel') && Object.keys(state.states).length > 0;
}

export function children(state: AnyStateNode): AnyStateNode[] {
  return Object.values(state.states) as AnyStateNode[];
}

/** The state's path below the root: "acquiring.waiting" (the root itself: its id). */
export function pathOf(state: AnyStateNode): string {
  return state.path.length > 0 ? state.path.join('.') : state.id;
}

function endKey(end: End): string {
  return end.kind === 'any' ? `any:${end.container.id}` : `${end.kind}:${end.state.id}`;
}

/** All transitions leaving `state` in definition order: on/after/onDone/onError, then always. */
function transitionsOf(state: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...state.transitions.values()].flat(), ...(state.always ?? [])];
}

function descendants(state: AnyStateNode): AnyStateNode[] {
  return children(state).flatMap((child) => [child, ...descendants(child)]);
}

function isWithin(state: AnyStateNode, ancestor: AnyStateNode): boolean {
  for (let current: AnyStateNode | undefined = state; current; current = current.parent) {
    if (current === ancestor) return true;
  }
  return false;
}
