export type { ConnectionReport, ConnectionStatusEntry, PluginStatus } from './contract.js';
export { ConnectionStatus } from './connection-status.js';
