/**
 * On a Node.js older than 22.19 every command of the built bin, and every entry of the library,
 * says which Node it needs, before anything that needs a newer one loads (undici fails deep inside
 * with "Cannot read properties of undefined (reading 'bind')" on Node 20), and exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_CLI } from '../support/cli.js';
import { OLD_NODE_VERSIONS, oldNode } from '../support/oldNodes.js';

const ROOT = join(import.meta.dirname, '../..');
const INVOCATIONS = [[], ['--help'], ['--version'], ['demo'], ['run', '--lease', 'x', '--', 'true'], ['status', '--lease', 'x'], ['handover', '--lease', 'x', '--to', 'y'], ['serve']];
const LIBRARY_ENTRIES = ['dist/src/index.js', 'dist/src/testing.js', 'dist/src/server/index.js'];

for (const version of OLD_NODE_VERSIONS) {
  const node = oldNode(version);
  const path = 'path' in node ? node.path : '';
  describe.skipIf(!('path' in node))(`on Node ${version}${'missing' in node ? ` (${node.missing})` : ''}`, () => {
    const needs = `leasehold needs Node.js 22.19 or later; this is Node.js ${version}`;

    it.each(INVOCATIONS.map((args) => [args.join(' ') || '(no arguments)', args] as const))('leasehold %s names the Node it needs and exits 1', (_, args) => {
      const result = spawnSync(path, [BUILT_CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(result.stderr.trim()).toBe(`${needs} (${path})`);
      expect(result.stdout).toBe('');
      expect(result.status).toBe(1);
    });

    it.each(LIBRARY_ENTRIES)('importing %s rejects with a ConfigError naming the Node it needs', (entry) => {
      const script = `import(${JSON.stringify(join(ROOT, entry))}).then(() => console.log('loaded'), (error) => console.log(error.name + ': ' + error.message))`;
      const result = spawnSync(path, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(result.stdout.trim()).toBe(`ConfigError: ${needs}`);
    });
  });
}
