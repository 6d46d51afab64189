import { loadConfig, servicesEnv } from '@chat/config';
import { ensureMongo } from './mongodb.js';
import { ensureRabbitMq } from './rabbitmq.js';
import { ensureRedis } from './redis.js';
import type { ServiceProcess } from './service-process.js';

export interface LocalServices {
  /** The processes started here (not system services), in start order. */
  started: ServiceProcess[];
  /** Stops what was started here, last first. */
  stop(): Promise<void>;
}

/**
 * Makes RabbitMQ, Redis and a MongoDB-protocol server reachable at the configured URLs,
 * starting what is installed but not running. Throws MissingServiceError naming what is
 * missing and how to get it.
 */
export async function ensureServices(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<LocalServices> {
  const config = loadConfig(servicesEnv, env);
  const started: ServiceProcess[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.stop();
  };
  try {
    await ensureRabbitMq(config.amqpUrl, config.rabbitManagementPort, log);
    await ensureRedis(config.redisUrl, log);
    const mongo = await ensureMongo(config.mongoUrl, config.ferretPostgresUrl, log);
    if (mongo) started.push(mongo);
  } catch (error) {
    await stop();
    throw error;
  }
  return { started, stop };
}
