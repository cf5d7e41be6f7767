// Every test README.md and docs/ name exists: a `test/<folder>/<name>.test.ts` reference names a file that is
// there, and each quoted title right after it ("a title", or several: ("one", "two")) is part of the title of a
// test or describe block in that file. A renamed or removed test fails here instead of leaving a security claim
// pointing at nothing. A reference always gives the whole path, so it says which file without its paragraph; a
// test folder a page names (`test/isolation/`) must exist too.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';

const DOC_FILES = ['README.md', ...readdirSync(join(PROJECT_ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

interface Reference {
  doc: string;
  file: string;
  titles: string[];
}

/** The prose of a doc: fenced blocks (commands and their output) left out, soft line breaks made spaces. */
function prose(doc: string): string {
  return readFileSync(join(PROJECT_ROOT, doc), 'utf8')
    .replace(/^```[\s\S]*?^```$/gm, '')
    .replace(/\s*\n\s*/g, ' ');
}

/** `` `test/a/b.test.ts` `` and the quoted titles right after it: `` `file` ("one", "two") `` or `` `file`, "one" ``. */
const REFERENCE = /`(test\/[\w./-]+\.test\.ts)`((?:,? \(?"[^"]+")(?:, "[^"]+")*)?/g;

function references(doc: string, text = prose(doc)): Reference[] {
  return [...text.matchAll(REFERENCE)].map(([, file, titles]) => ({ doc, file: file!, titles: [...(titles ?? '').matchAll(/"([^"]+)"/g)].map(([, title]) => title!) }));
}

/** A test file named without its folder (`faults.test.ts`): which file it means depends on the paragraph. */
function partialReferences(text: string): string[] {
  return [...text.matchAll(/`([^`\s]*\.test\.ts)`/g)].map(([, file]) => file!).filter((file) => !file.startsWith('test/'));
}

const VITEST_BLOCKS = new Set(['it', 'test', 'describe', 'suite']);

/** The titles of the `it`/`test`/`describe` blocks of a test file (`it.each(...)('...')` and `describe.sequential('...')`
 *  included), with each `${...}` of a template title kept as written. */
function testTitles(source: string): string[] {
  const file = ts.createSourceFile('test.ts', source, ts.ScriptTarget.Latest, true);
  const titles: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isVitestBlock(node.expression)) {
      const [first] = node.arguments;
      if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first) || ts.isTemplateExpression(first))) {
        titles.push(ts.isTemplateExpression(first) ? first.getText(file).slice(1, -1) : first.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return titles;
}

function isVitestBlock(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return VITEST_BLOCKS.has(callee.text);
  if (ts.isPropertyAccessExpression(callee)) return isVitestBlock(callee.expression);
  if (ts.isCallExpression(callee)) return isVitestBlock(callee.expression);
  return false;
}

const all = DOC_FILES.flatMap((doc) => references(doc));
const titlesOf = new Map<string, string[]>();
const titles = (file: string) => {
  if (!titlesOf.has(file)) titlesOf.set(file, testTitles(readFileSync(join(PROJECT_ROOT, file), 'utf8')));
  return titlesOf.get(file)!;
};

describe('the tests the docs name', () => {
  it('reads the references of the docs and the titles of a test file', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(references('x', 'as `test/a/b.test.ts` ("one, two", "three") and (`test/c.test.ts`, "four"), `test/d.test.ts`: "not a title"')).toEqual([
      { doc: 'x', file: 'test/a/b.test.ts', titles: ['one, two', 'three'] },
      { doc: 'x', file: 'test/c.test.ts', titles: ['four'] },
      { doc: 'x', file: 'test/d.test.ts', titles: [] },
    ]);
    expect(testTitles("describe.sequential('a', () => { it.each([1])('b %s', () => {}); it(`c ${x}`, () => {}); expect('d').toBe('d'); });")).toEqual([
      'a',
      'b %s',
      'c ${x}',
    ]);
  });

  it.each(DOC_FILES)('%s names each test file by its whole path', (doc) => {
    expect(partialReferences(prose(doc))).toEqual([]);
  });

  it.each(DOC_FILES)('%s names only test folders that exist', (doc) => {
    const folders = [...prose(doc).matchAll(/`(test\/[\w/-]+\/)`/g)].map(([, folder]) => folder!);
    expect(folders.filter((folder) => !existsSync(join(PROJECT_ROOT, folder)))).toEqual([]);
  });

  it.each(all.map((reference) => [`${reference.doc}: ${reference.file}`, reference] as const))('%s exists, with the titles quoted', (_, reference) => {
    expect(existsSync(join(PROJECT_ROOT, reference.file))).toBe(true);
    expect(reference.titles.filter((title) => !titles(reference.file).some((name) => name.includes(title)))).toEqual([]);
  });
});
