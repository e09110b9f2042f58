/**
 * The Stately inspector's relay, for `--inspect`: `npx tsx visualize/inspectorRelay.ts [--port 8080]`.
 * leasehold's actors connect to ws://localhost:PORT and send their inspection events; the page at
 * http://localhost:PORT embeds the Stately inspector (stately.ai, so it needs internet) and the
 * relay forwards the events to it, replaying the last 200 to a page opened late.
 */
import { createInspectorServer } from '@statelyai/inspect/server';
import { parseCommandLine, portFlag } from '../src/cli/flags.js';
import { ConfigError } from '../src/lease/errors.js';

function parseArgs(args: string[]): { port: number; open: boolean } {
  try {
    const line = parseCommandLine({ name: 'inspectorRelay', usage: '', flags: { port: { type: 'string' }, open: { type: 'boolean' } } }, args);
    const port = portFlag(line, 'port') ?? 8080;
    // The relay's page needs the port it will listen on, and it cannot report one picked for it.
    if (port === 0) throw new ConfigError('inspectorRelay: --port must name a port, not 0', 'port');
    return { port, open: line.values.open === true };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\nusage: npx tsx visualize/inspectorRelay.ts [--port 8080] [--open]`);
    process.exit(2);
  }
}

const { port, open } = parseArgs(process.argv.slice(2));
const relay = createInspectorServer({ port, autoOpen: open });
console.log(`Stately inspector relay: actors send to ws://localhost:${port}; open http://localhost:${port} in a browser to watch`);
const stop = () => {
  relay.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
