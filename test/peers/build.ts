/**
 * The real peers, built or installed on demand and cached outside git (node_modules/.cache/
 * leasehold-peers/), so a warm run builds nothing:
 * - the client-go elector and the effects writer (test/peers/client-go), built with `go build`
 *   from their pinned Go module; the cache key covers the module's files and the Go version;
 * - the official Python client (`kubernetes` from PyPI, test/peers/python/requirements.txt, every
 *   package pinned) in a virtualenv made with `python3 -m venv`.
 * A cold build prints its progress; concurrent callers (test files in parallel workers) wait for
 * the one that builds, through a lock directory beside the cache entry.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const CLIENT_GO_MODULE = join(import.meta.dirname, 'client-go');
const PYTHON_REQUIREMENTS = join(import.meta.dirname, 'python/requirements.txt');
export const CACHE = join(ROOT, 'node_modules/.cache/leasehold-peers');

const log = (line: string) => console.error(`peers: ${line}`);

export interface GoPeers {
  /** The client-go elector (test/peers/client-go/main.go). */
  elector: string;
  /** The effects writer (test/peers/client-go/effects). */
  effects: string;
  /** The client-go release it was built with, e.g. "v0.37.2". */
  clientGoVersion: string;
}

export interface PythonClient {
  /** The virtualenv's python. */
  python: string;
  /** The pinned `kubernetes` release, e.g. "37.0.3". */
  version: string;
}

/** The version a go.mod requires a module at. */
function required(goMod: string, module: string): string {
  const version = new RegExp(`^\\s*${module.replaceAll('.', '\\.')}\\s+(v\\S+)`, 'm').exec(goMod)?.[1];
  if (!version) throw new Error(`test/peers/client-go/go.mod does not require ${module}`);
  return version;
}

function hashOf(parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12);
}

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /(\.go|go\.mod|go\.sum)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * Runs `make(partial)` once per cache entry: the first caller builds into `<entry>.partial-PID` and
 * renames it into place; the others wait for the entry while the builder's lock is held.
 */
async function cached(entry: string, make: (partial: string) => Promise<void>): Promise<string> {
  if (existsSync(entry)) return entry;
  mkdirSync(CACHE, { recursive: true });
  const lock = `${entry}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      if (existsSync(entry)) return entry;
      const owner = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner > 0 && !isRunning(owner)) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const partial = `${entry}.partial-${process.pid}`;
  try {
    if (existsSync(entry)) return entry;
    rmSync(partial, { recursive: true, force: true });
    await make(partial);
    renameSync(partial, entry);
    return entry;
  } finally {
    rmSync(partial, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a command, printing its output lines as progress; rejects with its output on failure. */
function step(command: string, args: string[], cwd: string, describe: (line: string) => string | undefined = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n')) {
        const said = describe(line.trim());
        if (said) log(said);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => reject(new Error(`${command} could not start (${error.message}): the peers need it on PATH`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}) in ${cwd}:\n${output}`))));
  });
}

/** The client-go elector and the effects writer, built on first use. */
export async function goPeers(): Promise<GoPeers> {
  const goMod = readFileSync(join(CLIENT_GO_MODULE, 'go.mod'), 'utf8');
  const clientGoVersion = required(goMod, 'k8s.io/client-go');
  let goVersion: string;
  try {
    goVersion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('the client-go peer needs Go (1.26 or later) on PATH: https://go.dev/dl/ (CI installs it)');
  }
  const key = hashOf([goVersion, ...sourcesOf(CLIENT_GO_MODULE).map((file) => `${file.slice(CLIENT_GO_MODULE.length)}\0${readFileSync(file, 'utf8')}`)]);
  const dir = await cached(join(CACHE, `client-go-${clientGoVersion}-${key}`), async (partial) => {
    const started = performance.now();
    log(`building the client-go ${clientGoVersion} elector with ${goVersion} (cold: a few minutes; cached afterwards in ${join(CACHE)})`);
    let compiled = 0;
    const progress = setInterval(() => log(`client-go elector: ${compiled} packages compiled (${Math.round((performance.now() - started) / 1000)} s)`), 15_000);
    try {
      // -v names each package as it is compiled: the progress count.
      const counting = (line: string) => {
        if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line)) compiled++;
        return undefined;
      };
      await step('go', ['build', '-v', '-trimpath', '-o', join(partial, 'client-go-elector'), '.'], CLIENT_GO_MODULE, counting);
      await step('go', ['build', '-trimpath', '-o', join(partial, 'effects'), './effects'], CLIENT_GO_MODULE);
    } finally {
      clearInterval(progress);
    }
    log(`built the client-go elector in ${Math.round((performance.now() - started) / 1000)} s`);
  });
  return { elector: join(dir, 'client-go-elector'), effects: join(dir, 'effects'), clientGoVersion };
}

/** A virtualenv with the pinned official Python client, made on first use. */
export async function pythonClient(): Promise<PythonClient> {
  const requirements = readFileSync(PYTHON_REQUIREMENTS, 'utf8');
  const version = /^kubernetes==(\S+)/m.exec(requirements)?.[1];
  if (!version) throw new Error('test/peers/python/requirements.txt does not pin kubernetes');
  const dir = await cached(join(CACHE, `python-kubernetes-${version}-${hashOf([requirements])}`), async (partial) => {
    const started = performance.now();
    log(`installing the Python client kubernetes==${version} from PyPI into a virtualenv (cached afterwards in ${CACHE})`);
    await step('python3', ['-m', 'venv', partial], ROOT);
    await step(join(partial, 'bin/pip'), ['install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '-r', PYTHON_REQUIREMENTS], ROOT, (line) =>
      /^(Collecting|Successfully installed)/.test(line) ? line : undefined,
    );
    log(`installed kubernetes==${version} in ${Math.round((performance.now() - started) / 1000)} s`);
  });
  return { python: join(dir, 'bin/python'), version };
}
