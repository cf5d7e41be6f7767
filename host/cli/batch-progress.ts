// The progress line of `wasm-risk batch` on a terminal: books answered of the batch (those answered by an
// earlier, interrupted run count from the start, and their failures too), how many failed, elapsed time and
// ETA (cli-progress).
import { SingleBar } from 'cli-progress';
import { progressEnded, progressShown } from './progress-line.js';

export class BatchProgress {
  private readonly bar: SingleBar;
  private failed: number;

  constructor(
    totalBooks: number,
    answeredBefore: number,
    failedBefore: number,
    private readonly stream: NodeJS.WritableStream,
  ) {
    this.failed = failedBefore;
    this.bar = new SingleBar({
      stream,
      barsize: 30,
      // Drawn again on every frame, so a line written in its place (progress-line.ts) is followed by it.
      forceRedraw: true,
      barCompleteChar: '=',
      barIncompleteChar: '-',
      format: 'books [{bar}] {percentage}% {value}/{total} | {failed} failed | elapsed {duration_formatted} | ETA {eta_formatted}',
    });
    this.bar.start(totalBooks, answeredBefore, { failed: failedBefore });
    progressShown(stream);
  }

  readonly answered = (failed: boolean): void => {
    if (failed) this.failed += 1;
    this.bar.increment(1, { failed: this.failed });
  };

  /** Ends the line, so that what is printed next starts on a fresh one. */
  stop(): void {
    this.bar.stop();
    progressEnded(this.stream);
  }
}
