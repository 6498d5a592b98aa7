import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsRequest, Resource, ResourceLogs, ScopeLogs } from '../model.js';
import { readAnyValue, readAttribute, readRequest, readResourceLevel, readScopeLevel } from './common.js';
import { decodeWire } from './decode.js';
import { EMPTY_BYTES, type WireReader } from './reader.js';

/** ExportLogsServiceRequest bytes → model, straight from the wire (logs.proto field numbers). */
export function decodeLogsWire(body: Uint8Array, maxDepth: number): LogsRequest {
  return decodeWire('ExportLogsServiceRequest', body, maxDepth, (r) => ({ resourceLogs: readRequest(r, readResourceLogs) }));
}

const makeScopeLogs = (scope: InstrumentationScope | undefined, logRecords: LogRecord[], schemaUrl: string): ScopeLogs => ({
  scope,
  logRecords,
  schemaUrl,
});
const readScopeLogs = (r: WireReader, depth: number): ScopeLogs => readScopeLevel(r, depth, readLogRecord, makeScopeLogs);
const makeResourceLogs = (resource: Resource | undefined, scopeLogs: ScopeLogs[], schemaUrl: string): ResourceLogs => ({
  resource,
  scopeLogs,
  schemaUrl,
});
const readResourceLogs = (r: WireReader, depth: number): ResourceLogs => readResourceLevel(r, depth, readScopeLogs, makeResourceLogs);

function readLogRecord(r: WireReader, depth: number): LogRecord {
  const end = r.messageEnd(depth);
  let timeUnixNano = 0n;
  let observedTimeUnixNano = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: AnyValue | undefined;
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let eventName = '';
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        timeUnixNano = r.fixed64();
        break;
      case 2:
        severityNumber = r.int32();
        break;
      case 3:
        severityText = r.string();
        break;
      case 5:
        // The body is an AnyValue of level 1 (receiver §4.4).
        body = readAnyValue(r, 1, depth + 1);
        break;
      case 6:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 7:
        droppedAttributesCount = r.uint32();
        break;
      case 8:
        flags = r.fixed32();
        break;
      case 9:
        traceId = r.bytes();
        break;
      case 10:
        spanId = r.bytes();
        break;
      case 11:
        observedTimeUnixNano = r.fixed64();
        break;
      case 12:
        eventName = r.string();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return {
    timeUnixNano,
    observedTimeUnixNano,
    severityNumber,
    severityText,
    body,
    attributes,
    droppedAttributesCount,
    flags,
    traceId,
    spanId,
    eventName,
  };
}
