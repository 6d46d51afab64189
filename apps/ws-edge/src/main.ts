import { BrokerConnection, ConfirmPublisher, EVENTS, EventPublisher, EXCHANGES, QUEUES } from '@chat/broker';
import { loadConfig, wsEdgeEnv } from '@chat/config';
import { createLogger, serializeRequest } from '@chat/logger';
import { PresenceStore } from '@chat/presence-store';
import {
  accountCheckedTokens,
  closeServer,
  connectTo,
  contractRoutes,
  corsFor,
  corsOriginsOf,
  createMetricsRegistry,
  errorHandler,
  eventWorkerCounters,
  healthRoutes,
  listen,
  MAX_HTTP_BODY_BYTES,
  notFoundHandler,
  runApp,
  startMetricsServer,
} from '@chat/runtime';
import {
  ConversationRepository,
  connectMongo,
  LiveAccounts,
  LogHeads,
  MessageRepository,
  UserRepository,
} from '@chat/storage';
import { AccessTokenVerifier } from '@chat/tokens';
import express from 'express';
import helmet from 'helmet';
import { Redis } from 'ioredis';
import { pinoHttp } from 'pino-http';
import { followAccountNotices } from './account-notices.js';
import { ContactIndex } from './contact-index.js';
import { ConversationService } from './conversation-service.js';
import { DeliveryRouter, deliveryWorker } from './deliveries.js';
import { edgeMetrics } from './edge-metrics.js';
import { EdgeServer } from './edge-server.js';
import { FrameRouter } from './frame-router.js';
import { authRefresh } from './handlers/auth-refresh.js';
import { conversationAddMember } from './handlers/conversation-add-member.js';
import { conversationCreateGroup } from './handlers/conversation-create-group.js';
import { conversationLeave } from './handlers/conversation-leave.js';
import { conversationList } from './handlers/conversation-list.js';
import { conversationOpenDirect } from './handlers/conversation-open-direct.js';
import { conversationReceipts } from './handlers/conversation-receipts.js';
import { conversationRemoveMember } from './handlers/conversation-remove-member.js';
import { conversationRename } from './handlers/conversation-rename.js';
import { historyGet } from './handlers/history-get.js';
import { logGet } from './handlers/log-get.js';
import { messageDelete } from './handlers/message-delete.js';
import { messageDelivered } from './handlers/message-delivered.js';
import { messageEdit } from './handlers/message-edit.js';
import { messageRead } from './handlers/message-read.js';
import { messageSend } from './handlers/message-send.js';
import { ping } from './handlers/ping.js';
import { presenceQuery } from './handlers/presence-query.js';
import { reactionAdd } from './handlers/reaction-add.js';
import { reactionRemove } from './handlers/reaction-remove.js';
import { typing } from './handlers/typing.js';
import { LocalSessions } from './local-sessions.js';
import { LogCommands } from './log-commands.js';
import { MembershipCache } from './membership-cache.js';
import { MessageIntake } from './message-intake.js';
import { PresenceReporter } from './presence-reporter.js';
import { ReadReceipts } from './read-receipts.js';
import { ReceiptAnnouncer } from './receipt-announcer.js';
import { conversationRoutes } from './rest-routes.js';
import { TypingRelay } from './typing-relay.js';

