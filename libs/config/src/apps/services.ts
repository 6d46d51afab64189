import { z } from 'zod';
import { port, url } from '../fields.js';
import { brokerEnv, mongoEnv, redisEnv } from '../shared.js';

/** What the local-services scripts (npm start, npm test) read: the same URLs the apps use. */
export const servicesEnv = z
  .object({
    AMQP_URL: brokerEnv.AMQP_URL,
    REDIS_URL: redisEnv.REDIS_URL,
    MONGO_URL: mongoEnv.MONGO_URL,
    RABBITMQ_MANAGEMENT_PORT: port(15672),
    /** The PostgreSQL database FerretDB stores into, when FerretDB is the MongoDB server started here. */
    FERRETDB_POSTGRESQL_URL: url('postgres://postgres@127.0.0.1:5432/ferretdb', ['postgres:', 'postgresql:']),
  })
  .transform((env) => ({
    amqpUrl: env.AMQP_URL,
    redisUrl: env.REDIS_URL,
    mongoUrl: env.MONGO_URL,
    rabbitManagementPort: env.RABBITMQ_MANAGEMENT_PORT,
    ferretPostgresUrl: env.FERRETDB_POSTGRESQL_URL,
  }));

export type ServicesConfig = z.output<typeof servicesEnv>;
