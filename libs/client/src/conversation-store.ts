import type { Conversation, SessionConversation } from '@chat/contracts';
import { ConversationState } from './conversation-state.js';

/** Every conversation this client holds, by id. */
export class ConversationStore {
  readonly #conversations = new Map<string, ConversationState>();
  #selfId: string;

  constructor(selfId: string) {
    this.#selfId = selfId;
  }

  /** Set once the user is known (from the token, then from session.ready), before anything is held. */
  set selfId(userId: string) {
    this.#selfId = userId;
  }

  get(conversationId: string): ConversationState | undefined {
    return this.#conversations.get(conversationId);
  }

  has(conversationId: string): boolean {
    return this.#conversations.has(conversationId);
  }

  all(): ConversationState[] {
    return [...this.#conversations.values()];
  }

  /** The conversation, held from now on if it was not. */
  ensure(conversationId: string): ConversationState {
    let conversation = this.#conversations.get(conversationId);
    if (!conversation) {
      conversation = new ConversationState(conversationId, this.#selfId);
      this.#conversations.set(conversationId, conversation);
    }
    return conversation;
  }

  /** A listing of one conversation (session.ready, conversation.list, a create or open answer). */
  take(listing: Conversation & Partial<SessionConversation>): ConversationState {
    const conversation = this.ensure(listing.id);
    conversation.updateFrom(listing);
    return conversation;
  }

  /**
   * session.ready lists every conversation the user is a member of: one held here but not listed
   * was left or lost while this client was away. Returns those that changed.
   */
  takeSessionListing(listings: SessionConversation[]): ConversationState[] {
    const changed = listings.map((listing) => this.take(listing));
    const listed = new Set(listings.map((listing) => listing.id));
    for (const conversation of this.#conversations.values()) {
      if (listed.has(conversation.id) || !conversation.member) continue;
      conversation.member = false;
      conversation.sequencer.settle();
      changed.push(conversation);
    }
    return changed;
  }
}
