import {
  ChatError,
  type ChatMessage,
  type Conversation,
  type HistoryQuery,
  LOG_DEFAULT_LIMIT,
  type LogEntry,
  type LogQuery,
  type SessionConversation,
} from '@chat/contracts';
import type {
  ConversationDocument,
  ConversationRepository,
  LogHeads,
  MessageRepository,
  UserRepository,
} from '@chat/storage';
import { directKeyOf, toChatMessage } from '@chat/storage';
import { v7 as uuidv7 } from 'uuid';
import { UNREAD_COUNT_CAP } from './limits.js';
import type { CachedConversation, MembershipCache } from './membership-cache.js';

export interface ConversationServiceDependencies {
  conversations: ConversationRepository;
  messages: MessageRepository;
  /** Each conversation's lastSeq: the head of its log. */
  heads: LogHeads;
  users: UserRepository;
  cache: MembershipCache;
  /** Tells every edge node (this one included) that a conversation's members changed. */
  announceMembership: (conversationId: string, members: string[]) => Promise<void>;
  /** Members a group may have, its creator included (GROUP_MAX_MEMBERS). */
  groupMaxMembers: number;
}

/**
 * Conversations and history as one user may see and change them. Shared by the WebSocket
 * handlers and the REST routes, so both enforce the same rules.
 */
export class ConversationService {
  readonly #deps: ConversationServiceDependencies;

  constructor(deps: ConversationServiceDependencies) {
    this.#deps = deps;
  }

  /**
   * The conversation, if `userId` is a member. A miss in the cache is confirmed against the
   * database before refusing, so a member just added on another node is never turned away.
   */
  async requireMember(userId: string, conversationId: string): Promise<CachedConversation> {
    let conversation = await this.#deps.cache.get(conversationId);
    if (!conversation?.members.has(userId)) conversation = await this.#deps.cache.fresh(conversationId);
    if (!conversation) throw new ChatError('not_found', 'no such conversation');
    if (!conversation.members.has(userId))
      throw new ChatError('forbidden', 'you are not a member of this conversation');
    return conversation;
  }