runApp('ws-edge', async () => {
  const config = loadConfig(wsEdgeEnv);
  const logger = createLogger({ app: 'ws-edge', level: config.logLevel, base: { nodeId: config.nodeId } });

  const mongo = await connectTo('MongoDB', config.mongo.url, () =>
    connectMongo({ ...config.mongo, appName: `chat-ws-edge-${config.nodeId}`, logger }),
  );
  const broker = await connectTo('RabbitMQ', config.broker.url, () =>
    BrokerConnection.connect({
      url: config.broker.url,
      connectionName: `ws-edge ${config.nodeId}`,
      logger,
      // What an edge publishes to (its own queue is declared by its delivery worker).
      topology: {
        exchanges: [EXCHANGES.inbound, EXCHANGES.events, EXCHANGES.deliveries, EXCHANGES.presence],
        queues: [],
      },
    }),
  );
  const confirmPublisher = new ConfirmPublisher(broker, logger);
  await broker.register(confirmPublisher);
  const publisher = new EventPublisher(confirmPublisher);
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await connectTo('Redis', config.redis.url, () => redis.connect());
  const presence = new PresenceStore(redis, config.redis.prefix);

  const tokens = new AccessTokenVerifier(config.tokens);
  const users = new UserRepository(mongo.collections.users, mongo.dialect);
  const accounts = new LiveAccounts(users, config.accountCheckTtlMs);
  const conversationRepository = new ConversationRepository(
    mongo.collections.conversations,
    mongo.collections.memberships,
    mongo.dialect,
  );
  const cache = new MembershipCache(conversationRepository);
  const messages = new MessageRepository(mongo.collections.messages, mongo.dialect);
  const heads = new LogHeads(redis, config.redis.prefix, messages);
  // Answers come back on this node's delivery queue (declared by its delivery worker).
  const commands = new LogCommands(publisher, { replyTo: QUEUES.edge(config.nodeId) });
  const conversations = new ConversationService({
    commands,
    conversations: conversationRepository,
    messages,
    heads,
    users,
    cache,
    groupMaxMembers: config.limits.groupMaxMembers,
    announceMembership: async (conversationId, members) => {
      await publisher.publish(EVENTS.membershipChanged, { type: 'membership.changed', conversationId, members });
    },
  });
  const sessions = new LocalSessions();
  const registry = createMetricsRegistry('ws-edge', config.nodeId);
  const metrics = edgeMetrics(registry, sessions);
  const intake = new MessageIntake(publisher, conversations, metrics);
  const receiptAnnouncer = new ReceiptAnnouncer(publisher, logger);
  const reads = new ReadReceipts(conversations, conversationRepository, publisher, receiptAnnouncer, heads);
  const typingRelay = new TypingRelay(conversations, publisher);
  const contacts = new ContactIndex();
  const router = new FrameRouter(
    [
      messageSend,
      messageEdit,
      messageDelete,
      reactionAdd,
      reactionRemove,
      historyGet,
      logGet,
      conversationOpenDirect,
      conversationCreateGroup,
      conversationAddMember,
      conversationLeave,
      conversationRemoveMember,
      conversationRename,
      conversationList,
      authRefresh,
      typing,
      messageRead,
      messageDelivered,
      conversationReceipts,
      presenceQuery,
      ping,
    ],
    { conversations, intake, tokens, reads, typing: typingRelay, presence, contacts, accounts },
  );
  const reporter = new PresenceReporter({
    nodeId: config.nodeId,
    publisher,
    sessions,
    logger,
    heartbeatIntervalMs: config.presenceHeartbeatIntervalMs,
  });
  const deliveries = deliveryWorker(
    broker,
    logger,
    { nodeId: config.nodeId, prefetch: config.deliveryPrefetch, counters: eventWorkerCounters(registry, 'edge') },
    new DeliveryRouter({
      sessions,
      cache,
      contacts,
      presenceNode: reporter.node,
      resyncPresence: () => void reporter.snapshot(),
      answered: (answer) => commands.answered(answer),
      metrics,
    }),
  );
  await broker.register(deliveries.consumer);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy ? 1 : false);
  app.use(helmet());
  app.use(
    pinoHttp({
      logger,
      serializers: { req: serializeRequest, res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }) },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(corsFor(corsOriginsOf(config.http.corsOrigins)));
  app.use(express.json({ limit: MAX_HTTP_BODY_BYTES }));
  app.use(
    healthRoutes([
      { name: 'mongodb', check: () => mongo.ping() },
      { name: 'redis', check: async () => void (await redis.ping()) },
      {
        name: 'rabbitmq',
        check: async () => {
          if (!broker.connected || !deliveries.attached) throw new Error('not connected');
        },
      },
    ]),
  );
  app.use(contractRoutes());
  app.use(conversationRoutes({ conversations, tokens: accountCheckedTokens(tokens, accounts) }));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));

  const http = await listen(app, config.http);
  const metricsServer = await startMetricsServer(registry, config.metrics);
  const edge = new EdgeServer(http, {
    nodeId: config.nodeId,
    limits: config.limits,
    logger,
    router,
    conversations,
    metrics,
    tokens,
    accounts,
    sessions,
    onSessionOpened: (session) => {
      contacts.opened(session);
      reporter.opened(session);
    },
    onSessionReady: (session, list) => contacts.track(session, list),
    onlineContacts: (session) => presence.onlineAmong(contacts.contactsOf(session)),
    onSessionClosed: (session) => {
      reporter.closed(session);
      contacts.forget(session);
    },
  });
  reporter.start();
  const origins = config.limits.allowedOrigins;
  if (origins.any && origins.reason === 'local run') {
    logger.warn(
      { host: config.http.host },
      'WS_ALLOWED_ORIGINS is unset: any browser Origin may connect, as this is a local run (loopback HOST); set it before serving others',
    );
  } else if (!origins.any && origins.origins.length === 0) {
    logger.warn(
      'WS_ALLOWED_ORIGINS is unset: browsers (any Origin) are refused; set it to your web origins, or * for any',
    );
  }
  const accountNotices = await followAccountNotices({
    redis,
    redisPrefix: config.redis.prefix,
    accounts,
    sessions,
    contacts,
    logger,
  });
  logger.info({ host: config.http.host, port: config.http.port }, 'edge listening');

  return {
    logger,
    async stop() {
      await edge.stop();
      await closeServer(metricsServer);
      await reporter.stop();
      await accountNotices.stop();
      await deliveries.stop();
      await receiptAnnouncer.flush();
      await broker.close();
      await Promise.all([mongo.close(), redis.quit()]);
    },
  };
});
