// `npm run bench:readme`: writes the benchmark tables of bench/results/latest.json into
// README.md, each between its markers (<!-- bench:NAME --> ... <!-- /bench:NAME -->), with
// the date and machine of the run that made it. A benchmark missing from latest.json keeps
// its block and is named in a warning; nothing outside the markers changes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchResults } from '../bench/results-file';
import { tableLines } from '../bench/table';

const ROOT = path.resolve(import.meta.dirname, '..');
const README = path.join(ROOT, 'README.md');
const LATEST = path.join(ROOT, 'bench/results/latest.json');

if (!existsSync(LATEST)) {
  console.error('No bench/results/latest.json: run `npm run bench` (or `npm run bench -- <name>`) first.');
  process.exit(1);
}
const latest = JSON.parse(readFileSync(LATEST, 'utf8')) as BenchResults;
let readme = readFileSync(README, 'utf8');

const markers = [...readme.matchAll(/<!-- bench:([a-z-]+) -->\n/g)].map((m) => m[1]!);
if (markers.length === 0) throw new Error('README.md has no <!-- bench:NAME --> markers');
const missing: string[] = [];
for (const name of markers) {
  const rows = latest.results?.[name];
  if (!rows) {
    missing.push(name);
    continue;
  }
  const run = latest.runs?.[name];
  const when = run ? `${run.at.slice(0, 10)}, ${run.cores} cores, ${run.memGiB} GiB, Node ${run.node.replace(/^v/, '')}` : latest.at.slice(0, 10);
  const block = [`<!-- bench:${name} -->`, '```', `## ${name} (${when})`, ...tableLines(rows), '```', `<!-- /bench:${name} -->`].join('\n');
  const re = new RegExp(`<!-- bench:${name} -->\\n[\\s\\S]*?<!-- /bench:${name} -->`);
  if (!re.test(readme)) throw new Error(`README.md: <!-- bench:${name} --> has no closing <!-- /bench:${name} -->`);
  readme = readme.replace(re, () => block);
}
writeFileSync(README, readme);
const written = markers.filter((m) => !missing.includes(m));
console.log(`README.md: wrote ${written.length} table(s): ${written.join(', ') || 'none'}`);
if (missing.length > 0) console.warn(`Not in latest.json, left as they were: ${missing.join(', ')}`);
const unplaced = Object.keys(latest.results ?? {}).filter((n) => !markers.includes(n));
if (unplaced.length > 0) console.warn(`In latest.json but without a README block: ${unplaced.join(', ')}`);
