export {
  type AccessTokenCheck,
  type AccountCheck,
  accountCheckedTokens,
  authenticatedUserId,
  bearerTokenOf,
  refusalOf,
  requireBearer,
  type SessionTokenCheck,
} from './bearer-auth.js';
export { contractRoutes } from './contract-routes.js';
export { type CorsOrigins, corsFor, corsOriginsOf } from './cors.js';
export { connectTo, DependencyUnreachableError, safeUrl } from './dependency.js';
export { eventWorkerCounters } from './event-worker-metrics.js';
export { healthRoutes, type ReadinessCheck } from './health-routes.js';
export { requireAllowedHost } from './host-allowlist.js';
export { errorHandler, MAX_HTTP_BODY_BYTES, notFoundHandler } from './http-errors.js';
export { closeServer, type ListenOptions, listen, portOf } from './http-server.js';
export { createMetricsRegistry, LATENCY_BUCKETS_S, metricsHandler, startMetricsServer } from './metrics.js';
export { basicCredentialsOf, type OperatorCredentials, requireOperatorCredentials } from './operator-credentials.js';
export { startOpsServer } from './ops-server.js';
export { type RunningApp, runApp, SHUTDOWN_TIMEOUT_MS } from './run-app.js';
