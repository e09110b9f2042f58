/**
 * The main entry stays a front door: at most 70 names (what `import * as leasehold from
 * 'leasehold'` sees, read by the compiler); the rest lives in the entries named in src/index.ts.
 */
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function exportedNames(entry: string): string[] {
  const file = join(ROOT, entry);
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true });
  const checker = program.getTypeChecker();
  return checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!).map((symbol) => symbol.name);
}

describe('public surface', () => {
  const main = exportedNames('src/index.ts');

  it('the main entry exports at most 70 names', () => {
    expect(main.length).toBeGreaterThan(40);
    expect(main.length).toBeLessThanOrEqual(70);
  });

  it('the five facades and their options are in the main entry', () => {
    for (const facade of ['PrimaryLease', 'LeaderElector', 'LeaseLocker', 'LeaseManager', 'RolloutManager']) {
      expect(main).toContain(facade);
      expect(main.some((name) => name === `${facade}Options` || (facade === 'LeaderElector' && name === 'LeaderElectionConfig'))).toBe(true);
    }
    expect(main).toContain('RuntimeOptions');
  });

  it('no name is exported by both the main entry and leasehold/rules', () => {
    const rules = exportedNames('src/rules.ts');
    expect(rules.filter((name) => main.includes(name))).toEqual([]);
  });
});
