/**
 * The layering of ARCHITECTURE.md ("Layers"), enforced: each folder imports only from the folders
 * below it, and the named rules hold. Imports are read with the TypeScript parser, so every form
 * counts: single- or double-quoted, side-effect (`import './x.js'`), dynamic (`import('./x.js')`),
 * re-exports, and type-only ones (`import type`, `export type`, or every name marked `type`), which
 * the compiler erases and which therefore may point where values may not.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Import {
  /** The importing file and the imported one, relative to the repository (.ts). */
  file: string;
  module: string;
  /** Erased by the compiler: no run-time dependency. */
  typeOnly: boolean;
}

/** Every import of `text` (a module at `file`), relative ones resolved; bare ones ('xstate') as given. */
function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly || (clause.name === undefined && named !== undefined && named.length > 0 && named.every((element) => element.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (named !== undefined && named.length > 0 && named.every((element) => element.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) found.push({ specifier: argument.text, typeOnly: false });
      else throw new Error(`${file}: a dynamic import of a computed name cannot be checked; name the module`);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.map(({ specifier, typeOnly }) => ({
    file,
    module: specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier,
    typeOnly,
  }));
}

const walk = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'out') return [];
    return statSync(join(ROOT, path)).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });

const FILES = ['machines', 'src', 'visualize'].flatMap(walk);
const IMPORTS = FILES.flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), 'utf8')));
const ours = IMPORTS.filter((i) => !i.module.startsWith('.') && FILES.includes(i.module));

/** The layer of a file: its folder under src/ (machines/ and visualize/ are layers of their own). */
function layerOf(file: string): string {
  const [top, second] = file.split('/');
  if (top !== 'src') return top!;
  return second!.endsWith('.ts') ? second!.replace(/\.ts$/, '') : second!;
}

/**
 * What each layer may import (values and types), besides itself: the arrows point one way,
 * cli -> api -> runtime -> machines; runtime -> adapters (kubernetes, memory) -> ports -> lease.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  lease: [],
  ports: ['lease'],
  time: ['lease'],
  log: ['time'],
  supportedNode: ['lease'],
  machines: ['lease', 'ports'],
  kubernetes: ['ports', 'lease', 'time', 'log'],
  memory: ['ports', 'lease', 'time'],
  runtime: ['machines', 'ports', 'lease', 'time', 'log'],
  metrics: ['runtime', 'machines', 'ports', 'lease', 'time', 'log'],
  api: ['runtime', 'machines', 'metrics', 'kubernetes', 'ports', 'lease', 'time', 'log'],
  server: ['lease', 'time', 'log', 'supportedNode'],
  sim: ['api', 'runtime', 'memory', 'ports', 'lease', 'time', 'log'],
  cli: ['api', 'runtime', 'metrics', 'server', 'kubernetes', 'memory', 'ports', 'lease', 'time', 'log', 'visualize'],
  visualize: ['machines', 'runtime', 'lease', 'time', 'log'],
  index: ['api', 'runtime', 'machines', 'metrics', 'kubernetes', 'ports', 'lease', 'time', 'log', 'supportedNode'],
  testing: ['memory', 'time', 'supportedNode'],
  rules: ['lease', 'ports', 'supportedNode'],
};

/** The adapters' public faces: what the CLI may import from kubernetes/ and memory/ (the rest is their plumbing). */
const PUBLIC_FACES = [
  'src/kubernetes/leaseLock.ts',
  'src/kubernetes/leaseObject.ts',
  'src/kubernetes/kubeConfig.ts',
  'src/kubernetes/managed/store.ts',
  'src/memory/leaseStore.ts',
  'src/memory/leaseLock.ts',
  'src/memory/managedLeaseStore.ts',
];

const violations = (imports: Import[]) => imports.map((i) => `${i.file} imports ${i.module}${i.typeOnly ? ' (types)' : ''}`);
const values = (imports: Import[]) => imports.filter((i) => !i.typeOnly);
const from = (layer: string) => ours.filter((i) => layerOf(i.file) === layer);
const into = (imports: Import[], ...layers: string[]) => imports.filter((i) => layers.includes(layerOf(i.module)));

