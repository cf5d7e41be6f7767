// `wasm-risk batch` without Redis: books from directories and glob patterns, a book's own failure written
// as its line (the others still answered), and a results file refused when it holds other settings or
// is not a results file at all.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PORTFOLIO, fixture } from '../support/fixtures.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'wasm-risk-batch-cli-'));
  await mkdir(join(directory, 'books'));
  const portfolio = await readFile(EXAMPLE_PORTFOLIO, 'utf8');
  await writeFile(join(directory, 'books', 'a.json'), portfolio);
  await writeFile(join(directory, 'books', 'b.json'), portfolio);
  await writeFile(join(directory, 'books', 'broken.json'), '{"assets": []}');
  await writeFile(join(directory, 'books', 'notes.txt'), 'not a book');
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const lines = async (out: string) => (await readFile(out, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('wasm-risk batch', () => {
  it("answers a directory's books, a broken one with its typed error, and skips them all when run again", async () => {
    const out = join(directory, 'dir.jsonl');
    const first = runCli(['batch', join(directory, 'books'), '--out', out, '--paths', '2000', '--workers', '1']);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/batch: 3 books: 3 run now \(1 failed\), 0 answered before/);
    const answers = await lines(out);
    expect(answers.map((line) => (line.book as string).replace(/.*\//, '')).sort()).toEqual(['a.json', 'b.json', 'broken.json']);
    const broken = answers.find((line) => (line.book as string).endsWith('broken.json'))!;
    expect(broken.error).toMatchObject({ code: 'ERR_INVALID_INPUT' });
    expect(answers.find((line) => (line.book as string).endsWith('a.json'))!.result).toMatchObject({ method: 'monte-carlo', paths: 2000 });

    const again = runCli(['batch', join(directory, 'books'), '--out', out, '--paths', '2000', '--workers', '1']);
    // The book that failed the first time is still a failure of the batch, not hidden among the answered.
    expect(again.stderr).toMatch(/batch: 3 books: 0 run now \(0 failed\), 3 answered before \(1 failed\), in /);
    expect(await lines(out)).toHaveLength(3);
  });

  it('never takes its own results file for a book, though it is among them', async () => {
    const books = join(directory, 'books-and-results');
    await mkdir(books);
    await writeFile(join(books, 'a.json'), await readFile(EXAMPLE_PORTFOLIO, 'utf8'));
    const out = join(books, 'results.json');
    for (const run of [1, 2]) {
      const batch = runCli(['batch', books, '--out', out, '--paths', '2000', '--workers', '1']);
      expect(batch.status).toBe(0);
      expect(batch.stderr).toMatch(run === 1 ? /batch: 1 books: 1 run now \(0 failed\)/ : /batch: 1 books: 0 run now \(0 failed\), 1 answered before/);
    }
    expect((await lines(out)).map((line) => (line.book as string).replace(/.*\//, ''))).toEqual(['a.json']);
  });

  it('takes glob patterns', async () => {
    const out = join(directory, 'glob.jsonl');
    const run = runCli(['batch', join(directory, 'books', '[ab].json'), '--out', out, '--paths', '2000', '--workers', '1']);
    expect(run.status).toBe(0);
    expect((await lines(out)).map((line) => (line.book as string).replace(/.*\//, ''))).toEqual(expect.arrayContaining(['a.json', 'b.json']));
    expectOneLineFailure(runCli(['batch', join(directory, 'books', '*.csv'), '--out', out]), 2, /^wasm-risk: ERR_INVALID_INPUT: books: .*no portfolio file matches/);
  });

  it('refuses to resume into a file of other settings, or into a file that is not a results file', async () => {
    const out = join(directory, 'settings.jsonl');
    expect(runCli(['batch', join(directory, 'books', 'a.json'), '--out', out, '--paths', '2000', '--workers', '1']).status).toBe(0);
    expectOneLineFailure(
      runCli(['batch', join(directory, 'books'), '--out', out, '--paths', '3000', '--workers', '1']),
      2,
      /^wasm-risk: ERR_INVALID_INPUT: --out: .* line 1 was run with other settings/,
    );
    const foreign = join(directory, 'foreign.jsonl');
    await writeFile(foreign, '{"hello": "world"}\n');
    expectOneLineFailure(runCli(['batch', join(directory, 'books'), '--out', foreign, '--workers', '1']), 2, /^wasm-risk: ERR_INVALID_INPUT: --out: .* line 1 is not a batch result/);
    expect(await readFile(foreign, 'utf8')).toBe('{"hello": "world"}\n');
  });
});

describe('wasm-risk batch stopped by a deadline', () => {
  it('says that its books in flight share the workers, what to change, and that a rerun resumes', () => {
    const out = join(directory, 'deadline.jsonl');
    const books = [join(directory, 'books', 'a.json'), join(directory, 'books', 'b.json')];
    // A component that never returns: the book that runs passes its deadline, the other waits past it.
    const run = runCli(['batch', ...books, '--component', fixture('infinite-loop'), '--out', out, '--paths', '1000', '--workers', '1', '--concurrency', '2', '--timeout-ms', '300']);
    expectOneLineFailure(run, 4, /^wasm-risk: ERR_(QUEUE_)?TIMEOUT: .*; the batch's --timeout-ms counts each book's wait for the workers, which its 2 books in flight share: lower --concurrency \(at 1, a book past its deadline is answered with ERR_TIMEOUT\) or raise --timeout-ms, then run the same command again to resume$/);
  });

  it('with one book at a time, answers a book past its deadline with ERR_TIMEOUT and goes on to the next', async () => {
    const out = join(directory, 'deadline-alone.jsonl');
    const books = [join(directory, 'books', 'a.json'), join(directory, 'books', 'b.json')];
    // The deadline is the book's own: nothing else held the worker. The batch stopped at the first book, and
    // every rerun stopped at it again, so the batch could never finish.
    const run = runCli(['batch', ...books, '--component', fixture('infinite-loop'), '--out', out, '--paths', '1000', '--workers', '1', '--concurrency', '1', '--timeout-ms', '300']);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/batch: 2 books: 2 run now \(2 failed\), 0 answered before \(0 failed\)/);
    expect((await lines(out)).map((line) => (line.error as { code: string }).code)).toEqual(['ERR_TIMEOUT', 'ERR_TIMEOUT']);
  });
});

describe('wasm-risk batch --out', () => {
  it('refuses at once, naming the file, a results file whose folder is missing or is a file', async () => {
    const book = join(directory, 'books', 'a.json');
    const file = join(directory, 'a-file');
    await writeFile(file, '');
    for (const [out, problem] of [
      [join(directory, 'missing', 'out.jsonl'), 'ENOENT'],
      [join(file, 'out.jsonl'), 'is not a directory'],
    ] as const) {
      const started = Date.now();
      expectOneLineFailure(runCli(['batch', book, '--out', out, '--paths', '2000', '--workers', '1']), 2, new RegExp(`^wasm-risk: ERR_INVALID_INPUT: --out: cannot write .*out\\.jsonl: .*${problem}`));
      // Not after the lock's retries (9.2 s on top of the engine's load), and not said to be another batch's.
      expect(Date.now() - started).toBeLessThan(8_000);
    }
  });

  it('leaves alone, and refuses, a file whose last line is no torn result (a one-line JSON file, a book)', async () => {
    const book = join(directory, 'books', 'a.json');
    const oneLine = join(directory, 'one-line.json');
    await writeFile(oneLine, '{"assets": []}');
    expectOneLineFailure(runCli(['batch', book, '--out', oneLine, '--paths', '2000', '--workers', '1']), 2, /^wasm-risk: ERR_INVALID_INPUT: --out: .*one-line\.json ends with text that is no batch result/);
    expect(await readFile(oneLine, 'utf8')).toBe('{"assets": []}');
    const portfolio = JSON.stringify(JSON.parse(await readFile(book, 'utf8')));
    const ownBook = join(directory, 'own-book.json');
    await writeFile(ownBook, portfolio);
    expect(runCli(['batch', ownBook, '--out', ownBook, '--paths', '2000', '--workers', '1']).status).toBe(2);
    expect(await readFile(ownBook, 'utf8')).toBe(portfolio);
  });

  it('refuses a results file that is a directory', async () => {
    const out = join(directory, 'a-directory.jsonl');
    await mkdir(out);
    expectOneLineFailure(runCli(['batch', join(directory, 'books', 'a.json'), '--out', out, '--paths', '2000', '--workers', '1']), 2, /^wasm-risk: ERR_INVALID_INPUT: --out: cannot read .*a-directory\.jsonl: a directory, not a regular file$/);
  });
});
