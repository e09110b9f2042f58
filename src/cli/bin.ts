#!/usr/bin/env node
/**
 * The `leasehold` executable. On a Node.js too old for leasehold it says which one it needs and
 * stops before anything else loads (the Kubernetes client fails deep inside undici on Node 20); the
 * command itself is imported only after the check.
 */
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { unsupportedNode } from '../lease/nodeVersion.js';

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem} (${process.execPath})\n`);
  process.exitCode = 1;
} else {
  // V8's compiled code kept between runs, in the user's cache directory as kubectl keeps its own
  // (~/.kube/cache): a quarter of a one-shot command's CPU time (`leasehold status`: 0.15 s instead
  // of 0.20 s). Where it cannot be written (a read-only home), Node goes on without it.
  module.enableCompileCache(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'leasehold', 'node-compile-cache'));
  void import('./main.js');
}
