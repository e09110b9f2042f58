/**
 * The Stately inspector's relay, for `--inspect`: `npx tsx visualize/inspectorRelay.ts [--port 8080]`.
 * leasehold's actors connect to ws://localhost:PORT and send their inspection events; the page at
 * http://localhost:PORT embeds the Stately inspector (stately.ai, so it needs internet) and the
 * relay forwards the events to it, replaying the last 200 to a page opened late.
 */
import { createInspectorServer } from '@statelyai/inspect/server';
import { parseFlags, portFlag } from '../src/cli/flags.js';

const flags = parseFlags(process.argv.slice(2), { values: ['port'], switches: ['open'] }, 'inspectorRelay');
const port = portFlag(flags.values.get('port'), 'inspectorRelay') ?? 8080;
const relay = createInspectorServer({ port, autoOpen: flags.switches.has('open') });
console.log(`Stately inspector relay: actors send to ws://localhost:${port}; open http://localhost:${port} in a browser to watch`);
const stop = () => {
  relay.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
