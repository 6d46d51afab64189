import {
  type AccountVerdict,
  ChatError,
  CLIENT_FRAME_SCHEMAS,
  CLOSE_CODES,
  type ClientFrameType,
  isClientFrameType,
  parseInput,
} from '@chat/contracts';
import { refusalOf } from '@chat/runtime';
import type { EdgeServices, FrameHandler, FrameOrigin } from './handlers/handler.js';

/**
 * The account of a connected user was deleted (4003), or the session ended by a password change
 * (4004): the frame is refused and the socket closed with that code.
 */
export class AccountRefusedError extends ChatError {
  readonly closeCode: number;

  constructor(verdict: Exclude<AccountVerdict, 'live'>) {
    super('unauthorized', refusalOf(verdict).message);
    this.name = 'AccountRefusedError';
    this.closeCode = verdict === 'deleted' ? CLOSE_CODES.accountDeleted : CLOSE_CODES.sessionEnded;
  }
}

/**
 * Routes a parsed client frame to its handler after validating it against the frame type's
 * schema. Types the protocol knows but this node does not serve are `bad_request`, like unknown ones.
 */
export class FrameRouter {
  readonly #handlers = new Map<string, FrameHandler>();
  readonly #services: EdgeServices;

  constructor(handlers: FrameHandler<any>[], services: EdgeServices) {
    for (const handler of handlers) this.#handlers.set(handler.type, handler);
    this.#services = services;
  }

  /** Whether frames of this type count against the connection's costly-work budget. */
  isCostly(type: unknown): boolean {
    return isClientFrameType(type) && this.#handlers.get(type)?.costly === true;
  }

  async dispatch(origin: FrameOrigin, type: unknown, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    const handler = isClientFrameType(type) ? this.#handlers.get(type) : undefined;
    if (!handler) throw new ChatError('bad_request', unknownTypeMessage(type));
    const payload = parseInput(CLIENT_FRAME_SCHEMAS[type as ClientFrameType], frame, 'frame');
    const verdict = await this.#services.accounts.verdict(origin.userId, origin.sessionEpoch);
    if (verdict !== 'live') throw new AccountRefusedError(verdict);
    return handler.handle(origin, payload as never, this.#services);
  }
}

/** Why a frame's `type` names no operation, in the words a client developer needs. */
function unknownTypeMessage(type: unknown): string {
  if (type === undefined) return 'the frame has no type: every frame needs one, such as "message.send"';
  if (typeof type !== 'string') return `type must be a string such as "message.send", not ${describeFrameType(type)}`;
  return `unknown frame type ${describeFrameType(type)}`;
}

/**
 * A frame's `type` for messages and logs, whatever the client sent: never `String(type)`, which
 * throws for an object whose `toString` is not a function (`{"type": {"toString": true}}`).
 */
export function describeFrameType(type: unknown): string {
  return typeof type === 'string'
    ? JSON.stringify(type.slice(0, 64))
    : `of type ${type === null ? 'null' : typeof type}`;
}
