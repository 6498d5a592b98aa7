import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { SinkFormat, StdoutSinkConfig } from '../config/types.js';
import type { Category, PointBatch } from '../datakit/point.js';
import { formatBatch } from './json-lines.js';
import type { Sink, SinkContext } from './sink.js';

/** Prints each point as DataKit line protocol (or a JSON line), one per line: the local stand-in's "what DataKit would store". */
export class StdoutSink implements Sink {
  readonly name = 'stdout';

  constructor(
    readonly categories: ReadonlySet<Category>,
    private readonly out: Writable = process.stdout,
    private readonly format: SinkFormat = 'line-protocol',
  ) {}

  async write(batch: PointBatch): Promise<void> {
    const text = formatBatch(this.format, batch);
    if (text === '') return;
    // One write per batch keeps a request's lines together when several requests are in flight.
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** Waits until what was written has been handed to the OS (stdout to a pipe or file can buffer in Node). */
  async flush(): Promise<void> {
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }

  async close(): Promise<void> {}
}

/** `target = "stdout"` (registry factory). */
export function createStdoutSink(config: StdoutSinkConfig, _ctx: SinkContext): Sink {
  return new StdoutSink(new Set(config.categories), process.stdout, config.format);
}
