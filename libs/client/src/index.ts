export {
  ChatClient,
  type ChatClientEvents,
  type ChatClientOptions,
  type ConnectionState,
  type SentMessage,
  type Session,
} from './client.js';
export { ConversationState, entryConversation, entrySeq, type Receipt } from './conversation.js';
export { Emitter } from './emitter.js';
export { ChatClientError, type ClientErrorCode } from './errors.js';
export { IndexedDbOutboxStorage } from './indexeddb-outbox.js';
export {
  MemoryOutboxStorage,
  type OutboxEntry,
  type OutboxRecord,
  type OutboxStatus,
  type OutboxStorage,
} from './outbox.js';
export type { FetchLike, WebSocketConstructorLike, WebSocketLike } from './transport.js';
