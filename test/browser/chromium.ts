/**
 * The system's Chromium for the browser tests and the live-view benchmark: Debian's package
 * (`apt-get install -y chromium`, which .ci/run does), never a downloaded browser. Missing Chromium
 * is an error, not a reason to skip.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.LEASEHOLD_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set LEASEHOLD_CHROMIUM`);
  }
  // No sandbox: CI containers run as root, where Chromium's sandbox refuses to start; a small
  // /dev/shm crashes tabs, hence --disable-dev-shm-usage.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}
