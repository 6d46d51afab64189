import type { EventPublisher } from '@chat/broker';
import type { Logger } from '@chat/logger';
import { expect } from 'chai';
import { LocalSessions } from '../../apps/ws-edge/src/local-sessions.js';
import { PresenceReporter } from '../../apps/ws-edge/src/presence-reporter.js';

/** A logger that keeps what it was asked to log, by level. */
function recordingLogger(): { logger: Logger; lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const logger: Record<string, unknown> = {};
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
    logger[level] = (_fields: unknown, message: string) => lines.push([level, message]);
  }
  logger.child = () => logger;
  return { logger: logger as unknown as Logger, lines };
}

describe('presence reporter', () => {
  it('warns once when presence events cannot be published, not at every heartbeat, and says when they flow again', async () => {
    let brokerUp = false;
    const publisher = {
      publish: async () => {
        if (!brokerUp) throw new Error('no route to presence.events');
      },
    } as unknown as EventPublisher;
    const { logger, lines } = recordingLogger();
    const reporter = new PresenceReporter({
      nodeId: 'edge-test',
      publisher,
      sessions: new LocalSessions(),
      logger,
      heartbeatIntervalMs: 60_000,
    });
    for (let i = 0; i < 5; i += 1) await reporter.snapshot();
    expect(lines.filter(([level]) => level === 'warn')).to.have.length(1);
    expect(lines.filter(([level]) => level === 'debug')).to.have.length(4);
    brokerUp = true;
    await reporter.snapshot();
    expect(lines.at(-1)).to.deep.equal(['info', 'presence events published again']);
    brokerUp = false;
    await reporter.snapshot();
    expect(lines.filter(([level]) => level === 'warn')).to.have.length(2);
  });
});
