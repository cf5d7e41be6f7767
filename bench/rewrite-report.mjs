// Rewrites the table block of docs/performance.md, and the targets in bench/results.json, from the results
// bench/results.json already holds: for a change to how bench/report.mjs reads a run, without measuring
// again (the block still names the run that measured its figures: command, commit, date, machine).
//
// Usage: node bench/rewrite-report.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDocBlock } from './doc-block.mjs';
import { report, targets } from './report.mjs';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
const results = JSON.parse(readFileSync(RESULTS, 'utf8'));
results.targets = targets(results);
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
writeDocBlock('table', report(results));
console.log('rewrote docs/performance.md (the table block) and the targets in bench/results.json from bench/results.json');
