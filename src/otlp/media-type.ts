import type { IncomingMessage } from 'node:http';

/**
 * Content-Type negotiation: which decoder a request gets, in spec mode and as DataKit 1.84 decides it.
 */

export type Encoding = 'protobuf' | 'json';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** The media type of each encoding: what requests carry and what every response mirrors (receiver §1.2, checklist 7). */
export const MEDIA_TYPE: Readonly<Record<Encoding, string>> = { protobuf: PROTOBUF, json: JSON_TYPE };

/** For 415 messages (checklist 6). */
export const SUPPORTED_MEDIA_TYPES = `${PROTOBUF}, ${JSON_TYPE}`;

function encodingOfExact(mediaType: string): Encoding | undefined {
  return mediaType === PROTOBUF ? 'protobuf' : mediaType === JSON_TYPE ? 'json' : undefined;
}

/** The value up to the first `;`, trimmed. */
function mediaTypePart(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim();
}

/**
 * Spec mode (receiver §2.2, checklist 5): the media type is matched case-insensitively and parameters such as
 * `; charset=utf-8` are ignored. `undefined` for a missing or unsupported type.
 */
export function encodingOf(contentType: string | undefined): Encoding | undefined {
  if (contentType === undefined) return undefined;
  // The exact spellings every SDK sends skip the slicing and lower-casing.
  return encodingOfExact(contentType) ?? encodingOfExact(mediaTypePart(contentType).toLowerCase());
}

/** Whether DataKit 1.84's header check would pass this one value (datakit §3.3, Q3): exact and case-sensitive. */
export function isDataKitExactContentType(contentType: string): boolean {
  return encodingOfExact(contentType) !== undefined;
}

/** One `[inputs.opentelemetry.expected_headers]` pair that can ever match, with the header name as Node keys it. */
export interface ExpectedHeader {
  readonly lowerName: string;
  readonly value: string;
}

/**
 * Go looks configured names up verbatim among canonicalised request header names (datakit §3.3, Q5), so only a name
 * already in Go's canonical form (`X-Api-Key`, not `x-api-key` or `ex_version`) can match. The others are dropped.
 */
export function compileExpectedHeaders(configured: Readonly<Record<string, string>>): ExpectedHeader[] {
  const usable: ExpectedHeader[] = [];
  for (const [name, value] of Object.entries(configured)) {
    if (isGoCanonicalHeaderKey(name)) usable.push({ lowerName: name.toLowerCase(), value });
  }
  return usable;
}

/** textproto.CanonicalMIMEHeaderKey(name) === name: upper case at the start and after each `-`, lower case elsewhere. */
function isGoCanonicalHeaderKey(name: string): boolean {
  let upper = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (upper ? c >= 0x61 && c <= 0x7a : c >= 0x41 && c <= 0x5a) return false;
    upper = c === 0x2d; // '-'
  }
  return name.length > 0;
}

/** Every value of each header, as `IncomingMessage.headersDistinct` gives them (Go's `req.Header`). */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * `req.headersDistinct`, which HTTP/2's compatibility request (Http2ServerRequest, with `[http_api.tls]`) lacks; there
 * Node has already joined repeated values, so each header has one.
 */
export function headersDistinctOf(req: IncomingMessage): DistinctHeaders {
  if (req.headersDistinct !== undefined) return req.headersDistinct;
  const distinct: Record<string, readonly string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) distinct[name] = Array.isArray(value) ? value : [value];
  return distinct;
}

/**
 * DataKit 1.84 (datakit §3.3, §3.5; Q3–Q5). The header check passes when ANY Content-Type value is exactly one of the
 * two media types, or any expected_headers pair matches (OR). The decoder is then picked from the FIRST Content-Type
 * value up to `;`, trimmed, compared case-sensitively. `undefined` means DataKit's 400.
 */
export function dataKitEncodingOf(headers: DistinctHeaders, expected: readonly ExpectedHeader[]): Encoding | undefined {
  const contentTypes = headers['content-type'];
  if (contentTypes === undefined) return undefined;
  const passes = contentTypes.some(isDataKitExactContentType) || expected.some((e) => headers[e.lowerName]?.includes(e.value));
  return passes ? encodingOfExact(mediaTypePart(contentTypes[0])) : undefined;
}

/**
 * `dataKitEncodingOf` for a Node request. Node keeps the first Content-Type value in `headers`, and when that one is
 * exact DataKit's check passes and its decoder picks it, so the distinct header lists (an allocation) are only built
 * for the unusual rest.
 */
export function dataKitEncodingOfRequest(req: IncomingMessage, expected: readonly ExpectedHeader[]): Encoding | undefined {
  const first = req.headers['content-type'];
  return (first !== undefined ? encodingOfExact(first) : undefined) ?? dataKitEncodingOf(headersDistinctOf(req), expected);
}
