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
 * Pieces up to this many UTF-16 units (keys, tags, numbers, a kept tag section: all but one or two of a span line's
 * ~100 pieces, every piece of a metric line) are joined into one string and written with one `Buffer.write` at the
 * end of the line or before a longer piece; longer ones (prompts, the span message) are written as they are, never
 * copied into a concatenated line that `Buffer.write` would then flatten. A call into `Buffer.write` costs about as
 * much as copying a few hundred characters: in interleaved runs 256 took a third off metric encoding against 32,
 * while 512 made span lines ~6 % slower (their 500-character completions joined too).
 */
const SHORT_PIECE = 256;

/** Where a line is written piece by piece (line-protocol.ts writes a point's line through this). */
export interface LineOut {
  text(s: string): void;
}

/**
 * Lines written as UTF-8, each followed by `\n`, into buffers of at most `maxChunkBytes` (one line longer than that
 * gets a buffer of its own), so no chunk ends inside a line. `take` hands over what was added since the last `take`;
 * the counts describe the same lines.
 *
 * A line is either added whole (`add`) or written in pieces between `beginLine` and `endLine` (`abortLine` drops
 * it): long pieces go straight into the buffer, so a line never exists as one (concatenated, then flattened) string.
 * A line that outgrows the rest of its buffer moves to a new one, so lines never span two buffers.
 */
export class LineBuffers implements LineOut {
  /** Lines added since the last `take`. */
  lines = 0;
  /** Their bytes, newlines included. */
  bytes = 0;
  private readonly full: Buffer[] = [];
  /** Allocated on the first line, so a batch with nothing to write allocates nothing. */
  private buf = NO_BYTES;
  /** Where the lines not yet taken start in `buf`, and where the next byte goes. */
  private start = 0;
  private used = 0;
  /** Where the line being written (or the last one ended) starts in `buf`. */
  private lineStart = 0;
  /** Short pieces of the line not yet written: joined first, then written in one call. */
  private pending = '';

  constructor(private readonly maxChunkBytes = MAX_CHUNK_BYTES) {}

  add(line: string): void {
    this.beginLine();
    this.text(line);
    this.endLine();
  }

  beginLine(): void {
    // A buffer grown past the chunk size holds one long line only: the next line starts a new buffer.
    if (this.buf.length > this.maxChunkBytes) {
      this.seal();
      this.buf = NO_BYTES;
      this.start = this.used = 0;
    }
    this.lineStart = this.used;
  }

  /** Appends `s` to the line being written. */
  text(s: string): void {
    if (s.length <= SHORT_PIECE) {
      this.pending += s;
      return;
    }
    if (this.pending !== '') this.write(this.pending);
    this.pending = '';
    this.write(s);
  }

  private write(s: string): void {
    // Room for the newline too, so that endLine never has to move the line.
    const room = this.buf.length - this.used;
    if (s.length * 3 + 1 > room) {
      const bytes = Buffer.byteLength(s) + 1;
      if (bytes > room) this.moveLine(bytes);
    }
    this.used += this.buf.write(s, this.used);
  }

  endLine(): void {
    if (this.pending !== '') this.write(this.pending);
    this.pending = '';
    this.buf[this.used++] = 0x0a;
    this.bytes += this.used - this.lineStart;
    this.lines++;
  }

  /** Drops what was written of the current line (a point that turned out not to be encodable). */
  abortLine(): void {
    this.pending = '';
    this.used = this.lineStart;
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

  /**
   * Like `take`, but the last line ended stays for the next `take` (as its first line): for splitting lines into
   * requests of a bounded size once a line turns out to overflow one. Needs at least two lines.
   */
  takeAllButLast(): Buffer[] {
    const lastBytes = this.used - this.lineStart;
    if (this.lines < 2) throw new Error('LineBuffers.takeAllButLast: fewer than two lines');
    if (this.lineStart > this.start) this.full.push(this.buf.subarray(this.start, this.lineStart));
    this.start = this.lineStart;
    const taken = this.full.splice(0);
    this.lines = 1;
    this.bytes = lastBytes;
    return taken;
  }

  private seal(): void {
    if (this.used > this.start) this.full.push(this.buf.subarray(this.start, this.used));
  }

  /**
   * The line begun so far, and room for `more` bytes after it, in a new buffer: the lines before it are sealed
   * where they end. A line that will not fit a chunk gets a buffer of its own, grown as it needs.
   */
  private moveLine(more: number): void {
    const old = this.buf;
    const partial = this.used - this.lineStart;
    const need = partial + more;
    const size = need <= this.maxChunkBytes ? this.maxChunkBytes : Math.max(need, partial === 0 ? 0 : 2 * need);
    if (this.lineStart > this.start) this.full.push(old.subarray(this.start, this.lineStart));
    this.buf = Buffer.allocUnsafe(size);
    old.copy(this.buf, 0, this.lineStart, this.used);
    this.start = this.lineStart = 0;
    this.used = partial;
  }
}
