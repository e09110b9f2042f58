/** The Node.js versions leasehold runs on (package.json engines: >= 22.19), as a check with no side effects. */

/** What is wrong with Node.js `version` for leasehold, or undefined when it is supported. */
export function unsupportedNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 19)) return undefined;
  return `leasehold needs Node.js 22.19 or later; this is Node.js ${version}`;
}
