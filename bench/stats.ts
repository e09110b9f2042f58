/** Percentiles and a small table printer for benchmarks. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const width = (c: string) => Math.max(c.length, ...rows.map((r) => String(r[c]).length));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(width(columns[i]!))).join(' | ')} |`;
  console.log(line(columns));
  console.log(`|${columns.map((c) => '-'.repeat(width(c) + 2)).join('|')}|`);
  for (const row of rows) console.log(line(columns.map((c) => String(row[c]))));
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;

/** `--name N` from the command line, or `fallback`. */
export function option(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}
