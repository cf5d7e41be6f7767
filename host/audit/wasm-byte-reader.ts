// The primitives of the WebAssembly binary format (bytes, unsigned LEB128 integers) over a range of a
// buffer, for the readers of core modules (memory-limit.ts) and of components (audit/component-binary.ts).
// What malformed input means is the caller's to say: it supplies the error to throw.

export type MalformedInput = (problem: 'truncated' | 'malformed LEB128', at: number) => Error;

export class WasmByteReader {
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
    readonly end: number,
    private readonly malformed: MalformedInput,
  ) {}

  byte(): number {
    if (this.offset >= this.end) throw this.malformed('truncated', this.offset);
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    const start = this.offset;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw this.malformed('malformed LEB128', start);
  }

  skip(length: number): void {
    if (length > this.end - this.offset) throw this.malformed('truncated', this.offset);
    this.offset += length;
  }
}
