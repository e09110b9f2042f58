import { readFileSync } from 'node:fs';

/** Set to package.json's version when the CLI is bundled (packaging/bundle.ts). */
declare const LEASEHOLD_VERSION: string | undefined;

/** leasehold's version: the bundle's, or package.json's when run from source (tsx). */
export function leaseholdVersion(): string {
  if (typeof LEASEHOLD_VERSION === 'string') return LEASEHOLD_VERSION;
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
