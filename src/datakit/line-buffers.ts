/**
 * UTF-8 buffers of whole lines, at most 64 KiB each: how batches are written (sinks) and encoded (line protocol).
 * Never one text or one buffer of a whole batch, whose first touch costs page faults on the VMs we run on (issue 8).
 */

/**
 * Output meant for writing stays in pieces of this many bytes or fewer: on the VMs we run on, one text or buffer of
 * 128 KiB or more per batch costs page faults on first touch (~16 µs each, issue 8) and a copy of the whole batch
 * when its string is flattened; 64 KiB buffers are reused by the allocator and filled straight from each line.
 */
export const MAX_CHUNK_BYTES = 64 * 1024;

const NO_BYTES = Buffer.alloc(0);

/**
 * Whether `line` and its newline take at most `room` bytes of UTF-8. A UTF-16 unit is at most 3 bytes, so a line is
 * only measured when it might not fit.
 */
export const lineFits = (line: string, room: number): boolean =>
  line.length * 3 + 1 <= room || Buffer.byteLength(line) + 1 <= room;

/**
 * Lines written as UTF-8, each followed by `\n`, into buffers of at most `maxChunkBytes` (one line longer than that
 * gets a buffer of its own), so no chunk ends inside a line. `take` hands over what was added since the last `take`;
 * the counts describe the same lines. Each line is encoded once, straight into its buffer.
 */
export class LineBuffers {
  /** Lines added since the last `take`. */
  lines = 0;
  /** Their bytes, newlines included. */
  bytes = 0;
  private readonly full: Buffer[] = [];
  /** Allocated on the first line, so a batch with nothing to write allocates nothing. */
  private buf = NO_BYTES;
  /** Where the lines not yet taken start in `buf`, and where the next one goes. */
  private start = 0;
  private used = 0;

  constructor(private readonly maxChunkBytes = MAX_CHUNK_BYTES) {}

  add(line: string): void {
    if (!lineFits(line, this.buf.length - this.used)) {
      this.seal();
      this.buf = Buffer.allocUnsafe(Math.max(this.maxChunkBytes, Buffer.byteLength(line) + 1));
      this.start = 0;
      this.used = 0;
    }
    let end = this.used + this.buf.write(line, this.used);
    this.buf[end++] = 0x0a;
    this.bytes += end - this.used;
    this.used = end;
    this.lines++;
  }

  /** The buffers of the lines added since the last `take`; the counts start again from 0. */
  take(): Buffer[] {
    this.seal();
    this.start = this.used; // the rest of the current buffer serves the next lines
    const taken = this.full.splice(0);
    this.lines = 0;
    this.bytes = 0;
    return taken;
  }

  private seal(): void {
    if (this.used > this.start) this.full.push(this.buf.subarray(this.start, this.used));
  }
}
