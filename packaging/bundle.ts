/**
 * The `leasehold` command as it ships: src/cli/bin.ts and everything it imports, dependencies
 * included, bundled by esbuild and tree-shaken. Loading @kubernetes/client-node module by module
 * costs every generated API it has (0.85 s and 145 MB for `leasehold status`, issue 27); a bundle
 * holds only what the CLI calls.
 *
 * - `dist/cli/`: the npm package's bin. CommonJS, one file per command (`commands/run.cjs`, ...)
 *   beside the dispatcher (`leasehold.cjs`), so that a command loads only its own code (`--help`
 *   loads no Kubernetes client, `status` no live view). Not ES modules: Node keeps an ES module's
 *   source twice (the file's bytes and the string), 7-8 MB more for `status`.
 * - `dist/sea/leasehold.cjs`: the whole CLI in one CommonJS file, the input of the single executable
 *   (packaging/sea.ts).
 *
 *   npx tsx packaging/bundle.ts          (npm run build runs it after tsc)
 */
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

export const ROOT = join(import.meta.dirname, '..');
export const CLI_DIR = join(ROOT, 'dist/cli');
/** The bin of the npm package (package.json "bin"). */
export const CLI_BIN = join(CLI_DIR, 'leasehold.cjs');
export const SEA_BUNDLE = join(ROOT, 'dist/sea/leasehold.cjs');

const ENTRY = join(ROOT, 'src/cli/bin.ts');
const DISPATCHER = join(ROOT, 'src/cli/main.ts');
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22.19',
  format: 'cjs',
  // Whitespace and syntax only: names stay readable in the one-line errors the CLI prints.
  minifyWhitespace: true,
  minifySyntax: true,
  // ASCII only: V8 keeps a source with one non-ASCII character in two bytes per character.
  charset: 'ascii',
  // Third-party licence comments go to a .LEGAL.txt beside each file (they are not ASCII either).
  legalComments: 'external',
  // The sources are ES modules; in CommonJS their import.meta is the file's own.
  define: { LEASEHOLD_VERSION: JSON.stringify(PACKAGE_VERSION), 'import.meta.dirname': '__dirname', 'import.meta.url': '__leaseholdUrl' },
  banner: { js: "const __leaseholdUrl = require('node:url').pathToFileURL(__filename).href;" },
  // rxjs's ES modules, not the CommonJS build its "node" condition picks: only the operators used load.
  alias: { rxjs: join(ROOT, 'node_modules/rxjs/dist/esm/index.js') },
  // ws's optional native helpers: absent, ws falls back to JavaScript (as it does when not installed).
  external: ['bufferutil', 'utf-8-validate'],
  // import() of a command becomes require(): loaded the CommonJS way, its source kept once.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};

/** The file a command module (a dynamic import of main.ts) is bundled into: src/cli/run/run.ts -> ./commands/run.cjs. */
const commandFile = (source: string) => `./commands/${relative(dirname(DISPATCHER), source).split('/')[0]!.replace(/\.ts$/, '')}.cjs`;

/** Leaves main.ts's import() of each command to a bundle of its own; collects their sources. */
function commandsApart(commands: Map<string, string>): Plugin {
  return {
    name: 'commands-apart',
    setup(plugin) {
      plugin.onResolve({ filter: /^\.\// }, ({ path, importer, kind }) => {
        if (importer !== DISPATCHER || kind !== 'dynamic-import') return undefined;
        const source = join(dirname(importer), path).replace(/\.js$/, '.ts');
        commands.set(source, commandFile(source));
        return { path: commands.get(source)!, external: true };
      });
    },
  };
}

/** Builds the bin (dispatcher and one file per command) and the single file; returns their paths. */
export async function bundleCli(): Promise<{ bin: string; sea: string }> {
  rmSync(CLI_DIR, { recursive: true, force: true });
  const commands = new Map<string, string>();
  await build({ ...common, entryPoints: [ENTRY], outfile: CLI_BIN, plugins: [commandsApart(commands)] });
  await build({
    ...common,
    entryPoints: Object.fromEntries([...commands].map(([source, file]) => [join('commands', basename(file, '.cjs')), source])),
    outdir: CLI_DIR,
    outExtension: { '.js': '.cjs' },
  });
  await build({ ...common, entryPoints: [ENTRY], outfile: SEA_BUNDLE });
  return { bin: CLI_BIN, sea: SEA_BUNDLE };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const { bin, sea } = await bundleCli();
  // On stderr: `npm pack --json` runs this (prepack) and its stdout must stay JSON.
  console.error(`bundled the CLI into ${relative(ROOT, bin)} (one file per command beside it) and ${relative(ROOT, sea)} (${(performance.now() - started).toFixed(0)} ms)`);
}
