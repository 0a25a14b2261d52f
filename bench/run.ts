// `npm run bench` runs every benchmark; `npm run bench -- <name>` runs one.
// Figures are printed beside a comparison as a ratio; results also go to bench/results/latest.json.
// y-dexie reports every released document on console.debug; that is noise here.
console.debug = () => {};
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from './pipeline';
import { publicPages } from './public';
import { reports } from './reports';
import { client } from './client';
import { lighthouseScores } from './lighthouse';
import { serverLoad } from './server-load';
import { sync } from './sync';
import { printTable, type BenchRow } from './table';

const BENCHES: Record<string, () => Promise<BenchRow[]>> = {
  sync,
  'server-load': serverLoad,
  client,
  lighthouse: lighthouseScores,
  pipeline,
  reports,
  public: publicPages,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
const results: Record<string, BenchRow[]> = {};
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  results[name] = await BENCHES[name]!();
  printTable(name, results[name]);
}
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2));
