import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import protobuf from 'protobufjs';

/**
 * The OTLP collector messages and `google.rpc.Status`, loaded with protobufjs reflection from the package's own
 * `proto/` folder (shipped in the npm package, see package.json `files`).
 */
export interface OtlpProtoTypes {
  ExportTraceServiceRequest: protobuf.Type;
  ExportTraceServiceResponse: protobuf.Type;
  ExportMetricsServiceRequest: protobuf.Type;
  ExportMetricsServiceResponse: protobuf.Type;
  ExportLogsServiceRequest: protobuf.Type;
  ExportLogsServiceResponse: protobuf.Type;
  Status: protobuf.Type;
}

// Both src/otlp/proto.ts (run by tsx) and dist/otlp/proto.js sit two levels below the package root.
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

const ENTRY_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
];

let loaded: OtlpProtoTypes | undefined;

/** The looked-up types; the schemas are parsed on first use only (a few ms), then shared by the whole process. */
export function otlpProtoTypes(): OtlpProtoTypes {
  return (loaded ??= load());
}

function load(): OtlpProtoTypes {
  // Without the `long` package protobufjs decodes 64-bit fields to JS numbers, silently rounding nanosecond
  // timestamps and int attributes above 2^53 (receiver §4.4); refuse to run like that.
  if (!protobuf.util.Long) throw new Error('protobufjs has no Long support (the "long" package is missing)');
  const root = new protobuf.Root();
  // Imports inside the .proto files ("opentelemetry/proto/common/v1/common.proto") are relative to PROTO_DIR.
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync(ENTRY_FILES);
  root.resolveAll();
  const type = (name: string) => root.lookupType(name);
  return {
    ExportTraceServiceRequest: type('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    ExportTraceServiceResponse: type('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    ExportMetricsServiceRequest: type('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    ExportMetricsServiceResponse: type('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
    ExportLogsServiceRequest: type('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    ExportLogsServiceResponse: type('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
    Status: type('google.rpc.Status'),
  };
}
