/**
 * Coverage of an XState machine by what a running actor actually did: the universe is every state
 * node and every transition candidate (source, event, position among that event's candidates) of
 * the machine definition; visits come from the actor's `@xstate.microstep` inspection events.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition, InspectionEvent } from 'xstate';

export const transitionKey = (t: AnyTransitionDefinition): string => {
  const candidates = t.eventType === '' ? t.source.always ?? [] : t.source.transitions.get(t.eventType) ?? [];
  const index = candidates.indexOf(t);
  const targets = t.target?.map((node: AnyStateNode) => node.id).join(',') ?? '(no target)';
  return `${t.source.id} --${t.eventType || 'always'}[${index}]--> ${targets}`;
};

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allNodes(child as AnyStateNode))];
}

export class MachineCoverage {
  readonly states = new Set<string>();
  readonly transitions = new Set<string>();
  private readonly visitedStates = new Set<string>();
  private readonly visitedTransitions = new Set<string>();

  constructor(machine: AnyStateMachine) {
    for (const node of allNodes(machine.root)) {
      this.states.add(node.id);
      for (const candidates of node.transitions.values()) for (const t of candidates) this.transitions.add(transitionKey(t));
      for (const t of node.always ?? []) this.transitions.add(transitionKey(t));
    }
  }

  /** Pass as the actor's `inspect` option. */
  readonly inspect = (event: InspectionEvent): void => {
    if (event.type === '@xstate.microstep') {
      for (const t of event._transitions) this.visitedTransitions.add(transitionKey(t));
      const nodes = (event.snapshot as unknown as { _nodes?: AnyStateNode[] })._nodes ?? [];
      for (const node of nodes) this.visitedStates.add(node.id);
    } else if (event.type === '@xstate.snapshot' || event.type === '@xstate.actor') {
      const nodes = ((event as { snapshot?: unknown }).snapshot as { _nodes?: AnyStateNode[] } | undefined)?._nodes ?? [];
      for (const node of nodes) this.visitedStates.add(node.id);
    }
  };

  missedStates(): string[] {
    return [...this.states].filter((s) => !this.visitedStates.has(s));
  }

  missedTransitions(): string[] {
    return [...this.transitions].filter((t) => !this.visitedTransitions.has(t));
  }

  summary(): string {
    const states = this.states.size - this.missedStates().length;
    const transitions = this.transitions.size - this.missedTransitions().length;
    return `states ${states}/${this.states.size}, transitions ${transitions}/${this.transitions.size}`;
  }
}
