import {
  ChatError,
  type Conversation,
  type CurrentMessage,
  type HistoryQuery,
  type LogCommand,
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
import { directKeyOf, toLogEntry } from '@chat/storage';
import { v7 as uuidv7 } from 'uuid';
import { UNREAD_COUNT_CAP } from './limits.js';
import type { LogCommands } from './log-commands.js';
import type { CachedConversation, MembershipCache } from './membership-cache.js';
import { requireBodyWithinLimit } from './message-intake.js';

export interface ConversationServiceDependencies {
  conversations: ConversationRepository;
  messages: MessageRepository;
  /** Each conversation's lastSeq: the head of its log. */
  heads: LogHeads;
  users: UserRepository;
  cache: MembershipCache;
  /** Asks a conversation's writer to append a change to its log. */
  commands: Pick<LogCommands, 'request'>;
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

  /** Adds a member (any member may); `seq` is the `member.changed` entry, `null` if they were one already. */
  async addMember(
    userId: string,
    conversationId: string,
    newMemberId: string,
  ): Promise<{ conversation: Conversation; seq: number | null }> {
    const conversation = await this.#requireGroupMember(userId, conversationId);
    if (!(await this.#deps.users.findById(newMemberId))) throw new ChatError('not_found', 'no such user');
    const members = (await this.#deps.conversations.membersOf([conversationId])).get(conversationId) ?? [];
    if (!members.includes(newMemberId) && members.length >= this.#deps.groupMaxMembers) {
      throw new ChatError(
        'bad_request',
        `the group is full: a group has at most ${this.#deps.groupMaxMembers} members`,
      );
    }
    const seq = await this.#deps.commands.request(userId, conversation, { kind: 'member.add', userId: newMemberId });
    return { conversation: await this.#current(conversationId), seq };
  }

  /** Leaves a group; `seq` is the `member.changed` entry. */
  async leave(userId: string, conversationId: string): Promise<{ seq: number | null }> {
    const conversation = await this.#requireGroupMember(userId, conversationId);
    const seq = await this.#deps.commands.request(userId, conversation, { kind: 'member.leave' });
    this.#deps.cache.invalidate(conversationId);
    return { seq };
  }

  /** The owner removes a member; their pushes stop and their `log.get` ends at this entry. */
  async removeMember(userId: string, conversationId: string, memberId: string): Promise<{ seq: number | null }> {
    const conversation = await this.#requireOwner(userId, conversationId, 'remove members');
    if (memberId === userId) throw new ChatError('bad_request', 'the owner leaves with conversation.leave');
    const seq = await this.#deps.commands.request(userId, conversation, { kind: 'member.remove', userId: memberId });
    this.#deps.cache.invalidate(conversationId);
    return { seq };
  }

  /** The owner renames a group. */
  async rename(userId: string, conversationId: string, title: string): Promise<{ seq: number | null }> {
    const conversation = await this.#requireOwner(userId, conversationId, 'rename it');
    return { seq: await this.#deps.commands.request(userId, conversation, { kind: 'conversation.rename', title }) };
  }

  /**
   * A member's change to a message (edit, delete, reaction). Who may make it (the sender, a
   * group's owner) and whether it applies are for the conversation's writer to judge.
   */
  async changeMessage(
    userId: string,
    conversationId: string,
    command: Extract<LogCommand, { messageId: string }>,
  ): Promise<{ seq: number | null }> {
    if (command.kind === 'message.edit') requireBodyWithinLimit(command.body);
    const conversation = await this.requireMember(userId, conversationId);
    return { seq: await this.#deps.commands.request(userId, conversation, command) };
  }

  async #requireGroupMember(userId: string, conversationId: string): Promise<CachedConversation> {
    const conversation = await this.requireMember(userId, conversationId);
    if (conversation.kind !== 'group') throw new ChatError('bad_request', 'a direct conversation has no such change');
    return conversation;
  }

  async #requireOwner(userId: string, conversationId: string, what: string): Promise<CachedConversation> {
    const conversation = await this.#requireGroupMember(userId, conversationId);
    if (conversation.ownerId !== userId) throw new ChatError('forbidden', `only the group's owner can ${what}`);
    return conversation;
  }

  /** Every conversation of the user, with members, lastSeq and unread: what `session.ready` carries. */
  async list(userId: string): Promise<SessionConversation[]> {
    return this.snapshot(userId);
  }

  /**
   * What a client needs on connect: every conversation with its lastSeq and the user's unread
   * count (messages after their read cursor that others sent), newest activity first.
   */
  async snapshot(userId: string): Promise<SessionConversation[]> {
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
          lastSeq > readSeq
            ? await this.#deps.messages.countUnread(
                document._id,
                userId,
                { afterSeq: readSeq, upToSeq: lastSeq },
                UNREAD_COUNT_CAP,
              )
            : 0;
        return { ...toConversation(document, members.get(document._id) ?? [], lastSeq), unread };
      }),
    );
    return rows.sort((a, b) => b.lastSeq - a.lastSeq || a.id.localeCompare(b.id));
  }

  /** A page of messages in their current state: folded with the entries about them, as the asker sees them. */
  async history(userId: string, query: HistoryQuery): Promise<CurrentMessage[]> {
    await this.requireMember(userId, query.conversationId);
    const folded = await this.#deps.messages.folded(await this.#deps.messages.page(query));
    return folded.map((message) => message.current(userId));
  }

  /**
   * The log after `afterSeq`, ascending: every kind of entry, each as the push that announced
   * it. A member who left or was removed reads it up to that entry and nothing after.
   */
  async log(userId: string, query: LogQuery): Promise<LogEntry[]> {
    let upToSeq: number | undefined;
    try {
      await this.requireMember(userId, query.conversationId);
    } catch (error) {
      if (!(error instanceof ChatError) || error.code !== 'forbidden') throw error;
      const last = await this.#deps.messages.lastMemberEntry(query.conversationId, userId);
      if (!last || last.change === 'added') throw error;
      upToSeq = last.seq;
    }
    const documents = await this.#deps.messages.entries(query.conversationId, query.afterSeq, query.limit, upToSeq);
    return documents.map(toLogEntry);
  }

  /** A conversation as it stands now, read past the cache (after a change of its members). */
  async #current(conversationId: string): Promise<Conversation> {
    this.#deps.cache.invalidate(conversationId);
    const [document, members, lastSeq] = await Promise.all([
      this.#deps.conversations.findById(conversationId),
      this.#deps.conversations.membersOf([conversationId]),
      this.#deps.heads.headOf(conversationId),
    ]);
    if (!document) throw new ChatError('not_found', 'no such conversation');
    return toConversation(document, members.get(conversationId) ?? [], lastSeq);
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
