/** Prometheus metrics, `/health` and `/ready` for a running bridge. */
export { BridgeMetrics, type BridgeMetricsOptions, type MetricSources } from './bridge-metrics.js';
export { Readiness, type ReadinessOptions, type ReadyAnswer } from './readiness.js';
export { serveMetrics, type MetricsServer, type MetricsServerOptions } from './server.js';
export { startMetricsServer, type MetricsRuntimeOptions } from './runtime.js';
export { probeVersions, ProbeError } from './versions-probe.js';
