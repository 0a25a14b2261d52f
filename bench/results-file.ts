import type { BenchRow } from './table';

/** bench/results/latest.json: the latest rows of each benchmark, and when and where each ran. */
export interface BenchResults {
  /** When the file was last written. */
  at: string;
  node: string;
  results: Record<string, BenchRow[]>;
  runs: Record<string, { at: string; cores: number; memGiB: number; node: string }>;
}
