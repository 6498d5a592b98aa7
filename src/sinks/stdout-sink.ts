import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { encodePoints } from '../datakit/line-protocol.js';
import type { Category, PointBatch } from '../datakit/point.js';
import type { Sink } from './sink.js';

/** Prints each point as DataKit line protocol, one per line: the local stand-in's "what DataKit would store". */
export class StdoutSink implements Sink {
  readonly name = 'stdout';

  constructor(
    readonly categories: ReadonlySet<Category>,
    private readonly out: Writable = process.stdout,
  ) {}

  async write(batch: PointBatch): Promise<void> {
    if (batch.points.length === 0) return;
    // One write per batch keeps a request's lines together when several requests are in flight.
    const text = `${encodePoints(batch.points)}\n`;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** Waits until what was written has been handed to the OS (stdout to a pipe or file can buffer in Node). */
  async flush(): Promise<void> {
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }

  async close(): Promise<void> {}
}
