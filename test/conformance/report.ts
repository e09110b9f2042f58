/** The conformance run as text: a table per category and pass, each difference, and the summary line. */
import type { ConformanceRun } from './conformance.js';
import type { Category } from './corpus.js';

const show = (value: unknown) => {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

export function summaryLine(run: ConformanceRun): string {
  const total = run.results.length;
  const identical = run.results.filter((result) => result.outcome === 'identical').length;
  const allowlisted = run.results.filter((result) => result.outcome === 'allowlisted').length;
  const percent = total === 0 ? 0 : (100 * identical) / total;
  return `conformance: ${identical} of ${total} cases identical (${percent.toFixed(1)} %), ${allowlisted} allowlisted`;
}

export function report(run: ConformanceRun, corpus: Category[], options: { allowlisted?: boolean } = {}): string {
  const lines: string[] = [];
  const rows = corpus.flatMap((category) =>
    (['plain', 'coordinated'] as const).map((pass) => {
      const results = run.results.filter((result) => result.category === category.category && result.pass === pass);
      return {
        name: pass === 'plain' ? category.category : `${category.category} (coordinated)`,
        cases: results.length,
        identical: results.filter((result) => result.outcome === 'identical').length,
        allowlisted: results.filter((result) => result.outcome === 'allowlisted').length,
        differing: results.filter((result) => result.outcome === 'differing').length,
      };
    }),
  ).filter((row) => row.cases > 0);
  const width = Math.max(8, ...rows.map((row) => row.name.length));
  const header = `${'category'.padEnd(width)}  cases  identical  allowlisted  differing`;
  lines.push(header, '-'.repeat(header.length));
  for (const row of rows) {
    lines.push(`${row.name.padEnd(width)}  ${String(row.cases).padStart(5)}  ${String(row.identical).padStart(9)}  ${String(row.allowlisted).padStart(11)}  ${String(row.differing).padStart(9)}`);
  }
  const differing = run.results.filter((result) => result.outcome === 'differing' || (options.allowlisted && result.outcome === 'allowlisted'));
  if (differing.length > 0) lines.push('', 'differences (kube-apiserver | embedded):');
  for (const result of differing) {
    const tag = result.outcome === 'allowlisted' ? ' [allowlisted]' : '';
    lines.push(`- ${result.caseId}${result.pass === 'coordinated' ? ' (coordinated)' : ''}${tag}`);
    if (result.failure) lines.push(`    could not run: ${result.failure}`);
    const listed = result.outcome === 'allowlisted' ? result.differences : result.unexplained;
    for (const difference of listed) lines.push(`    ${difference.where}: ${show(difference.kubeApiserver)} | ${show(difference.embedded)}`);
    if (result.outcome === 'allowlisted' && result.entry) lines.push(`    why: ${result.entry.why.trim()}`);
  }
  for (const entry of run.staleEntries) lines.push(`- allowlist entry for "${entry.case}" matches no difference any more: remove it`);
  lines.push('', summaryLine(run));
  return lines.join('\n');
}
