export { type AuthConfig, authEnv } from './apps/auth.js';
export { type DlqReplayConfig, dlqReplayEnv } from './apps/dlq-replay.js';
export { type NotifierConfig, notifierEnv, type QueueBoardConfig } from './apps/notifier.js';
export { type PersisterConfig, persisterEnv } from './apps/persister.js';
export { type PresenceConfig, presenceEnv } from './apps/presence.js';
export { type ServicesConfig, servicesEnv } from './apps/services.js';
export { type WebConfig, webEnv } from './apps/web.js';
export { type AllowedOrigins, allowedOriginsOf, type WsEdgeConfig, wsEdgeEnv } from './apps/ws-edge.js';
export { ConfigError, loadConfig } from './load-config.js';
export { isLoopbackHost } from './loopback.js';
export {
  type BrokerConfig,
  type MongoConfig,
  metricsListenConfig,
  type RedisConfig,
  type TokenVerifyConfig,
} from './shared.js';
