// Which portfolio files ("books") a `wasm-risk batch` runs: each argument a file, a directory (its *.json
// files) or a glob pattern (tinyglobby), the union named the same way on every run (relative to the
// working directory, `/`-separated, sorted), since a book's name is its key in the results file.
import { stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { InvalidInputError } from '../errors.js';
import { isErrno } from '../files/input-files.js';

/** Books in one batch at most: each is a line of the results file, read whole on resume. */
export const MAX_BOOKS = 100_000;

/** The books `specs` name, less the batch's own results file: a directory or pattern of books may hold it
 *  (`--out books/results.json`), and a resumed batch would read it as a book. */
export async function bookFiles(specs: readonly string[], resultsFile: string): Promise<string[]> {
  const books = new Set<string>();
  const results = bookName(resultsFile);
  for (const spec of specs) {
    for (const file of await filesOf(spec)) if (bookName(file) !== results) books.add(bookName(file));
    if (books.size > MAX_BOOKS) throw new InvalidInputError('books', `more than ${MAX_BOOKS} portfolio files; split the batch`);
  }
  return [...books].sort();
}

async function filesOf(spec: string): Promise<string[]> {
  const kind = await stat(spec).then(
    (stats) => (stats.isDirectory() ? 'directory' : 'file'),
    (error: unknown) => {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return 'absent';
      throw new InvalidInputError('books', `cannot read ${spec}: ${isErrno(error) ? error.code : String(error)}`);
    },
  );
  if (kind === 'file') return [spec];
  // A directory's own *.json files; a pattern says more (`'books/**/*.json'`).
  const matches = kind === 'directory'
    ? (await glob('*.json', { cwd: spec, onlyFiles: true, expandDirectories: false })).map((name) => join(spec, name))
    : isDynamicPattern(spec)
      ? await glob(spec, { onlyFiles: true, expandDirectories: false })
      : undefined;
  if (matches === undefined) throw new InvalidInputError('books', `${spec}: no such file, directory or pattern`);
  if (matches.length === 0) throw new InvalidInputError('books', `${spec}: no portfolio file matches`);
  return matches;
}

function bookName(file: string): string {
  return relative(process.cwd(), resolve(file)).split(sep).join('/');
}
