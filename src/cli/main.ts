#!/usr/bin/env node
/** The `leasehold` command. */
import { ConfigError } from '../lease/errors.js';
import { DEMO_USAGE, demoCommand } from './demoCommand.js';
import { RUN_USAGE, run } from './run.js';
import { SERVE_USAGE, serve } from './serve.js';
import { STATUS_USAGE, status } from './status.js';

const USAGE = `usage: leasehold <command> [flags]

commands:
  demo    three instance managers competing for one lease over HTTP: election, hand-over, failover, upgrade
  serve   the embedded kube-compatible Lease API server, with a kubeconfig for kubectl
  run     run a command only while holding a lease (the leader-election sidecar)
  status  who holds a lease, since when, until when; --watch streams changes

${DEMO_USAGE}
${SERVE_USAGE}
${RUN_USAGE}
${STATUS_USAGE}`;

async function main([command, ...args]: string[]): Promise<number> {
  switch (command) {
    case 'demo':
      await demoCommand(args);
      return 0;
    case 'serve':
      await serve(args);
      return 0;
    case 'run':
      return run(args);
    case 'status':
      return status(args);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`${command === undefined ? '' : `leasehold: unknown command ${JSON.stringify(command)}\n`}${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`leasehold: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
