import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { encodePoints } from '../datakit/line-protocol.js';
import type { Category, PointBatch } from '../datakit/point.js';
import type { Sink } from './sink.js';

/**
 * Appends line protocol to a file, one point per line. Every batch is written (to the OS) before `write` resolves,
 * so a reader — a CI job tailing the file — sees a request's points as soon as the client has its answer.
 */
export class FileSink implements Sink {
  readonly name: string;
  readonly path: string;
  private handle: Promise<FileHandle> | undefined;
  /** The last write queued; batches are written one after another, so no two requests' lines ever mix. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    path: string,
    readonly categories: ReadonlySet<Category>,
  ) {
    this.path = resolve(path);
    this.name = `file:${this.path}`;
  }

  /** Opens (creating folders) ahead of the first request so a bad path fails at startup, not on traffic. */
  async open(): Promise<void> {
    await this.file();
  }

  private file(): Promise<FileHandle> {
    if (this.closed) return Promise.reject(new Error(`${this.name}: the sink is closed`));
    this.handle ??= mkdir(dirname(this.path), { recursive: true })
      .then(() => open(this.path, 'a'))
      .catch((err: unknown) => {
        this.handle = undefined; // a later attempt may succeed (folder created, disk remounted)
        throw new Error(`file sink ${this.path}: cannot open for appending: ${(err as Error).message}`, { cause: err });
      });
    return this.handle;
  }

  write(batch: PointBatch): Promise<void> {
    if (batch.points.length === 0) return Promise.resolve();
    const bytes = Buffer.from(`${encodePoints(batch.points)}\n`);
    // Queued rather than issued at once: a write(2) may be partial, and the rest must follow before anyone else's.
    const written = this.tail.then(async () => writeFully(await this.file(), bytes));
    this.tail = written.catch(() => undefined); // one failed batch must not fail the ones after it
    return written;
  }

  async flush(): Promise<void> {
    await this.tail;
    if (!this.handle) return;
    try {
      await (await this.handle).datasync();
    } catch (err) {
      // Devices and pipes (/dev/null, a FIFO read by another process) cannot be synced; there is nothing to flush.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }

  async close(): Promise<void> {
    await this.tail;
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close();
  }
}

async function writeFully(fh: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    // `null` position: append at the current end (the file is opened with O_APPEND).
    const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset, null);
    offset += bytesWritten;
  }
}
