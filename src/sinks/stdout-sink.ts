import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { StdoutFormat, StdoutSinkConfig } from '../config/types.js';
import type { Category, PointBatch } from '../datakit/point.js';
import { formatConsoleBatch } from './console-format.js';
import { formatBatchBuffers } from './json-lines.js';
import type { Sink, SinkContext } from './sink.js';

/**
 * Prints each point, one per line: as DataKit line protocol or a JSON line (the local stand-in's "what DataKit would
 * store"), or as a readable line for a person (`console`, console-format.ts).
 */
export class StdoutSink implements Sink {
  readonly name = 'stdout';
  /** The console format recognises LLM calls on the span a point came from. */
  readonly wantsOrigins: boolean;

  constructor(
    readonly categories: ReadonlySet<Category>,
    private readonly out: Writable = process.stdout,
    private readonly format: StdoutFormat = 'line-protocol',
    /** Console format only: ANSI colours. */
    private readonly colour = false,
  ) {
    this.wantsOrigins = format === 'console';
  }

  async write(batch: PointBatch): Promise<void> {
    const chunks = this.format === 'console' ? [formatConsoleBatch(batch, this.colour)] : formatBatchBuffers(this.format, batch);
    // All of a batch's chunks are queued in one go (corked: one writev where the stream can), so no other request's
    // lines come between them when several requests are in flight.
    let ready = true;
    this.out.cork();
    for (const chunk of chunks) if (chunk.length > 0) ready = this.out.write(chunk);
    this.out.uncork();
    if (!ready) await once(this.out, 'drain');
  }

  /** Waits until what was written has been handed to the OS (stdout to a pipe or file can buffer in Node). */
  async flush(): Promise<void> {
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }

  async close(): Promise<void> {}
}

/** Colour for a terminal only, and never when NO_COLOR is set (https://no-color.org). */
export function stdoutWantsColour(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.stdout.isTTY === true && !env.NO_COLOR;
}

/** `target = "stdout"` (registry factory). */
export function createStdoutSink(config: StdoutSinkConfig, _ctx: SinkContext): Sink {
  return new StdoutSink(new Set(config.categories), process.stdout, config.format, stdoutWantsColour());
}
