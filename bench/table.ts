/**
 * What a row's comparison is:
 * - `peer`: another system, or the bare layer underneath, doing the same work in the same run;
 * - `reference`: a general-purpose compressor (or the time it implies) applied to the same
 *   records in the same run: a yardstick, not a physical limit;
 * - `target`: a fixed number (a frame at 60 Hz, 100 ms, a score of 100), not measured.
 */
export type ComparisonKind = 'peer' | 'reference' | 'target';

export interface BenchRow {
  figure: string;
  minsheng: number;
  comparison: number;
  /** What `comparison` is, in words. */
  against: string;
  kind: ComparisonKind;
  unit: string;
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

/** The table as printed and as written into README.md by scripts/bench-readme.ts. */
export function tableLines(rows: BenchRow[]): string[] {
  const lines = [
    ['figure', 'Minsheng', 'comparison', 'ratio', 'kind', 'against'],
    ...rows.map((r) => [r.figure, `${fmt(r.minsheng)} ${r.unit}`.trim(), `${fmt(r.comparison)} ${r.unit}`.trim(), `${(r.minsheng / r.comparison).toFixed(2)}×`, r.kind ?? 'peer', r.against]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => [...l[i]!].length)));
  return lines.map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export function printTable(name: string, rows: BenchRow[]): void {
  console.log(`\n## ${name}`);
  for (const l of tableLines(rows)) console.log(l);
}
