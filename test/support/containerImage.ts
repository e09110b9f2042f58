/**
 * leasehold's image (packaging/image.ts) run for real without a container engine: the OCI archive is
 * unpacked by umoci into a runtime bundle (rootfs/ and the config.json the image's own config makes:
 * user, environment, working directory, entrypoint and command), and its process is started the way
 * a runtime starts it: in new PID and mount namespaces, /proc and /dev mounted, chrooted into the
 * rootfs, as the image's user, with only the image's environment. The network is the host's (as
 * `podman run --network host`). podman itself cannot run a container on this machine: crun and runc
 * are refused setrlimit for the container, and crun refuses cgroups in hybrid mode (docs/deploying.md).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_ARCHIVE, IMAGE_NAME } from '../../packaging/image.js';
import { watch } from './cli.js';

/** The built image, or how to build it. */
export function builtImage(): { archive: string } | { missing: string } {
  if (existsSync(IMAGE_ARCHIVE)) return { archive: IMAGE_ARCHIVE };
  return { missing: `no image at ${IMAGE_ARCHIVE}: npm run build && npm run image (needs buildah; .ci/run does)` };
}

/** What the image's config says about its process (OCI runtime spec, as umoci wrote it). */
export interface ImageProcess {
  uid: number;
  gid: number;
  args: string[];
  env: string[];
  cwd: string;
}

export interface UnpackedImage {
  rootfs: string;
  process: ImageProcess;
}

/** Unpacks the image archive into `dir` (a tar of an OCI layout, then `umoci unpack`). */
export function unpackImage(archive: string, dir: string): UnpackedImage {
  const layout = join(dir, 'layout');
  const bundle = join(dir, 'bundle');
  mkdirSync(layout, { recursive: true });
  execFileSync('tar', ['-xf', archive, '-C', layout]);
  execFileSync('umoci', ['unpack', '--image', `${layout}:${IMAGE_NAME}`, bundle], { stdio: 'pipe' });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { user: { uid: number; gid: number }; args: string[]; env: string[]; cwd: string } };
  const { user, args, env, cwd } = spec.process;
  return { rootfs: join(bundle, 'rootfs'), process: { uid: user.uid, gid: user.gid, args, env, cwd } };
}

/**
 * Starts a process in the unpacked image: `args` replace the image's command after its entrypoint
 * when `command` is not given (as `podman run IMAGE ARGS`), `command` replaces both
 * (`--entrypoint`); `env` is added to the image's environment (`-e`); `binds` mount host
 * directories at paths inside (`-v`).
 */
export function runInImage(image: UnpackedImage, options: { args?: string[]; command?: string[]; env?: Record<string, string>; binds?: Record<string, string>; rootfs?: string } = {}) {
  const rootfs = options.rootfs ?? image.rootfs;
  const { uid, gid, cwd } = image.process;
  const argv = options.command ?? (options.args ? [image.process.args[0]!, ...options.args] : image.process.args);
  const env = Object.fromEntries(image.process.env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  Object.assign(env, options.env);
  const binds = Object.entries(options.binds ?? {});
  for (const [, inside] of binds) mkdirSync(join(rootfs, inside), { recursive: true });
  // In the new mount namespace: /dev and the binds mounted, then unshare chroots, changes to the
  // working directory, drops to the image's user and runs the process.
  const script = [
    'root="$1"; wd="$2"; gid="$3"; uid="$4"; shift 4',
    '/bin/mount --rbind /dev "$root/dev"',
    ...binds.map(([host, inside]) => `/bin/mount --bind ${JSON.stringify(host)} "$root"${JSON.stringify(inside)}`),
    'exec /usr/bin/unshare --root="$root" --wd="$wd" --setgid "$gid" --setuid "$uid" -- "$@"',
  ].join(' && ');
  for (const dir of ['proc', 'dev']) mkdirSync(join(rootfs, dir), { recursive: true });
  // Absolute paths on the host's side, so that the environment is the image's alone.
  const child = spawn(
    '/usr/bin/unshare',
    ['--mount', '--pid', '--fork', '--kill-child', `--mount-proc=${join(rootfs, 'proc')}`, '/bin/sh', '-c', script, 'sh', rootfs, cwd, String(gid), String(uid), ...argv],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  return watch(child);
}

/** The processes descended from `pid` (host pids, from /proc), with their command line and user. */
export function descendants(pid: number): { pid: number; uid: number; command: string }[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; uid: number; command: string }[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      try {
        const uid = statSync(`/proc/${child}`).uid;
        const command = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        found.push({ pid: child, uid, command });
      } catch {
        continue;
      }
      visit(child);
    }
  };
  visit(pid);
  return found;
}
