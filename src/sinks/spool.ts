/**
 * The on-disk spool of a network sink (`spool_dir`): what was accepted but not yet delivered survives a restart.
 *
 * Layout: append-only segment files `<seq>.spool` (≤ 8 MiB each, smaller for small caps) and `ack.json`, the cursor
 * of the first record not yet delivered (rewritten through a temp file + rename after every delivered record).
 * A record is `magic, header length, body length, crc32(header + body)` (4 × uint32 BE), a JSON header
 * (category, route, headers, items) and the body. Appends are fsync'ed before `append` resolves (concurrent
 * appends share one write + fsync). A torn or corrupt tail (crash mid-write) is cut off at startup and logged.
 *
 * Guarantees: exactly once across a clean restart (the send in flight at shutdown is cancelled and sent again, so a
 * backend that had already taken it sees it twice only if it answered after the cancel); at least once after a
 * crash between "backend accepted" and "ack.json renamed". Past `spool_max_bytes` whole oldest segments are
 * deleted, their undelivered points counted and logged.
 */
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Category } from '../datakit/point.js';
import type { EnvelopeStore } from './queue.js';
import type { SinkLogger } from './sink.js';
import type { Envelope } from './transport.js';

const MAGIC = 0x444b5331; // "DKS1"
const PREFIX_BYTES = 16;
const MAX_SEGMENT_BYTES = 8 * 1024 * 1024;
/** Segments are at most a quarter of the cap, so eviction drops a bounded share of it at a time. */
const SEGMENTS_PER_CAP = 4;
const SEGMENT_NAME = /^(\d+)\.spool$/;
const ACK_FILE = 'ack.json';

interface RecordHeader {
  category: Category;
  route: string;
  headers: Record<string, string>;
  items: number;
}

interface Segment {
  seq: number;
  /** Valid bytes (records fully written). */
  bytes: number;
  items: number;
}

/** The record the delivery loop is working on: where it is and where the next one starts. */
interface Head {
  seq: number;
  offset: number;
  next: number;
  envelope: Envelope;
}

interface PendingAppend {
  record: Buffer;
  items: number;
  done: () => void;
  failed: (err: unknown) => void;
}

export interface SpoolOptions {
  /** The sink's name, for log lines. */
  name: string;
  logger: SinkLogger;
  /** Undelivered points deleted to stay under the cap. */
  onEvicted(items: number): void;
}

const segmentFile = (seq: number): string => `${seq}.spool`;

function encodeRecord(envelope: Envelope): Buffer {
  const header: RecordHeader = { category: envelope.category, route: envelope.route, headers: envelope.headers, items: envelope.items };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const record = Buffer.allocUnsafe(PREFIX_BYTES + headerBytes.length + envelope.body.length);
  record.writeUInt32BE(MAGIC, 0);
  record.writeUInt32BE(headerBytes.length, 4);
  record.writeUInt32BE(envelope.body.length, 8);
  headerBytes.copy(record, PREFIX_BYTES);
  record.set(envelope.body, PREFIX_BYTES + headerBytes.length);
  record.writeUInt32BE(crc32(record.subarray(PREFIX_BYTES)), 12);
  return record;
}

/** Lengths from a record prefix, or null if it is not one. */
function readPrefix(prefix: Buffer): { headerLength: number; bodyLength: number; crc: number } | null {
  if (prefix.length < PREFIX_BYTES || prefix.readUInt32BE(0) !== MAGIC) return null;
  return { headerLength: prefix.readUInt32BE(4), bodyLength: prefix.readUInt32BE(8), crc: prefix.readUInt32BE(12) };
}

/** The record at `offset` of a segment's bytes, or null when it is torn or corrupt. */
function decodeRecord(data: Buffer, offset: number): { envelope: Envelope; next: number } | null {
  const prefix = readPrefix(data.subarray(offset, offset + PREFIX_BYTES));
  if (prefix === null) return null;
  const next = offset + PREFIX_BYTES + prefix.headerLength + prefix.bodyLength;
  if (next > data.length) return null;
  const content = data.subarray(offset + PREFIX_BYTES, next);
  if (crc32(content) !== prefix.crc) return null;
  try {
    const header = JSON.parse(content.subarray(0, prefix.headerLength).toString('utf8')) as RecordHeader;
    const body = content.subarray(prefix.headerLength);
    return { envelope: { ...header, body }, next };
  } catch {
    return null;
  }
}

export class Spool implements EnvelopeStore {
  private readonly segmentMaxBytes: number;
  /** Oldest first; the last one is appended to. */
  private segments: Segment[] = [];
  /** Offset of the first undelivered record in `segments[0]`, and the points before it. */
  private cursorOffset = 0;
  private cursorItems = 0;
  private head: Head | undefined;
  private writer: FileHandle | undefined;
  private reader: { seq: number; fh: FileHandle } | undefined;
  private pending: PendingAppend[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly opts: SpoolOptions,
  ) {
    this.segmentMaxBytes = Math.max(1, Math.min(MAX_SEGMENT_BYTES, Math.ceil(maxBytes / SEGMENTS_PER_CAP)));
  }

