/**
 * Process-level tests run the CLI as it ships: the output of `npm run build` (tsc, then the bundle
 * of packaging/bundle.ts). This global setup builds once before the suite when any source is newer
 * than the bundled bin.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli, CLI_BIN } from '../../packaging/bundle.js';

const ROOT = join(import.meta.dirname, '../..');


function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export default async function setup(): Promise<void> {
  const built = (() => {
    try {
      return statSync(CLI_BIN).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(...['src', 'machines', 'visualize', 'packaging'].map((dir) => newestSource(join(ROOT, dir))));
  if (sources <= built) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  await bundleCli();
}
