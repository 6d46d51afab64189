import type { ConversationKind, Receipt } from '@chat/contracts';
import type { Collection } from 'mongodb';
import type { ConversationDocument, MembershipDocument } from './documents.js';
import { isDuplicateKeyError } from './duplicate-key.js';
import type { ServerDialect } from './server-dialect.js';

/** The key of the one direct conversation between two users, whoever opens it. */
export function directKeyOf(a: string, b: string): string {
  return [a, b].sort().join(':');
}

export function membershipIdOf(conversationId: string, userId: string): string {
  return `${conversationId}:${userId}`;
}

/**
 * Conversations and their members. Membership is one document per member, so joining and
 * leaving are an insert and a delete that no concurrent write can undo (FerretDB loses
 * concurrent in-place updates of one document).
 */
export class ConversationRepository {
  readonly #conversations: Collection<ConversationDocument>;
  readonly #memberships: Collection<MembershipDocument>;
  readonly #dialect: ServerDialect;

  constructor(
    conversations: Collection<ConversationDocument>,
    memberships: Collection<MembershipDocument>,
    dialect: ServerDialect,
  ) {
    this.#conversations = conversations;
    this.#memberships = memberships;
    this.#dialect = dialect;
  }

  findById(id: string): Promise<ConversationDocument | null> {
    return this.#conversations.findOne({ _id: id });
  }

  async findManyByIds(ids: readonly string[]): Promise<ConversationDocument[]> {
    return this.#dialect.findIn(this.#conversations, '_id', ids);
  }

  findByDirectKey(directKey: string): Promise<ConversationDocument | null> {
    return this.#conversations.findOne({ directKey });
  }

  /**
   * Inserts a conversation. For a direct one, a concurrent insert of the same pair loses on
   * the unique `directKey` index and gets the winner back: never check-then-insert.
   */
  async insertOrGetDirect(conversation: ConversationDocument & { directKey: string }): Promise<ConversationDocument> {
    try {
      await this.#conversations.insertOne(conversation);
      return conversation;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await this.findByDirectKey(conversation.directKey);
      if (!existing) throw error;
      return existing;
    }
  }

  /**
   * Sets the title a `conversation.renamed` entry at `seq` gave it, unless a later rename set it
   * already (a rename re-applied after a retry must not undo a newer one).
   */
  async rename(conversationId: string, title: string, seq: number): Promise<void> {
    await this.#dialect.update(() =>
      this.#conversations.updateOne(
        { _id: conversationId, $or: [{ titleSeq: { $exists: false } }, { titleSeq: { $lt: seq } }] },
        { $set: { title, titleSeq: seq } },
      ),
    );
  }

  async insert(conversation: ConversationDocument): Promise<void> {
    await this.#conversations.insertOne(conversation);
  }

  /** Adds members; those already in are left as they are. Returns the ids actually added. */
  async addMembers(conversationId: string, userIds: readonly string[], at: Date): Promise<string[]> {
    const added: string[] = [];
    // One insert each: a duplicate (already a member) must not stop the others.
    await Promise.all(
      userIds.map(async (userId) => {
        try {
          await this.#memberships.insertOne({
            _id: membershipIdOf(conversationId, userId),
            conversationId,
            userId,
            joinedAt: at,
            readSeq: 0,
            deliveredSeq: 0,
          });
          added.push(userId);
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
        }
      }),
    );
    return added;
  }

  /** Removes a member; false if they were not one. */
  async removeMember(conversationId: string, userId: string): Promise<boolean> {
    const result = await this.#memberships.deleteOne({ _id: membershipIdOf(conversationId, userId) });
    return result.deletedCount === 1;
  }

  findMembership(conversationId: string, userId: string): Promise<MembershipDocument | null> {
    return this.#memberships.findOne({ _id: membershipIdOf(conversationId, userId) });
  }

  /** Every membership of a user: the conversations they are in, with their read cursors. */
  membershipsOf(userId: string): Promise<MembershipDocument[]> {
    return this.#memberships.find({ userId }, this.#dialect.readOptions()).toArray();
  }

  /** Member ids per conversation (in the order they joined), for several conversations. */
  async membersOf(conversationIds: readonly string[]): Promise<Map<string, string[]>> {
    const members = new Map<string, string[]>(conversationIds.map((id) => [id, []]));
    const rows = await this.#dialect.findIn(this.#memberships, 'conversationId', conversationIds);
    rows.sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || a._id.localeCompare(b._id));
    for (const row of rows) members.get(row.conversationId)?.push(row.userId);
    return members;
  }

  /**
   * Moves a member's cursors forward, never back (`$max`): `read` raises both (what one has read,
   * one's device holds), `delivered` only the delivered one. True when either moved. On FerretDB
   * the update is read-then-write, which callers serialize per member.
   */
  async advanceCursors(conversationId: string, userId: string, cursor: 'read' | 'delivered', seq: number) {
    const raised = cursor === 'read' ? { readSeq: seq, deliveredSeq: seq } : { deliveredSeq: seq };
    const result = await this.#dialect.update(() =>
      this.#memberships.updateOne({ _id: membershipIdOf(conversationId, userId) }, { $max: raised }),
    );
    return result.modifiedCount === 1;
  }

  /** Every member's cursors in one conversation. */
  async receiptsOf(conversationId: string): Promise<Receipt[]> {
    const rows = await this.#memberships.find({ conversationId }, this.#dialect.readOptions()).toArray();
    return rows.map(receiptOf);
  }
}

export type { ConversationKind };

/** A membership's cursors as clients see them; one from before delivery receipts reads as delivered up to its read cursor. */
export function receiptOf(membership: MembershipDocument): Receipt {
  return {
    userId: membership.userId,
    deliveredSeq: Math.max(membership.deliveredSeq ?? 0, membership.readSeq),
    readSeq: membership.readSeq,
  };
}
