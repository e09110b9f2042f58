/**
 * The layering rule for machines/ (see machines/leaseParticipant.ts, "Layering"): a machine imports
 * only types from src/, plus pure leaf modules of src/lease/ — modules that import nothing at run
 * time — so the rules they hold are written once for machines and adapters alike.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const IMPORT = /^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)';/gms;

function imports(file: string): { typeOnly: boolean; from: string }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => ({ typeOnly: m[1] !== undefined, from: m[2]! }));
}

const machineFiles = readdirSync(join(ROOT, 'machines'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(ROOT, 'machines', name));

describe('machines/ layering', () => {
  const valueImportsFromSrc = machineFiles.flatMap((file) =>
    imports(file)
      .filter((i) => !i.typeOnly && i.from.startsWith('../src/'))
      .map((i) => ({ file, module: resolve(join(ROOT, 'machines'), i.from.replace(/\.js$/, '.ts')) })),
  );

  it('machines import values from src/ only out of src/lease/ and src/ports/', () => {
    for (const { file, module } of valueImportsFromSrc) {
      expect([join(ROOT, 'src', 'lease'), join(ROOT, 'src', 'ports')].some((pure) => module.startsWith(pure)), `${file} imports ${module}`).toBe(true);
    }
  });

  it('every module of src/ a machine imports values from has no run-time imports itself', () => {
    expect(valueImportsFromSrc.length).toBeGreaterThan(0);
    for (const { module } of valueImportsFromSrc) {
      const runtime = imports(module).filter((i) => !i.typeOnly);
      expect(runtime, `${module} must import only types to be used by a machine`).toEqual([]);
    }
  });

  it('finds type-only and value imports apart', () => {
    const participant = imports(join(ROOT, 'machines', 'leaseParticipant.ts'));
    expect(participant).toContainEqual({ typeOnly: true, from: '../src/lease/config.js' });
    expect(participant).toContainEqual({ typeOnly: false, from: 'xstate' });
  });
});
