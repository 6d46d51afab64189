import { Counter, type Registry } from 'prom-client';

/**
 * The counters of every EventWorker of an app (the shape `@chat/broker`'s EventWorkerCounters
 * asks for), labelled by queue: what was handled, what was poison and where it went, what was
 * retried. An invalid event is always counted here, whatever its queue's poison policy.
 */
export function eventWorkerCounters(registry: Registry, app: string) {
  const registers = [registry];
  const handled = new Counter({
    name: `chat_${app}_events_handled_total`,
    help: 'Events handled and acked, by queue',
    labelNames: ['queue'],
    registers,
  });
  const poison = new Counter({
    name: `chat_${app}_events_poison_total`,
    help: 'Events that can never be handled (invalid, or refused by the handler), by queue and outcome (dead-lettered or dropped)',
    labelNames: ['queue', 'outcome'],
    registers,
  });
  const retried = new Counter({
    name: `chat_${app}_events_retried_total`,
    help: 'Events whose handler failed, by queue and what happened next (requeue, retry, dead)',
    labelNames: ['queue', 'step'],
    registers,
  });
  return {
    handled: (queue: string) => handled.inc({ queue }),
    poison: (queue: string, outcome: 'dead-lettered' | 'dropped') => poison.inc({ queue, outcome }),
    retried: (queue: string, step: { kind: 'requeue' | 'retry' | 'dead' }) => retried.inc({ queue, step: step.kind }),
  };
}
