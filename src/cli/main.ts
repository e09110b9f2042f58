#!/usr/bin/env node
/** The `leasehold` command. */
import { demo } from './demo.js';

const USAGE = `usage: leasehold <command>

commands:
  demo    three instance managers competing for one lease: election, hand-over, failover, upgrade
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      await demo();
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`leasehold: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      void rest;
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`leasehold: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
