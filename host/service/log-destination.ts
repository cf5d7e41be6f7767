// Where `serve` writes its log lines by default: stdout, in batches (sonic-boom), written asynchronously
// while it runs and synchronously when the process exits. A reader of that log which goes away (a log
// collector that died: EPIPE) or stops reading must cost the server its log, never its exit or its memory:
// pino's own destination (sonic-boom 4) retried a failed write at exit every 100 ms for ever, so a server
// whose log reader had gone never ended after SIGTERM.
import sonicBoom, { type SonicBoomOpts } from 'sonic-boom';

// A CommonJS module: its class is a property of what it exports (Node finds no named export in it).
const { SonicBoom } = sonicBoom;

/** Lines are written once this many bytes of them wait (about 16 lines)... */
const WRITE_BYTES = 4_096;
/** ...or once the oldest has waited this long: a line is never later than this on a quiet server. */
const FLUSH_MS = 1_000;
/** Lines waiting for a reader that does not take them: past this, new lines are dropped, not held. */
const MAX_WAITING_BYTES = 8 * 2 ** 20;
/** A write the reader refuses (its pipe full) is retried every 100 ms; this many in a row (30 s) and the
 *  reader is taken as gone. */
const MAX_WRITE_RETRIES = 300;

export interface LogDestination {
  write(line: string): void;
  /** Resolves once what was written has reached the reader, or the log has failed (it never rejects). */
  flush(): Promise<void>;
}

/** The log on file descriptor `fd`; once a write fails, the log stops, with a warning (stderr) saying why. */
export function logDestination(fd: number): LogDestination {
  // maxWriteRetries (sonic-boom 5's README) is not in its types yet.
  const options: SonicBoomOpts & { maxWriteRetries: number } = { fd, sync: false, minLength: WRITE_BYTES, periodicFlush: FLUSH_MS, maxLength: MAX_WAITING_BYTES, maxWriteRetries: MAX_WRITE_RETRIES };
  const stream = new SonicBoom(options);
  let failed = false;
  let dropped = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    process.emitWarning(`the log on file descriptor ${fd} cannot be written (${error.code ?? error.message}): no more log lines`);
  });
  stream.on('drop', () => {
    if (dropped) return;
    dropped = true;
    process.emitWarning(`the log on file descriptor ${fd} is not read fast enough: lines are dropped`);
  });
  // The lines still waiting when the process exits (a crash included): written at once, or given up on.
  process.once('exit', () => {
    if (failed) return;
    try {
      stream.flushSync();
    } catch {
      // The reader has gone or does not read: nothing more can be done for these lines.
    }
  });
  return {
    write(line) {
      if (!failed) stream.write(line);
    },
    flush() {
      if (failed) return Promise.resolve();
      return new Promise((resolve) => stream.flush(() => resolve()));
    },
  };
}
