/** How the diagrams and the live view name XState's built-in events: `done: readLease`, `after renewInterval`. */
export function describeEventType(type: string): string {
  if (type === '') return 'always';
  const invoked = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (invoked) return `${invoked[1]}: ${invoked[2]}`;
  const delayed = /^xstate\.after\.([^.]+)\./.exec(type);
  if (delayed) return `after ${delayed[1]}`;
  if (type.startsWith('xstate.done.state.')) return 'done';
  return type;
}