  /** Refuses with `not_found` unless `messageId` is a stored message of this conversation. */
  async requireMessage(conversationId: string, messageId: string): Promise<void> {
    if (!(await this.#deps.messages.isIn(conversationId, messageId)))
      throw new ChatError('not_found', 'no such message in this conversation');
  }

  /** The one direct conversation between two users, created on first use (also under concurrency). */
  async openDirect(
    userId: string,
    target: { userId?: string | undefined; login?: string | undefined },
  ): Promise<Conversation> {
    const other = target.userId
      ? await this.#deps.users.findById(target.userId)
      : await this.#deps.users.findByLogin((target.login ?? '').toLowerCase());
    if (!other) throw new ChatError('not_found', 'no such user');
    if (other._id === userId) throw new ChatError('bad_request', 'a direct conversation needs another user');
    const directKey = directKeyOf(userId, other._id);
    const conversation =
      (await this.#deps.conversations.findByDirectKey(directKey)) ??
      (await this.#deps.conversations.insertOrGetDirect({
        _id: uuidv7(),
        kind: 'direct',
        directKey,
        lastSeq: 0,
        createdBy: userId,
        createdAt: new Date(),
      }));
    // Both sides add whichever member is missing: whoever loses the insert race still ends
    // with a complete pair, and an existing conversation costs no write.
    const pair = [userId, other._id].sort();
    const existing = new Set((await this.#deps.conversations.membersOf([conversation._id])).get(conversation._id));
    const missing = pair.filter((id) => !existing.has(id));
    if (missing.length > 0) {
      await this.#deps.conversations.addMembers(conversation._id, missing, conversation.createdAt);
      await this.#deps.announceMembership(conversation._id, pair);
    }
    return toConversation(conversation, pair, await this.#deps.heads.headOf(conversation._id));
  }

  async createGroup(userId: string, spec: { title: string; members: string[] }): Promise<Conversation> {
    const memberIds = [...new Set([userId, ...spec.members])];
    if (memberIds.length > this.#deps.groupMaxMembers) {
      throw new ChatError(
        'bad_request',
        `a group has at most ${this.#deps.groupMaxMembers} members, its creator included (${memberIds.length} given)`,
      );
    }
    const missing = await this.#deps.users.firstMissingId(memberIds);
    if (missing !== undefined) throw new ChatError('not_found', `no such user: ${missing}`);
    const now = new Date();
    const conversation: ConversationDocument = {
      _id: uuidv7(),
      kind: 'group',
      title: spec.title,
      lastSeq: 0,
      createdBy: userId,
      createdAt: now,
    };
    await this.#deps.conversations.insert(conversation);
    await this.#deps.conversations.addMembers(conversation._id, memberIds, now);
    await this.#deps.announceMembership(conversation._id, memberIds);
    return toConversation(conversation, memberIds, 0);
  }

  async addMember(userId: string, conversationId: string, newMemberId: string): Promise<Conversation> {
    const conversation = await this.requireMember(userId, conversationId);
    if (conversation.kind !== 'group') throw new ChatError('bad_request', 'members can only be added to a group');
    if (!(await this.#deps.users.findById(newMemberId))) throw new ChatError('not_found', 'no such user');
    const members = (await this.#deps.conversations.membersOf([conversationId])).get(conversationId) ?? [];
    if (!members.includes(newMemberId) && members.length >= this.#deps.groupMaxMembers) {
      throw new ChatError(
        'bad_request',
        `the group is full: a group has at most ${this.#deps.groupMaxMembers} members`,
      );
    }
    await this.#deps.conversations.addMembers(conversationId, [newMemberId], new Date());
    return this.#afterMembershipChange(conversationId);
  }

  async leave(userId: string, conversationId: string): Promise<void> {
    const conversation = await this.requireMember(userId, conversationId);
    if (conversation.kind !== 'group') throw new ChatError('bad_request', 'a direct conversation cannot be left');
    await this.#deps.conversations.removeMember(conversationId, userId);
    await this.#afterMembershipChange(conversationId);
  }

  /** Every conversation of the user, with members and lastSeq. */
  async list(userId: string): Promise<Conversation[]> {
    return (await this.snapshot(userId, false)).map(({ unread: _unread, ...conversation }) => conversation);
  }

  /**
   * What a client needs on connect: every conversation with its lastSeq and the user's unread
   * count (messages after their read cursor that others sent), newest activity first.
   */
  async snapshot(userId: string, withUnread = true): Promise<SessionConversation[]> {
    const memberships = await this.#deps.conversations.membershipsOf(userId);
    const ids = memberships.map((membership) => membership.conversationId);
    const [documents, members, heads] = await Promise.all([
      this.#deps.conversations.findManyByIds(ids),
      this.#deps.conversations.membersOf(ids),
      this.#deps.heads.of(ids),
    ]);
    const readSeqs = new Map(memberships.map((membership) => [membership.conversationId, membership.readSeq]));
    const rows = await Promise.all(
      documents.map(async (document) => {
        const readSeq = readSeqs.get(document._id) ?? 0;
        const lastSeq = heads.get(document._id) ?? 0;
        const unread =
          withUnread && lastSeq > readSeq
            ? await this.#deps.messages.countUnread(document._id, userId, readSeq, UNREAD_COUNT_CAP)
            : 0;
        return { ...toConversation(document, members.get(document._id) ?? [], lastSeq), unread };
      }),
    );
    return rows.sort((a, b) => b.lastSeq - a.lastSeq || a.id.localeCompare(b.id));
  }

  async history(userId: string, query: HistoryQuery): Promise<ChatMessage[]> {
    await this.requireMember(userId, query.conversationId);
    const documents = await this.#deps.messages.page(query);
    return documents.map(toChatMessage);
  }

  /**
   * The log after `afterSeq`, ascending, for a member. Its only entries so far are new
   * messages, so the log is the messages collection read by seq.
   */
  async log(userId: string, query: LogQuery): Promise<LogEntry[]> {
    await this.requireMember(userId, query.conversationId);
    const documents = await this.#deps.messages.page({
      conversationId: query.conversationId,
      afterSeq: query.afterSeq,
      limit: query.limit ?? LOG_DEFAULT_LIMIT,
    });
    return documents.map((document) => ({ type: 'message.new', message: toChatMessage(document) }));
  }

  async #afterMembershipChange(conversationId: string): Promise<Conversation> {
    const [document, members, lastSeq] = await Promise.all([
      this.#deps.conversations.findById(conversationId),
      this.#deps.conversations.membersOf([conversationId]),
      this.#deps.heads.headOf(conversationId),
    ]);
    if (!document) throw new ChatError('not_found', 'no such conversation');
    const memberIds = members.get(conversationId) ?? [];
    this.#deps.cache.invalidate(conversationId);
    await this.#deps.announceMembership(conversationId, memberIds);
    return toConversation(document, memberIds, lastSeq);
  }
}

/** A conversation as clients see it; `lastSeq` is its log's head (`LogHeads`), not a stored field. */
export function toConversation(document: ConversationDocument, members: string[], lastSeq: number): Conversation {
  return {
    id: document._id,
    kind: document.kind,
    ...(document.title === undefined ? {} : { title: document.title }),
    // A group's creator owns it (renames, removes members, deletes others' messages).
    ...(document.kind === 'group' ? { ownerId: document.createdBy } : {}),
    members,
    lastSeq,
    createdAt: document.createdAt.toISOString(),
  };
}
