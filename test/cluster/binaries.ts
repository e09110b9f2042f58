/**
 * The control plane's two binaries, built from their published Go modules and cached by version
 * outside git: kube-apiserver from k8s.io/kubernetes (test/cluster/kube-apiserver) and etcd on
 * go.etcd.io/etcd/server/v3/embed (test/cluster/etcd). The versions are the ones the modules' go.mod
 * files pin; another Kubernetes release can be asked for (`--kubernetes 1.36.6`), for which a go.mod
 * is derived from that release's own (one `replace` per staging module, see NOTES in the README).
 *
 * A warm start finds both binaries in the cache and builds nothing. A cold build takes minutes (about
 * 2,000 packages) and prints its progress.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const HERE = import.meta.dirname;
const run = promisify(execFile);

export interface ControlPlaneBinaries {
  kubeApiserver: string;
  etcd: string;
  kubernetesVersion: string;
  etcdVersion: string;
}

export interface BinariesOptions {
  /** A Kubernetes release other than the one test/cluster/kube-apiserver/go.mod pins, e.g. "1.36.6". */
  kubernetesVersion?: string;
  /** Progress lines (a cold build takes minutes). */
  log?: (line: string) => void;
}

/** Where built binaries are kept: $LEASEHOLD_CACHE, else $XDG_CACHE_HOME/leasehold, else ~/.cache/leasehold. */
export function cacheRoot(): string {
  return process.env.LEASEHOLD_CACHE ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'leasehold');
}

/** The version a go.mod requires a module at ("v1.37.2"). */
export function pinnedVersion(goMod: string, module: string): string {
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match) throw new Error(`go.mod does not require ${module}`);
  return match[1]!;
}

/** The pinned Kubernetes and etcd releases, without "v". */
export function pinnedVersions(): { kubernetes: string; etcd: string } {
  return {
    kubernetes: pinnedVersion(readFileSync(join(HERE, 'kube-apiserver/go.mod'), 'utf8'), 'k8s.io/kubernetes').slice(1),
    etcd: pinnedVersion(readFileSync(join(HERE, 'etcd/go.mod'), 'utf8'), 'go.etcd.io/etcd/server/v3').slice(1),
  };
}

/** The binaries if both are cached already, else undefined (nothing is built). */
export function cachedControlPlane(options: Pick<BinariesOptions, 'kubernetesVersion'> = {}): ControlPlaneBinaries | undefined {
  const plan = planBuilds(options.kubernetesVersion);
  return plan.every((build) => existsSync(build.output)) ? binariesOf(plan) : undefined;
}

/** The binaries, building whichever is not cached yet. */
export async function controlPlaneBinaries(options: BinariesOptions = {}): Promise<ControlPlaneBinaries> {
  const log = options.log ?? ((line: string) => console.error(line));
  const plan = planBuilds(options.kubernetesVersion);
  for (const build of plan) {
    if (existsSync(build.output)) continue;
    await buildBinary(build, log);
  }
  return binariesOf(plan);
}

interface Build {
  name: 'kube-apiserver' | 'etcd';
  version: string;
  /** The Go module's folder: the repo's own, or a derived one for another Kubernetes release. */
  moduleDir: string;
  ldflags: string;
  output: string;
}

function binariesOf([apiserver, etcd]: [Build, Build]): ControlPlaneBinaries {
  return { kubeApiserver: apiserver.output, etcd: etcd.output, kubernetesVersion: apiserver.version, etcdVersion: etcd.version };
}

