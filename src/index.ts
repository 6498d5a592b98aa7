/** The programmatic API: start the gateway in-process, load a config, or use the stages directly. */
export { startGateway, type GatewayOptions, type RunningGateway } from './gateway.js';
export { loadConfig, loadConfigWithWarnings, ConfigError } from './config/index.js';
export type { GatewayConfig, OtelInputConfig, SinkConfig } from './config/types.js';
export type { Point, PointBatch, Category, KV, FieldValue } from './datakit/point.js';
export { encodePoint, encodePoints } from './datakit/line-protocol.js';
export type { Sink } from './sinks/sink.js';
// The test fixture (issue 5): what RunningGateway's points/waitFor/reset/llmCalls/snapshot take and answer.
export { WaitTimeoutError, SnapshotError, type GatewayFixture, type FixtureQuery, type SnapshotCallOptions } from './fixture/inprocess.js';
export type { PointQuery, TimeBound } from './fixture/match.js';
export type { StoredPointJson, OriginJson, FieldJson, RenderOptions } from './fixture/render.js';
export type { SnapshotResult, SnapshotStatus, SnapshotOptions } from './fixture/snapshot.js';
export type { LlmCallJson, LlmTotals } from './fixture/traces.js';
export { MemorySink, type StoredPoint, type MemorySinkStats } from './sinks/memory-sink.js';
export type { LlmCall, LlmMessage } from './llm/index.js';
export type { AttributeAccount, AttributeFate } from './datakit/explain.js';
