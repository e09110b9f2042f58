/**
 * The ids of the state nodes a snapshot is in — the names the diagram gives its SVG elements (see
 * dot.ts) — found by walking the machine along the snapshot's value, so custom state ids work too.
 */
import type { AnyStateMachine, AnyStateNode, StateValue } from 'xstate';

/** Every active state node below the root, outermost first: ['lease.acquiring', 'lease.acquiring.waiting']. */
export function activeStateIds(machine: AnyStateMachine, value: StateValue): string[] {
  const ids: string[] = [];
  const visit = (node: AnyStateNode, value: StateValue) => {
    const entries: Array<[string, StateValue | undefined]> = typeof value === 'string' ? [[value, undefined]] : Object.entries(value);
    for (const [key, inner] of entries) {
      const child = node.states[key] as AnyStateNode | undefined;
      if (!child) continue;
      ids.push(child.id);
      if (inner !== undefined) visit(child, inner);
    }
  };
  visit(machine.root, value);
  return ids;
}

/** The value as a short path: "acquiring.waiting"; parallel regions joined by " | ". */
export function describeStateValue(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, inner]) => (inner && (typeof inner === 'string' || Object.keys(inner).length > 0) ? `${key}.${describeStateValue(inner)}` : key))
    .join(' | ');
}
