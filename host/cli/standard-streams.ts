// What the CLI does when its standard output or error cannot be written: a reader that has gone is no
// failure, any other write error (a full disk, /dev/full, an I/O error) fails the command in one line.
import { InvalidInputError, messageOf, type WasmRiskError } from '../errors.js';

let failure: WasmRiskError | undefined;

/** A reader that has gone (`wasm-risk var ... | head -1`) is no failure of the command: what it did not read
 *  is dropped and the command ends as it would have. A stream that cannot be written otherwise (`> /dev/full`,
 *  a full disk) is `ERR_INVALID_INPUT` naming it, exit 2, as an `--out` that cannot be written is; it was
 *  Node's uncaught exception, a stack trace and exit 1, the code of a refused component. */
export function watchStandardStreams(): void {
  for (const [stream, name] of [
    [process.stdout, 'stdout'],
    [process.stderr, 'stderr'],
  ] as const) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || failure !== undefined) return;
      failure = new InvalidInputError(name, `cannot write: ${error.code ?? messageOf(error)}`);
      if (stream === process.stdout) process.stderr.write(`wasm-risk: ${failure.code}: ${failure.message}\n`);
    });
  }
  // The error is emitted after the write, possibly once the command has set its exit code: decided last.
  process.on('exit', (code) => {
    if (code === 0 && failure !== undefined) process.exitCode = failure.exitCode;
  });
}
