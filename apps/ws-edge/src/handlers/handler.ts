import type { ClientFrame, ClientFrameType } from '@chat/contracts';
import type { PresenceStore } from '@chat/presence-store';
import type { AccountCheck } from '@chat/runtime';
import type { AccessTokenVerifier } from '@chat/tokens';
import type { ContactIndex } from '../contact-index.js';
import type { ConversationService } from '../conversation-service.js';
import type { MessageIntake } from '../message-intake.js';
import type { ReadReceipts } from '../read-receipts.js';
import type { TypingRelay } from '../typing-relay.js';

/** What a handler may use: the services of this node. */
export interface EdgeServices {
  conversations: ConversationService;
  intake: MessageIntake;
  tokens: AccessTokenVerifier;
  reads: ReadReceipts;
  typing: TypingRelay;
  presence: PresenceStore;
  contacts: ContactIndex;
  /** Asked before every frame: a deleted account's socket stops at its next use. */
  accounts: AccountCheck;
}

/** The connection a frame came in on, as handlers see it. */
export interface FrameOrigin {
  /** The session's own id. */
  readonly id: string;
  readonly userId: string;
  /** The session epoch of the token the connection lives on (see `UserDocument.sessionEpoch`). */
  readonly sessionEpoch: number;
  /** Replaces the token whose expiry closes the connection. */
  extendUntil(expiresAtMs: number, sessionEpoch: number): void;
}

/** One client operation: the fields of its `ack` are what `handle` returns. */
export interface FrameHandler<T extends ClientFrameType = ClientFrameType> {
  type: T;
  /**
   * Work that grows with the frame (many ids to look up) or with the user (every conversation):
   * a connection may have only MAX_COSTLY_IN_FLIGHT of these at once.
   */
  costly?: true;
  handle(origin: FrameOrigin, frame: ClientFrame<T>, services: EdgeServices): Promise<Record<string, unknown>>;
}

/** Types a handler so its frame is the validated shape of its own frame type. */
export function defineHandler<T extends ClientFrameType>(handler: FrameHandler<T>): FrameHandler<T> {
  return handler;
}
