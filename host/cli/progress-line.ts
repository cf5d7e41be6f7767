// The progress line a command draws on a terminal (run-progress.ts, batch-progress.ts), and the lines printed
// while it is drawn (a warning: no results key, an unsafe cache): each is written on the cleared progress
// line and ends with its newline, and the bar is drawn again below it, instead of the warning being appended
// to the bar's text and the bar then drawn over it.
const drawnOn = new Set<NodeJS.WritableStream>();

/** A progress line is drawn on `stream` from now on. */
export function progressShown(stream: NodeJS.WritableStream): void {
  drawnOn.add(stream);
}

/** The progress line on `stream` has ended (its own newline written). */
export function progressEnded(stream: NodeJS.WritableStream): void {
  drawnOn.delete(stream);
}

/** Writes `line` (which ends in a newline) on `stream`, in place of the progress line drawn there, if any. */
export function writeAboveProgress(stream: NodeJS.WritableStream, line: string): void {
  // CR, then ECMA-48's erase-in-line (whole line): the bar's text is gone before the line is written. Then the
  // cursor's place is saved again (DEC's save cursor): cli-progress saved it where the bar started and goes
  // back there when it stops, which would now be the warning's line (the text after the run overwrote the bar).
  stream.write(drawnOn.has(stream) ? `\r\x1b[2K${line}\x1b7` : line);
}
