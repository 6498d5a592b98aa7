/** Configuration: DataKit-shaped TOML + ENV overrides → the resolved GatewayConfig (types.ts). */
export { ConfigError, loadConfig, loadConfigWithWarnings, type LoadOptions } from './load.js';
export { parseListen } from './schema.js';
export { compileRe2 } from './regex.js';
export type * from './types.js';
