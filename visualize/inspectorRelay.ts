/**
 * The Stately inspector's relay, for `--inspect`: `npx tsx visualize/inspectorRelay.ts [--port 8080]`.
 * leasehold's actors connect to ws://localhost:PORT and send their inspection events; the page at
 * http://localhost:PORT embeds the Stately inspector (stately.ai, so it needs internet) and the
 * relay forwards the events to it, replaying the last 200 to a page opened late.
 */
import { parseArgs as parseNodeArgs } from 'node:util';
import { createInspectorServer } from '@statelyai/inspect/server';

const USAGE = 'usage: npx tsx visualize/inspectorRelay.ts [--port 8080] [--open]';

function parseArgs(args: string[]): { port: number; open: boolean } {
  try {
    const { values } = parseNodeArgs({ args, options: { port: { type: 'string', default: '8080' }, open: { type: 'boolean', default: false } } });
    // The relay's page needs the port it will listen on, and it cannot report one picked for it.
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) < 1 || Number(values.port) > 65_535) {
      throw new Error(`inspectorRelay: --port must be a port 1-65535, not ${JSON.stringify(values.port)}`);
    }
    return { port: Number(values.port), open: values.open };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
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
