/** The programmatic API: start the gateway in-process, load a config, or use the stages directly. */
export { startGateway, type GatewayOptions, type RunningGateway } from './gateway.js';
export { loadConfig, loadConfigWithWarnings, ConfigError } from './config/index.js';
export type { GatewayConfig, OtelInputConfig, SinkConfig } from './config/types.js';
export type { Point, PointBatch, Category, KV, FieldValue } from './datakit/point.js';
export { encodePoint, encodePoints } from './datakit/line-protocol.js';
export type { Sink } from './sinks/sink.js';
