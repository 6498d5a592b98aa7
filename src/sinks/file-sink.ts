import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { encodePoints } from '../datakit/line-protocol.js';
import type { Category, PointBatch } from '../datakit/point.js';
import type { Sink } from './sink.js';

/**
 * Appends line protocol to a file. Every batch is written (to the OS) before `write` resolves, so a reader — a CI
 * job tailing the file — sees a request's points as soon as the client has its answer.
 */
export class FileSink implements Sink {
  readonly name: string;
  private handle: Promise<FileHandle> | undefined;

  constructor(
    readonly path: string,
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
    this.handle ??= mkdir(dirname(this.path), { recursive: true }).then(() => open(this.path, 'a'));
    return this.handle;
  }

  async write(batch: PointBatch): Promise<void> {
    if (batch.points.length === 0) return;
    const fh = await this.file();
    // One appending write per batch: O_APPEND keeps concurrent requests' batches from interleaving.
    await fh.write(`${encodePoints(batch.points)}\n`);
  }

  async flush(): Promise<void> {
    if (this.handle) await (await this.handle).datasync();
  }

  async close(): Promise<void> {
    if (!this.handle) return;
    const fh = await this.handle;
    this.handle = undefined;
    await fh.close();
  }
}
