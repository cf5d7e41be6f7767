// The measured blocks of docs/performance.md: each bench script rewrites its own block, between
// `<!-- bench: NAME begin -->` and `<!-- bench: NAME end -->`, so the page shows exactly the figures of the
// run that wrote bench/*results.json. (Not tools/write-docs.mjs blocks: these are measured, not generated.)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'performance.md');

export function writeDocBlock(name, text) {
  const begin = `<!-- bench: ${name} begin -->\n`;
  const end = `<!-- bench: ${name} end -->`;
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`docs/performance.md has no ${begin.trim()} ... ${end} block`);
  writeFileSync(DOC, `${doc.slice(0, from + begin.length)}${text}${doc.slice(to)}`);
}