function planBuilds(kubernetesVersion?: string): [Build, Build] {
  const pinned = pinnedVersions();
  const kubernetes = kubernetesVersion?.replace(/^v/, '') ?? pinned.kubernetes;
  const [major, minor] = kubernetes.split('.');
  const apiserverDir = join(HERE, 'kube-apiserver');
  const derived = kubernetes !== pinned.kubernetes;
  const moduleDir = derived ? join(cacheRoot(), 'control-plane', 'modules', `kubernetes-v${kubernetes}`) : apiserverDir;
  const etcdDir = join(HERE, 'etcd');
  // A change to a wrapper or its pins builds anew: the key covers the files the binary is built from.
  const key = (dir: string, files: string[]) =>
    createHash('sha256')
      .update(files.map((file) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '')).join('\0'))
      .digest('hex')
      .slice(0, 12);
  const apiserverKey = key(apiserverDir, ['main.go', ...(derived ? [] : ['go.mod', 'go.sum'])]);
  const etcdKey = key(etcdDir, ['main.go', 'go.mod', 'go.sum']);
  const binDir = join(cacheRoot(), 'control-plane', 'bin');
  return [
    {
      name: 'kube-apiserver',
      version: kubernetes,
      moduleDir,
      // The version kube-apiserver reports (/version) and checks its emulation version against.
      ldflags: `-s -w -X k8s.io/component-base/version.gitVersion=v${kubernetes} -X k8s.io/component-base/version.gitMajor=${major} -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean`,
      output: join(binDir, `kube-apiserver-v${kubernetes}-${apiserverKey}`),
    },
    { name: 'etcd', version: pinned.etcd, moduleDir: etcdDir, ldflags: '-s -w', output: join(binDir, `etcd-v${pinned.etcd}-${etcdKey}`) },
  ];
}

async function buildBinary(build: Build, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
  if (build.moduleDir !== join(HERE, build.name)) await deriveApiserverModule(build, log);
  log(`control plane: building ${build.name} v${build.version} (cold: several minutes; cached afterwards in ${build.output})`);
  const { stdout } = await run('go', ['list', '-deps', '.'], { cwd: build.moduleDir, maxBuffer: 64 << 20 });
  const total = stdout.split('\n').filter(Boolean).length;
  mkdirSync(join(build.output, '..'), { recursive: true });
  const partial = `${build.output}.partial-${process.pid}`;
  let compiled = 0;
  const progress = setInterval(() => log(`control plane: ${build.name}: ${compiled} of at most ${total} packages compiled (${elapsed()})`), 20_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const go = spawn('go', ['build', '-v', '-trimpath', `-ldflags=${build.ldflags}`, '-o', partial, '.'], { cwd: build.moduleDir, stdio: ['ignore', 'inherit', 'pipe'] });
      let errors = '';
      go.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          // -v names each package as it is compiled; anything else is a compiler message.
          if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line.trim())) compiled++;
          else if (line.trim()) errors += `${line}\n`;
        }
      });
      go.on('error', reject);
      go.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go build of ${build.name} v${build.version} failed (exit ${code}):\n${errors}`))));
    });
    renameSync(partial, build.output);
  } finally {
    clearInterval(progress);
    rmSync(partial, { force: true });
  }
  log(`control plane: built ${build.name} v${build.version} in ${elapsed()}`);
}

/**
 * A module for a Kubernetes release other than the pinned one: k8s.io/kubernetes's go.mod maps every
 * staging module (k8s.io/api, apiserver, client-go, ...) to a local folder, which does not apply to an
 * importer, so each becomes a `replace` to the published v0.N.M of the same release.
 */
async function deriveApiserverModule(build: Build, log: (line: string) => void): Promise<void> {
  if (existsSync(join(build.moduleDir, 'go.sum'))) return;
  log(`control plane: deriving a Go module for Kubernetes v${build.version}`);
  mkdirSync(build.moduleDir, { recursive: true });
  const { stdout } = await run('go', ['mod', 'download', '-json', `k8s.io/kubernetes@v${build.version}`], { cwd: build.moduleDir, maxBuffer: 16 << 20 });
  const kubernetesGoMod = readFileSync((JSON.parse(stdout) as { GoMod: string }).GoMod, 'utf8');
  const goVersion = /^go (\S+)/m.exec(kubernetesGoMod)?.[1] ?? '1.26.0';
  const staging = [...kubernetesGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\/src\//gm)].map((match) => match[1]);
  const [, minor, patch] = build.version.split('.');
  const lines = [
    'module leasehold.test/cluster/kube-apiserver',
    '',
    `go ${goVersion}`,
    '',
    `require k8s.io/kubernetes v${build.version}`,
    '',
    'replace (',
    ...staging.map((module) => `\t${module} => ${module} v0.${minor}.${patch}`),
    ')',
    '',
  ];
  writeFileSync(join(build.moduleDir, 'go.mod'), lines.join('\n'));
  copyFileSync(join(HERE, 'kube-apiserver/main.go'), join(build.moduleDir, 'main.go'));
  await run('go', ['mod', 'tidy'], { cwd: build.moduleDir, maxBuffer: 16 << 20 });
}