describe('layering', () => {
  it('every file belongs to a layer the table names', () => {
    expect([...new Set(FILES.map(layerOf))].filter((layer) => !(layer in MAY_IMPORT))).toEqual([]);
  });

  it('each layer imports only the layers below it (the arrows point one way)', () => {
    const upward = ours.filter((i) => layerOf(i.file) !== layerOf(i.module) && !MAY_IMPORT[layerOf(i.file)]!.includes(layerOf(i.module)));
    expect(violations(upward)).toEqual([]);
  });

  it('machines import values only from the pure rules: modules of src/lease/ and src/ports/ with no run-time imports', () => {
    const fromMachines = values(from('machines')).filter((i) => layerOf(i.module) !== 'machines');
    expect(fromMachines.length).toBeGreaterThan(0);
    expect(violations(fromMachines.filter((i) => !['lease', 'ports'].includes(layerOf(i.module))))).toEqual([]);
    for (const { module } of fromMachines) {
      const runTime = values(IMPORTS.filter((i) => i.file === module));
      expect(violations(runTime), `${module} is imported for values by a machine, so it must import only types`).toEqual([]);
    }
  });

  it('adapters (kubernetes/, memory/) import nothing from machines/, runtime/ or above', () => {
    const adapters = [...from('kubernetes'), ...from('memory')];
    expect(violations(into(adapters, 'machines', 'runtime', 'api', 'metrics', 'cli', 'sim', 'server'))).toEqual([]);
    expect(violations(into(from('kubernetes'), 'memory'))).toEqual([]);
    expect(violations(into(from('memory'), 'kubernetes'))).toEqual([]);
  });

  it('ports import only the pure rules (lease/)', () => {
    expect(violations(from('ports').filter((i) => !['ports', 'lease'].includes(layerOf(i.module))))).toEqual([]);
  });

  it('the server imports only pure rules, time, log and the Node.js check, so it starts alone', () => {
    expect(violations(from('server').filter((i) => !['server', 'lease', 'time', 'log', 'supportedNode'].includes(layerOf(i.module))))).toEqual([]);
  });

  it('visualize imports nothing from cli', () => {
    expect(violations(into(from('visualize'), 'cli'))).toEqual([]);
  });

  it("cli imports the adapters only through their public faces, and no machine's values", () => {
    const adapters = into(from('cli'), 'kubernetes', 'memory');
    expect(adapters.length).toBeGreaterThan(0);
    expect(violations(adapters.filter((i) => !PUBLIC_FACES.includes(i.module)))).toEqual([]);
    expect(violations(values(into(from('cli'), 'machines')))).toEqual([]);
  });

  it("metrics hear what happened from the facades' events: no machine's values", () => {
    expect(violations(values(into(from('metrics'), 'machines')))).toEqual([]);
  });
});

describe('the import reader', () => {
  const read = (text: string) => importsOf('src/cli/example.ts', text).map(({ module, typeOnly }) => ({ module, typeOnly }));

  it('reads every form: quotes, side effects, dynamic imports, re-exports, and type-only ones apart', () => {
    expect(
      read(`
        import "./a.js";
        import { b } from "../lease/b.js";
        import type { C } from './c.js';
        import { type D, type E } from './d.js';
        import { type F, g } from './f.js';
        export { h } from './h.js';
        export type { I } from './i.js';
        export * from './j.js';
        const k = await import('./k.js');
        type L = typeof import('./l.js');
      `),
    ).toEqual([
      { module: 'src/cli/a.ts', typeOnly: false },
      { module: 'src/lease/b.ts', typeOnly: false },
      { module: 'src/cli/c.ts', typeOnly: true },
      { module: 'src/cli/d.ts', typeOnly: true },
      { module: 'src/cli/f.ts', typeOnly: false },
      { module: 'src/cli/h.ts', typeOnly: false },
      { module: 'src/cli/i.ts', typeOnly: true },
      { module: 'src/cli/j.ts', typeOnly: false },
      { module: 'src/cli/k.ts', typeOnly: false },
      { module: 'src/cli/l.ts', typeOnly: true },
    ]);
  });

  it('refuses a dynamic import whose module it cannot name', () => {
    expect(() => read('const name = "./x.js"; await import(name);')).toThrow(/computed name/);
  });

  it('finds the imports of the tree (a reader that found none would pass every rule)', () => {
    expect(ours.length).toBeGreaterThan(300);
    expect(ours).toContainEqual({ file: 'machines/leaseParticipant.ts', module: 'src/lease/config.ts', typeOnly: true });
  });
});
