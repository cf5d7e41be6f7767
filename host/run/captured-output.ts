// A component's stdout and stderr: never the host's own streams (a component must not be able to forge
// the CLI's output), but the host's debug log (`NODE_DEBUG=wasm-risk`), with a size cap per stream,
// line by line and escaped, so that every log line is the host's prefix then printable text.
import { debuglog } from 'node:util';
import { clocks, io } from '@bytecodealliance/preview2-shim';
import { terminalText } from '../report/terminal-text.js';

export type ComponentStream = 'stdout' | 'stderr';
/** Receives each line a component writes, decoded as UTF-8 and escaped (`terminalText`). */
export type ComponentLogger = (stream: ComponentStream, text: string) => void;

export const DEFAULT_OUTPUT_LIMIT_BYTES = 64 * 1024;
/** What `check-write` permits per write: the stream never pushes back, it drops past the cap. */
const WRITE_PERMIT = 1n << 20n;

const debug = debuglog('wasm-risk');
export const hostDebugLog: ComponentLogger = (stream, text) => debug('component %s: %s', stream, text);

/** The shim's output-stream class: its declared constructor is private, but the glue only checks `instanceof`. */
const ShimOutputStream = io.streams.OutputStream as unknown as new () => object;

/**
 * An output stream (a `wasi:io/streams` output-stream, so the glue accepts it as one) that hands what
 * it is given to the logger, one line at a time, until `limitBytes` have passed, then says once that
 * the rest is dropped.
 */
export class CapturedOutputStream extends ShimOutputStream {
  private written = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly stream: ComponentStream,
    private readonly limitBytes: number,
    private readonly log: ComponentLogger,
  ) {
    super();
  }

  checkWrite(): bigint {
    return WRITE_PERMIT;
  }

  write(contents: Uint8Array): void {
    const room = Math.max(0, this.limitBytes - this.written);
    // `stream: true` keeps a character split across two writes whole.
    if (room > 0) {
      const text = this.decoder.decode(contents.subarray(0, room), { stream: true }).replace(/\n$/, '');
      for (const line of text.split('\n')) this.log(this.stream, terminalText(line));
    }
    if (room < contents.length && this.written <= this.limitBytes) {
      this.log(this.stream, `[output beyond ${this.limitBytes} bytes dropped]`);
    }
    this.written += contents.length;
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  writeZeroes(length: bigint): void {
    this.write(new Uint8Array(Number(length < WRITE_PERMIT ? length : WRITE_PERMIT)));
  }

  blockingWriteZeroesAndFlush(length: bigint): void {
    this.writeZeroes(length);
  }

  flush(): void {}

  blockingFlush(): void {}

  splice(): bigint {
    throw { tag: 'closed' };
  }

  blockingSplice(): bigint {
    throw { tag: 'closed' };
  }

  /** Always ready: writes never wait. */
  subscribe() {
    return clocks.monotonicClock.subscribeDuration(0n);
  }
}
