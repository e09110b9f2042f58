/**
 * The image as it ships (dist/image/leasehold.oci.tar, built by `npm run image`), run for real:
 * unpacked and started with its own config (test/support/containerImage.ts). Its default command
 * prints the help; `leasehold run` inside it leads against an embedded server on the host, as the
 * image's non-root user, and releases on SIGTERM. The initContainer pattern: the image copies its
 * executable into a shared directory, and a root filesystem with no Node and no leasehold runs it.
 */
import { chmodSync, cpSync, mkdirSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_USER } from '../../packaging/image.js';
import { startLeaseApiServer, type LeaseApiServer } from '../../src/server/index.js';
import { builtImage, descendants, runInImage, type UnpackedImage, unpackImage } from '../support/containerImage.js';

const image = builtImage();
const work = mkdtempSync(join(tmpdir(), 'leasehold-image-'));

/** The lease as the server stored it, read over its API. */
async function holderOf(server: LeaseApiServer, name: string): Promise<string | undefined> {
  const response = await fetch(`${server.url}/apis/coordination.k8s.io/v1/namespaces/default/leases/${name}`);
  if (response.status === 404) return undefined;
  return ((await response.json()) as { spec: { holderIdentity?: string } }).spec.holderIdentity ?? '';
}

/** Waits until `condition` holds, checking every 50 ms, or fails after `timeoutMs`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!('archive' in image))(`the image${'missing' in image ? ` (${image.missing})` : ''}`, () => {
  let unpacked: UnpackedImage;
  let server: LeaseApiServer;

  beforeAll(async () => {
    unpacked = unpackImage((image as { archive: string }).archive, work);
    server = await startLeaseApiServer();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('says in its config: leasehold as entrypoint, a non-root user, no Node beside it', () => {
    expect(unpacked.process).toMatchObject({ uid: IMAGE_USER.uid, gid: IMAGE_USER.uid, args: ['/usr/local/bin/leasehold', '--help'], cwd: '/home/leasehold' });
    expect(unpacked.process.env).toContain('PATH=/usr/local/bin:/bin');
    const files = readdirSync(unpacked.rootfs, { recursive: true }).map(String);
    expect(files.filter((file) => /(^|\/)(node|nodejs|npm)$/.test(file))).toEqual([]);
    expect(files).toContain('usr/local/bin/leasehold');
  });

  it('runs its default command: leasehold --help', async () => {
    const help = runInImage(unpacked);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('usage: leasehold <command> [flags]');
  });

  it('leads with leasehold run against a server outside, as its own user, and releases on SIGTERM', async () => {
    writeFileSync(join(unpacked.rootfs, 'tmp/kubeconfig'), server.kubeConfig());
    const runner = runInImage(unpacked, {
      args: ['run', '--lease', 'in-image', '--identity', 'in-image-1', '--', 'sh', '-c', 'exec sleep 100000'],
      env: { KUBECONFIG: '/tmp/kubeconfig' },
    });
    await until('the server names the runner in the image as holder', async () => (await holderOf(server, 'in-image')) === 'in-image-1');
    await until('its CMD runs', () => descendants(runner.child.pid!).some((process) => process.command === 'sleep 100000'));
    const processes = descendants(runner.child.pid!);
    const leasehold = processes.find((process) => process.command.startsWith('/usr/local/bin/leasehold run'));
    const sleep = processes.find((process) => process.command === 'sleep 100000');
    expect(leasehold?.uid).toBe(IMAGE_USER.uid);
    expect(sleep?.uid).toBe(IMAGE_USER.uid);
    process.kill(leasehold!.pid, 'SIGTERM');
    expect(await runner.exited).toBe(143); // CMD's status: stopped by SIGTERM

    expect(await holderOf(server, 'in-image')).toBe('');
    expect(descendants(runner.child.pid!)).toEqual([]);
  });

  it('copies its executable for an initContainer; a root filesystem without Node or leasehold runs it', async () => {
    const shared = join(work, 'emptyDir');
    mkdirSync(shared, { mode: 0o777 }); // an emptyDir is writable by every user
    chmodSync(shared, 0o777);
    const copy = runInImage(unpacked, { command: ['cp', '/usr/local/bin/leasehold', '/opt/leasehold/leasehold'], binds: { [shared]: '/opt/leasehold' } });
    expect(await copy.exited).toBe(0);
    // The application's image: the same Debian base, without leasehold and without any Node.
    const app = join(work, 'app-rootfs');
    cpSync(unpacked.rootfs, app, { recursive: true, verbatimSymlinks: true });
    rmSync(join(app, 'usr/local/bin/leasehold'));
    const version = runInImage(unpacked, { rootfs: app, command: ['/opt/leasehold/leasehold', '--version'], binds: { [shared]: '/opt/leasehold' } });
    expect(await version.exited).toBe(0);
    expect(version.output().trim()).toMatch(/^leasehold \d+\.\d+\.\d+/);
  });
});
