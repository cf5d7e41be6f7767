// The progress line of `wasm-risk var` on a terminal, frame by frame on a fake clock: shown from the
// start, then paths, rate, elapsed time and an ETA that counts down between chunks.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunProgress } from '../../host/cli/run-progress.js';
import { BatchProgress } from '../../host/cli/batch-progress.js';
import { writeAboveProgress } from '../../host/cli/progress-line.js';

/** A stream that says it is a terminal, and the text of the last frame drawn on it. */
function fakeTerminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const frames = () => written.split('\x1b[1G').map((frame) => frame.replace(/\x1b\[0K/, ''));
  return { stream, lastFrame: () => frames().at(-1)!, written: () => written };
}

describe('RunProgress', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws the line at once, before any chunk has ended, and moves the elapsed time', async () => {
    const terminal = fakeTerminal();
    const progress = new RunProgress(400_000, terminal.stream);
    await vi.advanceTimersByTimeAsync(0);
    expect(terminal.lastFrame()).toBe('simulating [------------------------------] 0% 0/400,000 paths | - paths/s | elapsed 0s | ETA -');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(terminal.lastFrame()).toMatch(/ 0\/400,000 paths \| - paths\/s \| elapsed 3s \| ETA -$/);
    progress.stop();
  });

  it('shows the rate at the last chunk, and counts the ETA down until the next', async () => {
    const terminal = fakeTerminal();
    const progress = new RunProgress(400_000, terminal.stream);
    await vi.advanceTimersByTimeAsync(2_000);
    progress.update(100_000);
    await vi.advanceTimersByTimeAsync(200);
    // 100,000 paths in 2 s: 50,000 paths/s, and 300,000 more take 6 s.
    expect(terminal.lastFrame()).toBe('simulating [========----------------------] 25% 100,000/400,000 paths | 50,000 paths/s | elapsed 2s | ETA 6s');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(terminal.lastFrame()).toMatch(/ 100,000\/400,000 paths \| 50,000 paths\/s \| elapsed 4s \| ETA 4s$/);
    progress.update(400_000);
    progress.stop();
    expect(terminal.lastFrame()).toMatch(/100% 400,000\/400,000 paths .* ETA 0s/);
  });

  it('ends its line when stopped, so the next text starts on a fresh one', () => {
    const terminal = fakeTerminal();
    const progress = new RunProgress(10, terminal.stream);
    progress.stop();
    expect(terminal.written()).toMatch(/\n$/);
  });
});

describe('a line printed while a progress line is drawn (a warning)', () => {
  it('is written on the cleared progress line, not appended to the bar; once the bar has ended, as it is', () => {
    const terminal = fakeTerminal();
    const progress = new RunProgress(10, terminal.stream);
    writeAboveProgress(terminal.stream, 'wasm-risk: warning: W: no results key\n');
    // The bar's text, then a carriage return and an erase of the whole line, then the warning on its own line,
    // and the cursor saved where the bar goes on (cli-progress returns there when it stops).
    expect(terminal.written()).toMatch(/^[^\n]*simulating [^\n]*\r\x1b\[2Kwasm-risk: warning: W: no results key\n\x1b7$/);
    // The bar is drawn again below it, though nothing changed.
    progress.stop();
    expect(terminal.written()).toMatch(/no results key\n\x1b7[^\n]*simulating \[/);
    const before = terminal.written().length;
    writeAboveProgress(terminal.stream, 'after\n');
    expect(terminal.written().slice(before)).toBe('after\n');
  });

  it('is cleared above the batch line too', () => {
    const terminal = fakeTerminal();
    const progress = new BatchProgress(4, 0, 0, terminal.stream);
    writeAboveProgress(terminal.stream, 'warning\n');
    expect(terminal.written()).toMatch(/\r\x1b\[2Kwarning\n\x1b7$/);
    progress.stop();
  });
});
