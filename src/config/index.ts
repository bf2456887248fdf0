export { configSchema } from './schema.js';
export type { BridgeConfig, BridgeConfigInput } from './schema.js';
export { loadConfig, validateConfig, readYamlFile } from './load.js';
export { ConfigError, describeIssues, configErrorFrom } from './errors.js';
