#!/usr/bin/env node
/**
 * The `leasehold` executable. On a Node.js too old for leasehold it says which one it needs and
 * stops before anything else loads (the Kubernetes client fails deep inside undici on Node 20); the
 * command itself is imported only after the check.
 */
import { unsupportedNode } from '../requiredNode.js';

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem} (${process.execPath})\n`);
  process.exitCode = 1;
} else {
  void import('./main.js');
}
