// The progress line of a Monte Carlo run on a terminal: paths done of the total, rate, elapsed time and
// ETA, drawn from the moment the run starts. The engine reports progress only when a chunk of paths
// ends, so the line is redrawn on a timer in between: elapsed time moves and the ETA counts down.
import { SingleBar, type Params } from 'cli-progress';
import { progressEnded, progressShown } from './progress-line.js';

const count = new Intl.NumberFormat('en-US');
const BAR_CELLS = 30;

/** `42s`, `3m05s`, `1h02m`. */
function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${pad(Math.floor(seconds / 60) % 60)}m`;
}

export class RunProgress {
  private readonly bar: SingleBar;
  /** When the last chunk ended (ms since the epoch, as cli-progress counts), or null before the first. */
  private lastUpdateAt: number | null = null;

  /** Draws the line at once, at 0 of `totalPaths`. */
  constructor(
    totalPaths: number,
    private readonly stream: NodeJS.WritableStream,
  ) {
    // forceRedraw: drawn again on every frame, so a line written in its place (progress-line.ts) is followed by it.
    this.bar = new SingleBar({ stream, forceRedraw: true, format: (_options, params) => this.line(params) });
    this.bar.start(totalPaths, 0);
    progressShown(stream);
  }

  /** The engine's `onProgress`. */
  readonly update = (donePaths: number): void => {
    this.lastUpdateAt = Date.now();
    this.bar.update(donePaths);
  };

  /** Draws the last state and ends the line, so that whatever is printed next (a result, or an error
   *  after a Ctrl-C) starts on a fresh line. */
  stop(): void {
    this.bar.stop();
    progressEnded(this.stream);
  }

  private line({ progress, value, total, startTime, stopTime }: Params): string {
    const now = stopTime ?? Date.now();
    let rate = '-';
    let eta = '-';
    if (this.lastUpdateAt !== null && value > 0) {
      // Paths arrive a chunk at a time: the rate is the one measured at the last chunk's end, and the
      // ETA counts down from what that rate predicted.
      const measuredMs = Math.max(1, this.lastUpdateAt - startTime);
      rate = count.format(Math.round((value / measuredMs) * 1000));
      eta = duration(Math.max(0, (measuredMs * (total - value)) / value - (now - this.lastUpdateAt)));
    }
    const done = Math.round(progress * BAR_CELLS);
    return (
      `simulating [${'='.repeat(done)}${'-'.repeat(BAR_CELLS - done)}] ${Math.floor(progress * 100)}% ` +
      `${count.format(value)}/${count.format(total)} paths | ${rate} paths/s | elapsed ${duration(now - startTime)} | ETA ${eta}`
    );
  }
}
