/**
 * Imported first by the entry points that load the Kubernetes client: on a Node.js older than the
 * package supports, a ConfigError saying so, instead of a TypeError from deep inside undici while
 * the modules load.
 */
import { ConfigError } from './lease/errors.js';
import { unsupportedNode } from './lease/nodeVersion.js';

const problem = unsupportedNode(process.versions.node);
if (problem) throw new ConfigError(problem, 'node');
