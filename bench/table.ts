export interface BenchRow {
  figure: string;
  minsheng: number;
  comparison: number;
  /** What `comparison` is: a peer measured in the same run, or a physical limit. */
  against: string;
  unit: string;
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

export function printTable(name: string, rows: BenchRow[]): void {
  console.log(`\n## ${name}`);
  const lines = [['figure', 'Minsheng', 'comparison', 'ratio', 'against'], ...rows.map((r) => [r.figure, `${fmt(r.minsheng)} ${r.unit}`, `${fmt(r.comparison)} ${r.unit}`, `${(r.minsheng / r.comparison).toFixed(2)}×`, r.against])];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => [...l[i]!].length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}
