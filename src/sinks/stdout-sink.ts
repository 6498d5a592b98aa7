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
    if (!this.out.write(text)) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
