import { parseArgs } from 'node:util';
import { BrokerConnection, ConfirmPublisher, deadQueue, EXCHANGES } from '@chat/broker';
import { dlqReplayEnv, loadConfig } from '@chat/config';
import { createLogger } from '@chat/logger';
import amqp from 'amqplib';
import { replayDeadLetters } from './dlq/replay.js';

const USAGE = `usage: npm run dlq:replay -- [--dry-run] [--limit N] [--reason <substring>]

Moves messages from persister.dead back into chat.inbound (with publisher confirms; each is
acked only after its copy is confirmed), resetting their attempt count.
  --dry-run          list what would be moved and why each died; move nothing
  --limit N          move at most N messages (default: all)
  --reason TEXT      only messages whose death reason contains TEXT (case-insensitive)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      limit: { type: 'string' },
      reason: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
  if (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY) throw new Error('--limit must be a whole number');
  if (limit < 0) throw new Error('--limit must not be negative');

  const config = loadConfig(dlqReplayEnv);
  const logger = createLogger({ app: 'dlq-replay', level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const connection = await BrokerConnection.connect({
    url: config.broker.url,
    connectionName: 'dlq-replay',
    logger,
    // It reads persister.dead and publishes to chat.inbound: it needs neither the shard count nor the ladder.
    topology: { exchanges: [EXCHANGES.inbound], queues: [deadQueue] },
    initialMaxRetries: 2,
  });
  const publisher = new ConfirmPublisher(connection, logger);
  await connection.register(publisher);
  // A plain connection of its own for reading: unacked (skipped) messages return when it closes.
  const reader = await amqp.connect(config.broker.url, { clientProperties: { connection_name: 'dlq-replay reader' } });
  try {
    const channel = await reader.createChannel();
    const report = await replayDeadLetters(channel, publisher, {
      dryRun: values['dry-run'],
      limit,
      reason: values.reason,
    });
    for (const item of report.items) {
      if (item.outcome === 'skipped') continue;
      process.stdout.write(
        `${item.outcome.padEnd(10)} ${item.messageId} conversation=${item.conversationId} died=${item.diedAt} from=${item.from} reason=${JSON.stringify(item.reason)}${item.error ? ` error=${JSON.stringify(item.error)}` : ''}\n`,
      );
    }
    const wouldMove = report.items.filter((item) => item.outcome === 'would move').length;
    process.stdout.write(
      values['dry-run']
        ? `dry run: ${report.scanned} dead messages scanned, ${wouldMove} would be moved, ${report.skipped} left (filter or limit)\n`
        : `${report.scanned} dead messages scanned, ${report.moved} moved to chat.inbound, ${report.skipped} left (filter or limit), ${report.failed} failed\n`,
    );
    return report.failed > 0 ? 1 : 0;
  } finally {
    await reader.close().catch(() => undefined);
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dlq:replay: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
