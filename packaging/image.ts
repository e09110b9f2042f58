/**
 * leasehold's container image, built without a daemon or a registry: packaging/Containerfile
 * (FROM scratch) over a root filesystem laid out here from
 * - Debian's packages libc6, libstdc++6, libgcc-s1 and busybox (`apt-get download`, unpacked with
 *   `dpkg-deb -x`; manuals, docs and charset converters left out),
 * - the single executable (packaging/sea.ts) as /usr/local/bin/leasehold,
 * - /etc/passwd and /etc/group naming the user leasehold (65532), a /tmp for everyone,
 * then `buildah build` and `buildah push` to an OCI archive that podman, skopeo or a registry
 * take as is (`skopeo copy oci-archive:dist/image/leasehold.oci.tar docker://REGISTRY/leasehold:TAG`).
 *
 *   npx tsx packaging/image.ts          (after npm run build) -> dist/image/leasehold.oci.tar
 *
 * Needs buildah (Debian: apt-get install buildah) and apt-get download; runs as root or in a user
 * namespace buildah can set up.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_VERSION as version, ROOT } from './bundle.js';
import { buildSingleExecutable, SEA_EXECUTABLE } from './sea.js';

export const IMAGE_DIR = join(ROOT, 'dist/image');
export const IMAGE_ARCHIVE = join(IMAGE_DIR, 'leasehold.oci.tar');
export const IMAGE_USER = { name: 'leasehold', uid: 65532 };
/** The name the image is built and archived under. */
export const IMAGE_NAME = `localhost/leasehold:${version}`;

/** Debian packages whose files make the base: what the executable links against, and a shell. */
const PACKAGES = ['libc6', 'libstdc++6', 'libgcc-s1', 'busybox'];
/** busybox commands linked into /bin: a shell for commands like `sh -c`, and cp for an initContainer. */
const APPLETS = ['sh', 'cp', 'cat', 'echo', 'env', 'id', 'ls', 'mkdir', 'rm', 'sleep', 'true', 'false'];
/** Parts of the packages the image does not need. */
const LEFT_OUT = ['usr/share', 'usr/lib/x86_64-linux-gnu/gconv', 'usr/libexec', 'usr/bin', 'sbin', 'etc/ld.so.conf.d'];

const run = (command: string, args: string[], cwd = ROOT) => execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

/** The root filesystem of the image, in `dir`. */
function layOutRootfs(dir: string, executable: string): void {
  const debs = join(IMAGE_DIR, 'debs');
  mkdirSync(debs, { recursive: true });
  if (readdirSync(debs).filter((file) => file.endsWith('.deb')).length < PACKAGES.length) run('apt-get', ['download', ...PACKAGES], debs);
  mkdirSync(dir, { recursive: true });
  for (const deb of readdirSync(debs).filter((file) => file.endsWith('.deb'))) run('dpkg-deb', ['-x', join(debs, deb), dir]);
  for (const path of LEFT_OUT) rmSync(join(dir, path), { recursive: true, force: true });
  for (const applet of APPLETS) if (!existsSync(join(dir, 'bin', applet))) symlinkSync('busybox', join(dir, 'bin', applet));
  mkdirSync(join(dir, 'etc'), { recursive: true });
  const { name, uid } = IMAGE_USER;
  writeFileSync(join(dir, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\n${name}:x:${uid}:${uid}:${name}:/home/${name}:/bin/sh\n`);
  writeFileSync(join(dir, 'etc/group'), `root:x:0:\n${name}:x:${uid}:\n`);
  writeFileSync(join(dir, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  mkdirSync(join(dir, `home/${name}`), { recursive: true });
  for (const mountPoint of ['proc', 'dev', 'sys']) mkdirSync(join(dir, mountPoint), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
  copyFileSync(executable, join(dir, 'usr/local/bin/leasehold'));
  chmodSync(join(dir, 'usr/local/bin/leasehold'), 0o755);
}

/** Builds the image from dist/sea/leasehold (built first when missing) into dist/image/leasehold.oci.tar. */
export function buildImage(): { archive: string; name: string } {
  const executable = buildSingleExecutable();
  const context = join(IMAGE_DIR, 'context');
  rmSync(context, { recursive: true, force: true });
  layOutRootfs(join(context, 'rootfs'), executable);
  // --timestamp 0: the same inputs make the same image, whenever it is built.
  run('buildah', ['build', '--quiet', '--timestamp', '0', '--label', `org.opencontainers.image.version=${version}`, '-f', join(ROOT, 'packaging/Containerfile'), '-t', IMAGE_NAME, context]);
  rmSync(IMAGE_ARCHIVE, { force: true });
  run('buildah', ['push', '--quiet', IMAGE_NAME, `oci-archive:${IMAGE_ARCHIVE}:${IMAGE_NAME}`]);
  rmSync(context, { recursive: true, force: true });
  return { archive: IMAGE_ARCHIVE, name: IMAGE_NAME };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const { archive, name } = buildImage();
  const seconds = (performance.now() - started) / 1000;
  console.log(`built ${name} into ${relative(ROOT, archive)}: ${(statSync(archive).size / 1024 / 1024).toFixed(1)} MiB in ${seconds.toFixed(1)} s`);
}
