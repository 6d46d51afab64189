import { z } from 'zod';
import { brokerConfig, brokerEnv, loggingEnv } from '../shared.js';

/** `npm run dlq:replay`: only the broker. */
export const dlqReplayEnv = z
  .object({ ...loggingEnv, ...brokerEnv })
  .transform((env) => ({ logLevel: env.LOG_LEVEL, broker: brokerConfig(env) }));

export type DlqReplayConfig = z.output<typeof dlqReplayEnv>;
