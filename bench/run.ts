// `npm run bench` runs every benchmark but the opt-in ones; `npm run bench -- <name>` runs one
// (opt-in ones too: `npm run bench -- city`, many minutes on 2 cores). See bench/README.md.
// Figures are printed beside a comparison as a ratio; results also go to bench/results/latest.json,
// merged with what earlier runs left there for benchmarks not run this time (each with its own
// date), and `npm run bench:readme` writes them into README.md.
// y-dexie reports every released document on console.debug; that is noise here.
console.debug = () => {};
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from './pipeline';
import { publicPages } from './public';
import { reports } from './reports';
import { weeklyReport } from './weekly-report';
import { client } from './client';
import { lighthouseScores } from './lighthouse';
import { serverLoad } from './server-load';
import { sync } from './sync';
import { city } from './city';
import { federation } from './federation';
import { scale } from './scale';
import { classifyBench } from './classify';
import { wall } from './wall';
import { alerts } from './alerts';
import { handoverQr } from './handover-qr';
import { handoverBundle } from './handover-bundle';
import { mediaBudget } from './media-budget';
import { retention } from './retention';
import { printTable, type BenchRow } from './table';
import type { BenchResults } from './results-file';

const BENCHES: Record<string, () => Promise<BenchRow[]>> = {
  sync,
  'server-load': serverLoad,
  client,
  lighthouse: lighthouseScores,
  pipeline,
  reports,
  'weekly-report': weeklyReport,
  public: publicPages,
  classify: classifyBench,
  wall,
  alerts,
  'handover-qr': handoverQr,
  'handover-bundle': handoverBundle,
  'media-budget': mediaBudget,
  retention,
};
/** Run only when named: they take many minutes. */
const OPT_IN: Record<string, () => Promise<BenchRow[]>> = { city, federation, scale };
const ALL = { ...BENCHES, ...OPT_IN };

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in ALL));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${Object.keys(BENCHES).join(', ')}; only when named: ${Object.keys(OPT_IN).join(', ')}`);
  process.exit(2);
}
const dir = path.join(import.meta.dirname, 'results');
const file = path.join(dir, 'latest.json');
mkdirSync(dir, { recursive: true });
const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResults>) : {};
const machine = { cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
const out: BenchResults = { at: new Date().toISOString(), node: process.version, results: { ...previous.results }, runs: { ...previous.runs } };
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  const rows = await ALL[name]!();
  printTable(name, rows);
  out.results[name] = rows;
  out.runs[name] = { at: new Date().toISOString(), ...machine };
  // Written after each benchmark, so a long run that fails late keeps what it measured; read
  // again first, so two runs of different benchmarks at once keep each other's rows.
  const now = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResults>) : {};
  out.results = { ...now.results, [name]: rows };
  out.runs = { ...now.runs, [name]: out.runs[name]! };
  writeFileSync(file, JSON.stringify(out, null, 2));
}
// Nothing is left to do, but y-dexie's periodic GC re-arms its 5-minute timer when a device's
// database closes while a GC is running (the city bench's long syncs), which would hold the
// process that long.
process.exit(0);
