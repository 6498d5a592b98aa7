import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleSinkConfig } from '../config/types.js';
import type { Category, PointBatch } from '../datakit/point.js';
import type { Sink, SinkContext } from './sink.js';

/** What a user's sink module exports by default. */
export type SinkModuleFactory = (options: Record<string, unknown>, ctx: SinkContext) => Sink | Promise<Sink>;

const SINK_METHODS = ['write', 'flush', 'close'] as const;

/**
 * A user's sink behind the categories of its `[[sinks.sink]]` table: the gateway only hands it those, whatever the
 * module's own `categories` say, and names it after its file in logs.
 */
class ModuleSink implements Sink {
  readonly name: string;
  readonly categories: ReadonlySet<Category>;

  constructor(
    private readonly inner: Sink,
    path: string,
    categories: readonly Category[],
  ) {
    this.name = `module:${path}${typeof inner.name === 'string' && inner.name !== '' ? ` (${inner.name})` : ''}`;
    this.categories = new Set(categories);
  }

  /** Only batches of `categories` arrive here: fanOut filters by them (the Sink contract). */
  write(batch: PointBatch): Promise<void> {
    return this.inner.write(batch);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `target = "module"`: imports the ES module at `path` (relative to the config's folder) and builds its sink. */
export async function createModuleSink(config: ModuleSinkConfig, ctx: SinkContext): Promise<Sink> {
  const path = isAbsolute(config.path) ? config.path : resolve(ctx.configDir, config.path);
  const where = `sink module ${path}`;
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw new Error(`${where}: cannot import: ${(err as Error).message}`, { cause: err });
  }
  if (typeof mod.default !== 'function') {
    throw new Error(`${where}: the default export must be a function (options, context) => Sink, got ${typeof mod.default}`);
  }
  const sink = (await (mod.default as SinkModuleFactory)(config.options, ctx)) as Partial<Sink> | null | undefined;
  const missing = SINK_METHODS.filter((m) => typeof sink?.[m] !== 'function');
  if (missing.length > 0) {
    throw new Error(`${where}: the factory must return a sink with write(), flush() and close(); missing ${missing.map((m) => `${m}()`).join(', ')}`);
  }
  return new ModuleSink(sink as Sink, path, config.categories);
}
