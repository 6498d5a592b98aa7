/**
 * A strict parser of DataKit's text line protocol (datakit reference §9), written independently of the encoder so
 * that tests can check what a backend would read back: `<measurement>[,<tag>=<value>…] <field>=<value>[,…] [<time>]`.
 *
 * Escapes (§9.2): measurement `\,` `\ `; tag key/value `\,` `\=` `\ `; field key also `\"`; a backslash before
 * any other character stays a backslash (as in InfluxDB). String values are quoted, with `\"` and `\\` escaped and
 * everything else raw, newlines included; so points are separated by a newline only outside a quoted string.
 * Field values (§9.3): `123i` int, `123u` uint, `"…"` string, `t|T|true|True|TRUE|f|F|false|False|FALSE` bool,
 * anything else must be a decimal float. Throws an error with the offset on anything malformed.
 */
import type { FieldValue } from '../../src/datakit/point.js';

export interface ParsedPoint {
  measurement: string;
  /** In line order (the encoder sorts them). */
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Nanoseconds; `undefined` when the line has no timestamp. */
  time: bigint | undefined;
}

const MEASUREMENT_ESCAPABLE = ', ';
const TAG_ESCAPABLE = ',= ';
const FIELD_KEY_ESCAPABLE = ',= "';
const INT = /^-?\d+i$/;
const UINT = /^\d+u$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TIME = /^-?\d+$/;
const TRUE = new Set(['t', 'T', 'true', 'True', 'TRUE']);
const FALSE = new Set(['f', 'F', 'false', 'False', 'FALSE']);

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`line protocol: ${what} at offset ${this.pos}: ${JSON.stringify(this.text.slice(this.pos, this.pos + 40))}`);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos];
  }

  /** Reads up to (not including) an unescaped character of `stops`, undoing the escapes of `escapable`. */
  token(stops: string, escapable: string, what: string): string {
    let out = '';
    while (!this.atEnd()) {
      const c = this.text[this.pos];
      if (c === '\\' && this.pos + 1 < this.text.length && escapable.includes(this.text[this.pos + 1])) {
        out += this.text[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (stops.includes(c)) break;
      if (c === '\n') this.fail(`newline inside ${what}`);
      out += c;
      this.pos++;
    }
    if (out === '') this.fail(`empty ${what}`);
    return out;
  }

  expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected ${JSON.stringify(c)}`);
    this.pos++;
  }
}

function quotedString(cur: Cursor): string {
  cur.expect('"');
  let out = '';
  for (;;) {
    if (cur.atEnd()) cur.fail('unterminated string');
    const c = cur.text[cur.pos++];
    if (c === '"') return out;
    if (c === '\\' && (cur.peek() === '"' || cur.peek() === '\\')) out += cur.text[cur.pos++];
    else out += c;
  }
}

function fieldValue(cur: Cursor): FieldValue {
  if (cur.peek() === '"') return { type: 'string', value: quotedString(cur) };
  const start = cur.pos;
  while (!cur.atEnd() && !', \n'.includes(cur.peek())) cur.pos++;
  const raw = cur.text.slice(start, cur.pos);
  if (INT.test(raw)) return { type: 'int', value: BigInt(raw.slice(0, -1)) };
  if (UINT.test(raw)) return { type: 'uint', value: BigInt(raw.slice(0, -1)) };
  if (TRUE.has(raw)) return { type: 'bool', value: true };
  if (FALSE.has(raw)) return { type: 'bool', value: false };
  if (FLOAT.test(raw)) return { type: 'float', value: Number(raw) };
  cur.pos = start;
  return cur.fail(`bad field value ${JSON.stringify(raw)}`);
}

function parsePoint(cur: Cursor): ParsedPoint {
  const measurement = cur.token(', ', MEASUREMENT_ESCAPABLE, 'measurement');
  const tags: Record<string, string> = {};
  while (cur.peek() === ',') {
    cur.pos++;
    const key = cur.token('=', TAG_ESCAPABLE, 'tag key');
    cur.expect('=');
    tags[key] = cur.token(', ', TAG_ESCAPABLE, 'tag value');
  }
  cur.expect(' ');
  const fields: Record<string, FieldValue> = {};
  do {
    if (cur.peek() === ',') cur.pos++;
    const key = cur.token('=', FIELD_KEY_ESCAPABLE, 'field key');
    cur.expect('=');
    fields[key] = fieldValue(cur);
  } while (cur.peek() === ',');
  let time: bigint | undefined;
  if (cur.peek() === ' ') {
    cur.pos++;
    const start = cur.pos;
    while (!cur.atEnd() && cur.peek() !== '\n') cur.pos++;
    const raw = cur.text.slice(start, cur.pos);
    if (!TIME.test(raw)) {
      cur.pos = start;
      cur.fail('bad timestamp');
    }
    time = BigInt(raw);
  }
  if (!cur.atEnd() && cur.peek() !== '\n') cur.fail('expected end of line');
  return { measurement, tags, fields, time };
}

/** Every point of a line-protocol body, in order; empty lines are skipped. */
export function parseLineProtocol(text: string): ParsedPoint[] {
  const cur = new Cursor(text);
  const points: ParsedPoint[] = [];
  while (!cur.atEnd()) {
    if (cur.peek() === '\n') {
      cur.pos++;
      continue;
    }
    points.push(parsePoint(cur));
  }
  return points;
}
