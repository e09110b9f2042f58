/**
 * Imported first by the entry points that load the Kubernetes client: on a Node.js older than the
 * package supports (engines: >= 22.19), a ConfigError saying so, instead of a TypeError from deep
 * inside undici while the modules load.
 */
import { ConfigError } from './lease/errors.js';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  throw new ConfigError(`leasehold needs Node.js 22.19 or later; this is Node.js ${process.versions.node}`, 'node');
}
