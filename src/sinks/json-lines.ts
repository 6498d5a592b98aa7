import type { SinkFormat } from '../config/types.js';
import { LineBuffers } from '../datakit/line-buffers.js';
import { addLine, encodePoints, sortedKeys } from '../datakit/line-protocol.js';
import type { Category, FieldValue, Point, PointBatch } from '../datakit/point.js';

/**
 * The `json-lines` sink format: one JSON object per point per line, for tools that would rather not parse line
 * protocol (jq, log shippers):
 *
 *   {"category":"tracing","measurement":"otel","tags":{"host":"h1"},"fields":{"n":1,"big":"9007199254740993"},"time":"1700000000000000000"}
 *
 * It holds exactly what the line protocol line would: the same points (one without fields, or with a NaN/±Inf float,
 * is left out as the Go encoder drops it, datakit reference §9.1), tags and fields in the same order (raw key in
 * UTF-8 byte order, §9.1), empty-valued tags left out. `tags` is always there, `{}` when there are none.
 *
 * Numbers: a float is a JSON number; an int or uint is a JSON number when it is a safe integer (|v| ≤ 2^53−1) and a
 * string of its digits otherwise, because JSON readers (JavaScript's among them) turn bigger numbers into doubles and
 * silently change them. The int/uint/float distinction is not kept. `time` (ns) is always a string for that reason.
 *
 * The object is written by hand rather than with JSON.stringify of an object: JavaScript objects put integer-like
 * keys ("200", "42") first, which would break the order, and building the string directly allocates less.
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A safe integer as a number, anything bigger as a string (see above). */
function integerJson(v: bigint): string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? v.toString() : '"' + v + '"';
}

function fieldJson(v: FieldValue): string | null {
  switch (v.type) {
    case 'int':
    case 'uint':
      return integerJson(v.value);
    case 'float':
      // The checker has mapped ±Inf and dropped NaN (§8, Q47); should one get here, the point is dropped as in §9.1.
      return Number.isFinite(v.value) ? String(v.value) : null;
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v.value);
  }
}

/** One point as a JSON line (no newline), or null when line protocol would leave it out (§9.1). */
export function encodeJsonLine(category: Category, point: Point): string | null {
  // Same keys in the same order as line protocol (§9.1), so both formats of one point list them alike.
  const keys = sortedKeys(point);
  if (keys === null) return null;
  const { tags, fields } = keys;

  let line = '{"category":"' + category + '","measurement":' + JSON.stringify(point.measurement) + ',"tags":{';
  for (let i = 0; i < tags.length; i++) {
    line += (i === 0 ? '' : ',') + JSON.stringify(tags[i].key) + ':' + JSON.stringify(tags[i].value);
  }
  line += '},"fields":{';
  for (let i = 0; i < fields.length; i++) {
    const value = fieldJson(fields[i].value);
    if (value === null) return null;
    line += (i === 0 ? '' : ',') + JSON.stringify(fields[i].key) + ':' + value;
  }
  return line + '},"time":"' + point.time + '"}';
}

/** Points as JSON lines joined with `\n`, no trailing newline; points that cannot be encoded are left out. */
export function encodeJsonLines(category: Category, points: readonly Point[]): string {
  let out = '';
  let separator = '';
  for (const point of points) {
    const line = encodeJsonLine(category, point);
    if (line === null) continue;
    out += separator + line;
    separator = '\n';
  }
  return out;
}

/**
 * What the stdout and file sinks write for a batch in their `format`, as text: one line per point, each ending in
 * `\n`; `''` when no point can be encoded (so nothing, not an empty line, is written). The sinks write
 * `formatBatchBuffers`, the same bytes in pieces; this form is its reference.
 */
export function formatBatch(format: SinkFormat, batch: PointBatch): string {
  const text = format === 'json-lines' ? encodeJsonLines(batch.category, batch.points) : encodePoints(batch.points);
  return text === '' ? '' : text + '\n';
}

/**
 * A file sink writes a batch bigger than this as it encodes it, a part at a time (the stdout sink, and a file sink
 * that rotates, encode it whole): a 64 MiB request's line protocol never exists all at once next to its body and its
 * decoded strings (issue 8: RSS ≤ 4× a 64 MiB request). Large enough that ordinary requests (a 500-data-point
 * metrics request makes 1.5 MB, an exporter's default 512 spans ~1.4 MB) are encoded whole at once: the parts after
 * the first are encoded when their turn to be written comes, which keeps the batch's points alive until then, and
 * under load that cost more than it saved (with 1 MiB, the metrics request in two parts: ~20 % fewer data points/s).
 */
export const WRITE_PART_BYTES = 2 * 1024 * 1024;

/**
 * What the stdout and file sinks write for a batch, as UTF-8 buffers of whole lines, at most `MAX_CHUNK_BYTES` each
 * (a longer line gets one of its own), in parts of whole lines: `part(n)` encodes from where the last part ended
 * until it holds `n` bytes or more, or the batch ends. Joined, the parts are the bytes of `formatBatch`. Never the
 * whole batch as one text or one buffer, whose first touch costs page faults on the VMs we run on (issue 8).
 */
export class BatchEncoder {
  private readonly lines = new LineBuffers();
  private next = 0;

  constructor(
    private readonly format: SinkFormat,
    private readonly batch: PointBatch,
  ) {}

  /** Every point has been encoded (or left out). */
  get done(): boolean {
    return this.next >= this.batch.points.length;
  }

  /** The next part; empty when the points left have nothing to write. */
  part(partBytes: number): Buffer[] {
    const { category, points } = this.batch;
    const lines = this.lines;
    const json = this.format === 'json-lines';
    let i = this.next;
    while (i < points.length && lines.bytes < partBytes) {
      const point = points[i++]!;
      if (json) {
        const line = encodeJsonLine(category, point);
        if (line !== null) lines.add(line);
      } else {
        addLine(point, lines);
      }
    }
    this.next = i;
    return lines.take();
  }
}

/** The whole batch's buffers (one part), empty when no point can be encoded. */
export function formatBatchBuffers(format: SinkFormat, batch: PointBatch): Buffer[] {
  return new BatchEncoder(format, batch).part(Infinity);
}
