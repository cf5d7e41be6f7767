// `var --pnl-out`: the file's formats, exact round trip, and a file that appears whole or not at all.
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pnlOutputFrom, writePnl } from '../../host/cli/pnl-output.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-pnl-out-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Doubles whose shortest decimals are awkward: -0, subnormals, the extremes, thirds, huge and tiny. */
const AWKWARD = Float64Array.from([-0, 0, 5e-324, -Number.MIN_VALUE, Number.MAX_VALUE, -1 / 3, 0.1 + 0.2, 1e21, -123456.789e-300, 2 ** 53 + 2]);

function readCsv(path: string): { header: string; paths: number[]; pnl: number[] } {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const rows = lines.map((line) => line.split(','));
  return { header: header!, paths: rows.map(([path]) => Number(path)), pnl: rows.map(([, pnl]) => Number(pnl)) };
}

describe('the P&L file', () => {
  it('takes its format from the extension unless --pnl-format says otherwise', () => {
    expect(pnlOutputFrom(join(scratch, 'a.csv'), undefined, false).format).toBe('csv');
    expect(pnlOutputFrom(join(scratch, 'a.F64'), undefined, false).format).toBe('f64');
    expect(pnlOutputFrom(join(scratch, 'a.txt'), undefined, false).format).toBe('csv');
    expect(pnlOutputFrom(join(scratch, 'a.bin'), 'f64', false).format).toBe('f64');
  });

  it('writes CSV whose numbers read back as the same doubles, -0 included', async () => {
    const path = join(scratch, 'awkward.csv');
    await writePnl(pnlOutputFrom(path, undefined, false), AWKWARD);
    const csv = readCsv(path);
    expect(csv.header).toBe('path,pnl');
    expect(csv.paths).toEqual([...AWKWARD.keys()]);
    expect(Float64Array.from(csv.pnl)).toEqual(AWKWARD);
    expect(Object.is(csv.pnl[0], -0)).toBe(true);
  });

  it('writes raw little-endian float64, eight bytes a path', async () => {
    const path = join(scratch, 'awkward.f64');
    await writePnl(pnlOutputFrom(path, undefined, false), AWKWARD);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(AWKWARD.length * 8);
    expect(Array.from(AWKWARD, (_, i) => bytes.readDoubleLE(i * 8))).toEqual([...AWKWARD]);
  });

  it('writes more paths than one batch holds, in path order', async () => {
    const pnl = Float64Array.from({ length: 70_000 }, (_, i) => i * 0.5 - 7);
    const path = join(scratch, 'long.csv');
    await writePnl(pnlOutputFrom(path, undefined, false), pnl);
    expect(Float64Array.from(readCsv(path).pnl)).toEqual(pnl);
  });

  it('refuses an existing file without --force, and replaces it with --force', async () => {
    const path = join(scratch, 'existing.csv');
    writeFileSync(path, 'keep me');
    expect(() => pnlOutputFrom(path, undefined, false)).toThrow(/--pnl-out: .*existing\.csv exists; pass --force to overwrite it/);
    await writePnl(pnlOutputFrom(path, undefined, true), AWKWARD);
    expect(readCsv(path).pnl).toHaveLength(AWKWARD.length);
  });

  it('does not replace a file that appeared during the run', async () => {
    const path = join(scratch, 'raced.csv');
    const output = pnlOutputFrom(path, undefined, false);
    writeFileSync(path, 'written meanwhile');
    await expect(writePnl(output, AWKWARD)).rejects.toThrow(/raced\.csv exists/);
    expect(readFileSync(path, 'utf8')).toBe('written meanwhile');
    expect(readdirSync(scratch).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder that does not exist before the run, and leaves nothing behind when a write fails', async () => {
    expect(() => pnlOutputFrom(join(scratch, 'no-such-folder', 'x.csv'), undefined, false)).toThrow(/cannot write .*x\.csv: ENOENT/);
    const output = pnlOutputFrom(join(scratch, 'became-a-folder'), undefined, true);
    mkdirSync(output.path);
    // A folder that appeared during the run: the rename fails after the whole file was written.
    await expect(writePnl(output, AWKWARD)).rejects.toThrow(/--pnl-out: cannot write .*became-a-folder: E/);
    expect(readdirSync(scratch).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder that is a file, before the run, and says so if it became one during the run', async () => {
    const folder = join(scratch, 'folder-then-file');
    writeFileSync(folder, '');
    expect(() => pnlOutputFrom(join(folder, 'x.csv'), undefined, false)).toThrow(/^--pnl-out: cannot write .*folder-then-file\/x\.csv: ENOTDIR$/);
    rmSync(folder);
    mkdirSync(folder);
    const output = pnlOutputFrom(join(folder, 'x.csv'), undefined, false);
    rmSync(folder, { recursive: true });
    writeFileSync(folder, '');
    await expect(writePnl(output, AWKWARD)).rejects.toThrow(/^--pnl-out: cannot write .*folder-then-file\/x\.csv: ENOTDIR$/);
  });

  it('refuses before the run, with or without --force, what is no regular file: the rename would replace it (/dev/null, as root)', () => {
    const folder = join(scratch, 'folder-in-the-way');
    mkdirSync(folder);
    const fifo = join(scratch, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const force of [false, true]) {
      expect(() => pnlOutputFrom(folder, undefined, force)).toThrow(/^--pnl-out: .*folder-in-the-way is a directory, not a regular file; name a file to write the P&L to$/);
      expect(() => pnlOutputFrom(fifo, undefined, force)).toThrow(/^--pnl-out: .*a-fifo is a FIFO \(named pipe\), not a regular file/);
    }
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('replaces, with --force, the file a symbolic link leads to, not the link', async () => {
    const real = join(scratch, 'real.csv');
    writeFileSync(real, 'old');
    const link = join(scratch, 'link.csv');
    symlinkSync(real, link);
    await writePnl(pnlOutputFrom(link, undefined, true), AWKWARD);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readCsv(real).pnl).toHaveLength(AWKWARD.length);
  });

  it("refuses the run's own inputs, even with --force, through another name too", () => {
    const portfolio = join(scratch, 'book.json');
    writeFileSync(portfolio, '{}');
    symlinkSync(portfolio, join(scratch, 'book-link.json'));
    const inputs = [{ label: 'portfolio', path: portfolio }];
    for (const [path, force] of [[portfolio, true], [join(scratch, 'book-link.json'), true], [portfolio, false]] as const) {
      expect(() => pnlOutputFrom(path, undefined, force, inputs)).toThrow(/^--pnl-out: .*book(-link)?\.json is the portfolio this run reads; write the P&L to another file$/);
    }
  });

  it("refuses, even with --force, the file the run prints to, under any name (/dev/stdout redirected to a file)", () => {
    const printed = join(scratch, 'printed.txt');
    writeFileSync(printed, 'the table');
    const fd = openSync(printed, 'a');
    try {
      const outputs = [{ label: 'standard output', fd }];
      for (const [path, force] of [[printed, true], [`/proc/self/fd/${fd}`, true], [printed, false]] as const) {
        expect(() => pnlOutputFrom(path, undefined, force, [], outputs)).toThrow(/^--pnl-out: .*(printed\.txt|fd\/\d+) is the standard output this run prints to; write the P&L to another file$/);
      }
      // A descriptor that is not open is no file to protect.
      expect(pnlOutputFrom(printed, undefined, true, [], [{ label: 'standard error', fd: 1_000_000 }]).overwrite).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(printed, 'utf8')).toBe('the table');
  });
});
