export { DELAY_BUCKETS_SECONDS } from './buckets.js';
export { DaemonMetrics, type DaemonMetricsOptions } from './daemon-metrics.js';
export { JITTER_DIRECTIONS } from './agent-metrics.js';
export { CONTROL_PROTOCOL } from './listener-metrics.js';
// The HTTP endpoint lives in http/; re-exported here for the daemon, which serves what it measures.
export { type HttpServerHandle, type HttpServerOptions, startHttpServer } from '../http/index.js';
