// A component's stdin, where its policy grants `wasi:cli/stdin`: a stream already at its end. A runtime
// that reads its standard input at start (or a plugin that tries) sees end-of-stream, not a trap and
// never the host's own stdin.
import { clocks, io } from '@bytecodealliance/preview2-shim';

/** The shim's input-stream class: its declared constructor is private, but the glue only checks `instanceof`. */
const ShimInputStream = io.streams.InputStream as unknown as new () => object;

/** `stream-error::closed`, as the glue lowers a thrown error of a result-returning method. */
const CLOSED = { tag: 'closed' } as const;

export class EmptyInputStream extends ShimInputStream {
  read(): Uint8Array {
    throw CLOSED;
  }

  blockingRead(): Uint8Array {
    throw CLOSED;
  }

  skip(): bigint {
    throw CLOSED;
  }

  blockingSkip(): bigint {
    throw CLOSED;
  }

  /** Always ready: there is nothing to wait for. */
  subscribe() {
    return clocks.monotonicClock.subscribeDuration(0n);
  }
}
