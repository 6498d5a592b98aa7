import type { InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, SpanStatus, TracesRequest } from '../model.js';
import { readAttribute, readRequest, readResourceLevel, readScopeLevel } from './common.js';
import { decodeWire } from './decode.js';
import { EMPTY_BYTES, type WireReader } from './reader.js';

/** ExportTraceServiceRequest bytes → model, straight from the wire (trace.proto field numbers). */
export function decodeTracesWire(body: Uint8Array, maxDepth: number): TracesRequest {
  return decodeWire('ExportTraceServiceRequest', body, maxDepth, (r) => ({ resourceSpans: readRequest(r, readResourceSpans) }));
}

const makeScopeSpans = (scope: InstrumentationScope | undefined, spans: Span[], schemaUrl: string): ScopeSpans => ({ scope, spans, schemaUrl });
const readScopeSpans = (r: WireReader, depth: number): ScopeSpans => readScopeLevel(r, depth, readSpan, makeScopeSpans);
const makeResourceSpans = (resource: Resource | undefined, scopeSpans: ScopeSpans[], schemaUrl: string): ResourceSpans => ({
  resource,
  scopeSpans,
  schemaUrl,
});
const readResourceSpans = (r: WireReader, depth: number): ResourceSpans => readResourceLevel(r, depth, readScopeSpans, makeResourceSpans);

function readSpan(r: WireReader, depth: number): Span {
  const end = r.messageEnd(depth);
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let traceState = '';
  let parentSpanId = EMPTY_BYTES;
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  const events: SpanEvent[] = [];
  let droppedEventsCount = 0;
  const links: SpanLink[] = [];
  let droppedLinksCount = 0;
  let status: SpanStatus | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        traceId = r.bytes();
        break;
      case 2:
        spanId = r.bytes();
        break;
      case 3:
        traceState = r.string();
        break;
      case 4:
        parentSpanId = r.bytes();
        break;
      case 5:
        name = r.string();
        break;
      case 6:
        kind = r.int32();
        break;
      case 7:
        startTimeUnixNano = r.fixed64();
        break;
      case 8:
        endTimeUnixNano = r.fixed64();
        break;
      case 9:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 10:
        droppedAttributesCount = r.uint32();
        break;
      case 11:
        events.push(readEvent(r, depth + 1));
        break;
      case 12:
        droppedEventsCount = r.uint32();
        break;
      case 13:
        links.push(readLink(r, depth + 1));
        break;
      case 14:
        droppedLinksCount = r.uint32();
        break;
      case 15:
        status = readStatus(r, depth + 1);
        break;
      case 16:
        flags = r.fixed32();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return {
    traceId,
    spanId,
    traceState,
    parentSpanId,
    flags,
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    status,
  };
}

function readEvent(r: WireReader, depth: number): SpanEvent {
  const end = r.messageEnd(depth);
  let timeUnixNano = 0n;
  let name = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        timeUnixNano = r.fixed64();
        break;
      case 2:
        name = r.string();
        break;
      case 3:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 4:
        droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

function readLink(r: WireReader, depth: number): SpanLink {
  const end = r.messageEnd(depth);
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let traceState = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        traceId = r.bytes();
        break;
      case 2:
        spanId = r.bytes();
        break;
      case 3:
        traceState = r.string();
        break;
      case 4:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 5:
        droppedAttributesCount = r.uint32();
        break;
      case 6:
        flags = r.fixed32();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
}

function readStatus(r: WireReader, depth: number): SpanStatus {
  const end = r.messageEnd(depth);
  let message = '';
  let code = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 2:
        message = r.string();
        break;
      case 3:
        code = r.int32();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { message, code };
}
