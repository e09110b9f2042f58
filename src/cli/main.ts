/**
 * The `leasehold` command (src/cli/bin.ts checks the Node.js version, then imports this). Each subcommand's module is imported only when it is invoked, and its
 * heavy parts (the Kubernetes client, the live view, the inspector) only once its flags are good:
 * `--help` and a bad flag answer without loading them.
 */
import { ConfigError } from '../lease/errors.js';
import { type CommandLine, type CommandSpec, parseCommandLine } from './flags.js';
import { leaseholdVersion } from './version.js';

interface CommandModule {
  spec: CommandSpec;
  main(line: CommandLine): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  demo: { summary: 'three instance managers competing for one lease over HTTP: election, hand-over, switchover, failover, upgrade', load: () => import('./demo/command.js') },
  serve: { summary: 'the embedded kube-compatible Lease API server, with a kubeconfig for kubectl', load: () => import('./serve.js') },
  run: { summary: 'run a command only while holding a lease (the leader-election sidecar)', load: () => import('./run/run.js') },
  handover: { summary: 'ask a lease\'s leader to hand it to a chosen identity, and wait until that one leads', load: () => import('./handover/handover.js') },
  status: { summary: 'who holds a lease, since when, until when; --watch streams changes', load: () => import('./status.js') },
};

const USAGE = `usage: leasehold <command> [flags]

commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(8)} ${summary}`)
  .join('\n')}

leasehold <command> --help shows a command's flags; leasehold --version prints the version.
`;

async function main([name, ...args]: string[]): Promise<number> {
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && args[0] && COMMANDS[args[0]]) return main([args[0], '--help']);
    (name === undefined ? process.stderr : process.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`leasehold ${leaseholdVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`leasehold: unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return 2;
  }
  const module = await command.load();
  try {
    const line = parseCommandLine(module.spec, args);
    if (line.help) {
      process.stdout.write(module.spec.usage);
      return 0;
    }
    return await module.main(line);
  } catch (error) {
    // By name, not instanceof: in the package each command is bundled on its own
    // (packaging/bundle.ts), with its own copy of the error classes.
    if (!(error instanceof Error && error.name === ConfigError.name)) throw error;
    process.stderr.write(`leasehold ${name}: ${error.message}\n`);
    return 2;
  }
}

// Errors end the command with one line, never a stack trace.
const fail = (error: unknown) => {
  process.stderr.write(`leasehold: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
};
process.on('uncaughtException', fail);
main(process.argv.slice(2)).then((code) => process.exit(code), fail);
