import { EVENTS, type EventPublisher } from '@chat/broker';
import {
  ChatError,
  type CommandAnsweredEvent,
  type CommandRequestedEvent,
  type LogCommand,
  UnavailableError,
} from '@chat/contracts';
import { v4 as uuidv4 } from 'uuid';
import { COMMAND_ANSWER_TIMEOUT_MS } from './limits.js';

/** The conversation a command is about, as the edge knows it. */
export interface CommandTarget {
  id: string;
  ownerId?: string | undefined;
  members: ReadonlySet<string>;
}

interface Waiting {
  resolve: (seq: number | null) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface LogCommandsOptions {
  /** This node's own queue, where the writers' answers come back. */
  replyTo: string;
  timeoutMs?: number;
}

/**
 * Asks a conversation's writer for a change and waits for its answer: broker request/reply, the
 * command on chat.inbound (hashed with the conversation's messages, so ordered with them), the
 * answer on this node's own queue, matched by the command's id. Only the writer knows whether a
 * change applies (the message may be deleted meanwhile); no answer in time is `unavailable`.
 */
export class LogCommands {
  readonly #publisher: EventPublisher;
  readonly #options: Required<LogCommandsOptions>;
  readonly #waiting = new Map<string, Waiting>();

  constructor(publisher: EventPublisher, options: LogCommandsOptions) {
    this.#publisher = publisher;
    this.#options = { timeoutMs: COMMAND_ANSWER_TIMEOUT_MS, ...options };
  }

  /** Resolves with the seq of the entry that stands for the change (`null`: nothing to write), or rejects with the writer's error. */
  async request(actorId: string, conversation: CommandTarget, command: LogCommand): Promise<number | null> {
    const event: CommandRequestedEvent = {
      type: 'command.requested',
      commandId: uuidv4(),
      conversationId: conversation.id,
      actorId,
      ...(conversation.ownerId === undefined ? {} : { ownerId: conversation.ownerId }),
      command,
      requestedAt: new Date().toISOString(),
      members: [...conversation.members],
      replyTo: this.#options.replyTo,
    };
    const answer = new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(event.commandId);
        reject(new UnavailableError('the conversation did not answer in time; repeating the request is safe'));
      }, this.#options.timeoutMs);
      this.#waiting.set(event.commandId, { resolve, reject, timer });
    });
    // Observed below; a publish failure must not leave it unhandled.
    answer.catch(() => undefined);
    try {
      await this.#publisher.publish(EVENTS.commandRequested, event);
    } catch (error) {
      this.#settle(event.commandId)?.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return answer;
  }

  /** An answer arrived on this node's queue; one nobody waits for (timed out, or another life of this node) is dropped. */
  answered(event: CommandAnsweredEvent): void {
    const waiting = this.#settle(event.commandId);
    if (!waiting) return;
    if (event.outcome.ok) waiting.resolve(event.outcome.seq);
    else waiting.reject(new ChatError(event.outcome.code, event.outcome.message));
  }

  /** Commands still waiting for their answer. */
  get waiting(): number {
    return this.#waiting.size;
  }

  #settle(commandId: string): Waiting | undefined {
    const waiting = this.#waiting.get(commandId);
    if (!waiting) return undefined;
    clearTimeout(waiting.timer);
    this.#waiting.delete(commandId);
    return waiting;
  }
}