  get diskBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.bytes;
    return total;
  }

  get pendingBytes(): number {
    return this.diskBytes - this.cursorOffset;
  }

  /** Every record has a prefix, so no pending bytes means no pending record, even one of 0 points. */
  get empty(): boolean {
    return this.pendingBytes === 0;
  }

  get pendingItems(): number {
    let total = -this.cursorItems;
    for (const s of this.segments) total += s.items;
    return total;
  }

  /** Creates the folder, or reads what a previous run left: segments, the ack cursor; cuts torn tails. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const seqs = (await readdir(this.dir))
      .map((f) => SEGMENT_NAME.exec(f))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const ack = await this.readAck();
    for (const seq of seqs) {
      // Fully delivered segments whose deletion a crash interrupted.
      if (ack !== null && seq < ack.segment) await rm(join(this.dir, segmentFile(seq)), { force: true });
      else this.segments.push(await this.scan(seq, ack !== null && seq === ack.segment ? ack.offset : 0));
    }
    const last = this.segments.at(-1);
    if (last === undefined || last.bytes >= this.segmentMaxBytes) this.segments.push({ seq: (last?.seq ?? 0) + 1, bytes: 0, items: 0 });
    this.writer = await open(join(this.dir, segmentFile(this.segments.at(-1)!.seq)), 'a');
    await this.dropDelivered();
    const left = this.pendingItems;
    if (left > 0) this.opts.logger.info(`${this.opts.name}: ${left} undelivered points in the spool ${this.dir} are sent first`);
  }

  private async readAck(): Promise<{ segment: number; offset: number } | null> {
    try {
      const ack = JSON.parse(await readFile(join(this.dir, ACK_FILE), 'utf8')) as { segment: number; offset: number };
      return Number.isSafeInteger(ack.segment) && Number.isSafeInteger(ack.offset) ? ack : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.logger.warn(`${this.opts.name}: spool ${ACK_FILE} unreadable, replaying the whole spool: ${(err as Error).message}`);
      return null;
    }
  }

  /** Counts a segment's records; records before `ackOffset` (in the first segment) are already delivered. */
  private async scan(seq: number, ackOffset: number): Promise<Segment> {
    const path = join(this.dir, segmentFile(seq));
    const data = await readFile(path);
    const segment: Segment = { seq, bytes: 0, items: 0 };
    while (segment.bytes < data.length) {
      const record = decodeRecord(data, segment.bytes);
      if (record === null) {
        this.opts.logger.warn(`${this.opts.name}: spool ${path}: ${data.length - segment.bytes} bytes of a torn or corrupt record at offset ${segment.bytes} are ignored`);
        const fh = await open(path, 'r+');
        await fh.truncate(segment.bytes).finally(() => fh.close());
        break;
      }
      if (this.segments.length === 0 && segment.bytes < ackOffset) {
        this.cursorOffset = record.next;
        this.cursorItems += record.envelope.items;
      }
      segment.items += record.envelope.items;
      segment.bytes = record.next;
    }
    return segment;
  }

  /** Resolves once the envelopes are on disk (fsync'ed); all are queued for the same group commit. */
  async append(envelopes: readonly Envelope[]): Promise<void> {
    const written = envelopes.map(
      (envelope) => new Promise<void>((done, failed) => this.pending.push({ record: encodeRecord(envelope), items: envelope.items, done, failed })),
    );
    this.writing ??= this.writePending().finally(() => (this.writing = undefined));
    await Promise.all(written);
  }

  /** Group commit: whatever was appended while the previous write was on its way goes out in one write + fsync. */
  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.writeRecords(batch);
        for (const p of batch) p.done();
      } catch (err) {
        for (const p of batch) p.failed(err);
      }
    }
  }

  private async writeRecords(batch: readonly PendingAppend[]): Promise<void> {
    let chunk: Buffer[] = [];
    let chunkItems = 0;
    let chunkBytes = 0;
    const commit = async (): Promise<void> => {
      if (chunk.length === 0) return;
      await this.writer!.writev(chunk);
      await this.writer!.datasync();
      const current = this.segments.at(-1)!;
      current.bytes += chunkBytes;
      current.items += chunkItems;
      chunk = [];
      chunkItems = 0;
      chunkBytes = 0;
    };
    for (const p of batch) {
      if (p.record.length > this.maxBytes) {
        this.opts.onEvicted(p.items);
        this.opts.logger.error(`${this.opts.name}: a batch of ${p.items} points (${p.record.length} bytes) is larger than spool_max_bytes (${this.maxBytes}): dropped`);
        continue;
      }
      const current = this.segments.at(-1)!;
      if (current.bytes + chunkBytes > 0 && current.bytes + chunkBytes + p.record.length > this.segmentMaxBytes) {
        await commit();
        await this.roll();
      }
      await this.makeRoom(chunkBytes + p.record.length);
      chunk.push(p.record);
      chunkItems += p.items;
      chunkBytes += p.record.length;
    }
    await commit();
  }

  /** Starts a new segment to append to. */
  private async roll(): Promise<void> {
    const seq = this.segments.at(-1)!.seq + 1;
    const next = await open(join(this.dir, segmentFile(seq)), 'a');
    await this.writer?.close();
    this.writer = next;
    this.segments.push({ seq, bytes: 0, items: 0 });
  }

  /** Deletes the oldest segments until `incoming` more bytes fit under the cap; their undelivered points are counted. */
  private async makeRoom(incoming: number): Promise<void> {
    let evictedItems = 0;
    let evictedSegments = 0;
    while (this.diskBytes + incoming > this.maxBytes && this.segments.length > 1) {
      const oldest = this.segments.shift()!;
      evictedItems += oldest.items - this.cursorItems;
      evictedSegments++;
      this.cursorOffset = 0;
      this.cursorItems = 0;
      if (this.reader?.seq === oldest.seq) await this.closeReader();
      await rm(join(this.dir, segmentFile(oldest.seq)), { force: true });
    }
    if (evictedSegments === 0) return;
    await this.writeAck();
    this.opts.onEvicted(evictedItems);
    this.opts.logger.error(
      `${this.opts.name}: spool ${this.dir} reached spool_max_bytes (${this.maxBytes}): ${evictedItems} undelivered points in the ${evictedSegments} oldest segment(s) dropped`,
    );
  }

  async peek(): Promise<Envelope | undefined> {
    // Appends may evict the segment being read meanwhile (its reader closed, its file gone): then look again.
    for (;;) {
      const { seq, bytes } = this.segments[0];
      const offset = this.cursorOffset;
      if (this.holdsHead()) return this.head!.envelope;
      if (offset >= bytes) {
        // Delivered to the end of a segment that was still appended to then: move on to the next one, if any.
        if (this.segments.length === 1) return undefined;
        await this.dropDelivered();
        continue;
      }
      const unchanged = (): boolean => this.segments[0].seq === seq && this.cursorOffset === offset;
      try {
        const record = await this.readRecord(seq, offset);
        if (!unchanged()) continue;
        this.head = { seq, offset, next: offset + record.next, envelope: record.envelope };
        return record.envelope;
      } catch (err) {
        if (unchanged()) throw err;
      }
    }
  }

  private async readRecord(seq: number, offset: number): Promise<{ envelope: Envelope; next: number }> {
    const path = join(this.dir, segmentFile(seq));
    if (this.reader?.seq !== seq) {
      await this.closeReader();
      this.reader = { seq, fh: await open(path, 'r') };
    }
    const { fh } = this.reader;
    const prefixBytes = Buffer.allocUnsafe(PREFIX_BYTES);
    await readExactly(fh, prefixBytes, offset);
    const prefix = readPrefix(prefixBytes);
    if (prefix === null) throw new Error(`${path}: no record at offset ${offset}`);
    const data = Buffer.allocUnsafe(PREFIX_BYTES + prefix.headerLength + prefix.bodyLength);
    prefixBytes.copy(data);
    await readExactly(fh, data.subarray(PREFIX_BYTES), offset + PREFIX_BYTES);
    const record = decodeRecord(data, 0);
    if (record === null) throw new Error(`${path}: corrupt record at offset ${offset}`);
    return record;
  }

  holdsHead(): boolean {
    return this.head !== undefined && this.head.seq === this.segments[0].seq && this.head.offset === this.cursorOffset;
  }

  async ack(): Promise<void> {
    // Evicted while it was being sent: the cursor has moved on already.
    const head = this.holdsHead() ? this.head! : undefined;
    this.head = undefined;
    if (head === undefined) return;
    this.cursorOffset = head.next;
    this.cursorItems += head.envelope.items;
    await this.dropDelivered();
  }

  /** Writes the cursor; a first segment that is fully delivered (and not appended to) is deleted first. */
  private async dropDelivered(): Promise<void> {
    const delivered: number[] = [];
    while (this.segments.length > 1 && this.cursorOffset >= this.segments[0].bytes) {
      delivered.push(this.segments.shift()!.seq);
      this.cursorOffset = 0;
      this.cursorItems = 0;
    }
    if (delivered.length > 0) await this.closeReader();
    // The cursor first: a crash in between leaves a delivered segment that open() deletes, never a replay.
    await this.writeAck();
    for (const seq of delivered) await rm(join(this.dir, segmentFile(seq)), { force: true });
  }

  /** The cursor, atomically: a crash leaves either the old or the new file, never half of one. */
  private async writeAck(): Promise<void> {
    const tmp = join(this.dir, `${ACK_FILE}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ segment: this.segments[0].seq, offset: this.cursorOffset }));
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, ACK_FILE));
  }

  private async closeReader(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.fh.close();
  }

  async close(): Promise<void> {
    await this.writing;
    await this.closeReader();
    await this.writer?.close();
    this.writer = undefined;
  }
}

async function readExactly(fh: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of spool segment at offset ${position + done}`);
    done += bytesRead;
  }
}
