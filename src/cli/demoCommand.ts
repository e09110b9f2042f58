/**
 * `leasehold demo [--inspect ws://HOST:PORT]`: the demo story, optionally watched: --inspect sends
 * every participant's inspection events to the Stately inspector's relay.
 */
import { demo } from './demo.js';
import { parseFlags } from './flags.js';
import { inspectFlag, webSocketInspector } from './inspection.js';

export const DEMO_USAGE = `usage: leasehold demo [--inspect ws://HOST:PORT]

--inspect sends XState inspection events to a Stately inspector relay.
`;

export async function demoCommand(args: readonly string[], print: (line: string) => void = console.log): Promise<void> {
  const flags = parseFlags(args, { values: ['inspect'] }, 'demo');
  const inspectUrl = inspectFlag(flags.values.get('inspect'), 'demo');

  const stately = inspectUrl === undefined ? undefined : webSocketInspector(inspectUrl);
  if (inspectUrl) print(`inspection events go to ${inspectUrl} (the Stately inspector relay; see README "Stately inspector")`);
  await demo({ print, inspect: stately });
}
