/** The TypeScript examples of README.md, each as its own module, for the installed-package test. */
export interface ReadmeExample {
  /** `readme-<line>.ts` */
  file: string;
  line: number;
  /** Info-string words after `ts` (e.g. `quickstart`: the test runs it, not only typechecks it). */
  tags: string[];
  code: string;
}

export function readmeExamples(markdown: string): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  const fence = /^( *)```ts([^\n]*)\n([\s\S]*?)^\1```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const [, indent = '', info = '', body = ''] = match;
    const line = markdown.slice(0, match.index).split('\n').length;
    const code = body
      .split('\n')
      .map((text) => (text.startsWith(indent) ? text.slice(indent.length) : text))
      .join('\n');
    // A module of its own, so examples' top-level names and awaits do not collide.
    examples.push({ file: `readme-${line}.ts`, line, tags: info.trim().split(/\s+/).filter(Boolean), code: `${code}\nexport {};\n` });
  }
  return examples;
}
