/**
 * What ships, installed as a user installs it: `npm pack` of the project's files (prepack builds),
 * the tarball installed into a fresh project, a TypeScript consumer typechecked under
 * moduleResolution nodenext and run against the embedded server, `require()` from CommonJS, and the
 * installed `leasehold` bin. Nothing here imports the sources: only the installed package is used.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExamples } from './readmeExamples.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const consumerSources = join(root, 'test/package/consumer');
const work = mkdtempSync(join(tmpdir(), 'leasehold-package-'));
const project = join(work, 'project');

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

/** Runs a command to completion; a failure carries everything it printed. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** The project's files as a clean clone has them (tracked and new, never ignored ones), with its node_modules. */
function cleanCopy(): string {
  const copy = join(work, 'source');
  const files = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], root).split('\0').filter(Boolean);
  for (const file of files) {
    try {
      cpSync(join(root, file), join(copy, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // deleted but not yet staged
    }
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

let packed: PackResult;
const examples = readmeExamples(readFileSync(join(root, 'README.md'), 'utf8'));

beforeAll(() => {
  const source = cleanCopy();
  packed = (JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], source)) as PackResult[])[0]!;
  console.log(
    `tarball ${packed.filename}: ${(packed.size / 1024).toFixed(1)} KiB packed, ` +
      `${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.entryCount} files`,
  );
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const typesNode = JSON.parse(readFileSync(join(root, 'node_modules/@types/node/package.json'), 'utf8')).version as string;
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename), `@types/node@${typesNode}`], project);
  cpSync(consumerSources, project, { recursive: true });
  for (const example of examples) writeFileSync(join(project, example.file), example.code);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the installed package', () => {
  it('ships the build, the docs and deploy/, and no sources, tests, benchmarks or CI', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts']));
    expect(paths.filter((path) => path.startsWith('deploy/')).length).toBeGreaterThan(0);
    expect(paths.filter((path) => /^(test|bench|\.ci|src|machines|visualize)\/|^dist\/(bench|test)\/|\.map$|\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
  });

  it('typechecks a consumer under moduleResolution nodenext, and the consumer elects a leader over HTTP', () => {
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], project);
    const output = run(process.execPath, [join(project, 'out/consumer.js'), project], project);
    expect(output).toContain('leading true term 0 signal true');
    expect(output).toContain('stopped leading');
    expect(output).toContain('stored holder "" transitions 0'); // released on cancel
    expect(output).toMatch(/machine lease, store function, view undefined, error LeadershipError, HandOverError leasehold\.io\/hand-over-to/);
  }, 60_000);

  it('typechecks every TypeScript example in README against the installed package, and runs the quick start and every example tagged `runs`', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    const tsconfig = JSON.parse(readFileSync(join(project, 'tsconfig.json'), 'utf8'));
    tsconfig.files = ['readme-globals.d.ts', ...examples.map((example) => example.file)];
    tsconfig.compilerOptions.outDir = 'readme-out';
    writeFileSync(join(project, 'tsconfig.readme.json'), JSON.stringify(tsconfig));
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(project, 'tsconfig.readme.json')], project);
    const [quickstart] = examples.filter((example) => example.tags.includes('quickstart'));
    expect(quickstart, 'README has a ```ts quickstart block').toBeDefined();
    const output = run(process.execPath, [join(project, 'readme-out', quickstart!.file.replace(/\.ts$/, '.js'))], project);
    expect(output).toBe('pod-1 leads, term 0\nleadership ended\nstopped leading\n');
    // Examples tagged `runs` run as written too: each must finish and print its last line.
    const runnable = examples.filter((example) => example.tags.includes('runs'));
    expect(runnable.length).toBeGreaterThanOrEqual(1);
    for (const example of runnable) {
      const printed = run(process.execPath, [join(project, 'readme-out', example.file.replace(/\.ts$/, '.js'))], project);
      const expected = /console\.log\('([^']*)'\)/.exec(example.code)?.[1];
      expect(printed, `README line ${example.line}`).toBe(`${expected}\n`);
    }
  }, 60_000);

  it('on a Node.js older than 22.19, every entry that loads the Kubernetes client fails with a ConfigError saying so', () => {
    // This Node, told it is 20.20.0 before anything loads (the machine's own Node 20 need not be there).
    const olderNode = `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.20.0'})`;
    for (const entry of ['leasehold', 'leasehold/testing', 'leasehold/server']) {
      const script = `import(${JSON.stringify(entry)}).then(() => console.log('loaded'), (error) => console.log(error.name + ': ' + error.message))`;
      const printed = run(process.execPath, ['--import', olderNode, '--input-type=module', '-e', script], project);
      expect(printed, entry).toBe('ConfigError: leasehold needs Node.js 22.19 or later; this is Node.js 20.20.0\n');
    }
  });

  it('loads from CommonJS through require(esm)', () => {
    expect(run(process.execPath, [join(project, 'requires.cjs')], project)).toContain('require: function');
  });

  it('installs a working leasehold bin', () => {
    const help = run(join(project, 'node_modules/.bin/leasehold'), ['--help'], project);
    expect(help).toMatch(/^usage: leasehold <command>/);
    expect(help).toContain('run');
  });
});
