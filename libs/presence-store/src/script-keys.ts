/**
 * The names of the presence keys, and the KEYS/ARGV layout the scripts read them in (see
 * scripts.ts). Every key starts with the base, whose {hash tag} puts them all in one cluster slot.
 */
export class PresenceKeys {
  readonly base: string;
  readonly nodes: string;
  readonly leaving: string;
  readonly outbox: string;
  readonly outboxLock: string;

  constructor(prefix: string) {
    this.base = `${prefix}:{presence}`;
    this.nodes = `${this.base}:nodes`;
    this.leaving = `${this.base}:leaving`;
    this.outbox = `${this.base}:outbox`;
    this.outboxLock = `${this.base}:outbox:lock`;
  }

  node(nodeId: string): string {
    return `${this.base}:node:${nodeId}`;
  }

  sessions(userId: string): string {
    return `${this.base}:user:${userId}`;
  }

  status(userId: string): string {
    return `${this.base}:status:${userId}`;
  }

  seen(userId: string): string {
    return `${this.base}:seen:${userId}`;
  }

  version(userId: string): string {
    return `${this.base}:version:${userId}`;
  }

  /**
   * A script call's keys and leading arguments for these nodes and users (each user once), to
   * be followed by the script's own arguments.
   */
  layout(nodeIds: readonly string[], userIds: readonly string[]): { keys: string[]; args: string[] } {
    const users = [...new Set(userIds)];
    const keys = [this.nodes, this.leaving, this.outbox, ...nodeIds.map((id) => this.node(id))];
    for (const user of users) keys.push(this.sessions(user), this.status(user), this.seen(user), this.version(user));
    return { keys, args: [String(nodeIds.length), String(users.length), ...nodeIds, ...users] };
  }
}

/** The user of a "userId|sessionId" entry of a node's set. */
export function userOfEntry(entry: string): string {
  const bar = entry.indexOf('|');
  return bar < 0 ? entry : entry.slice(0, bar);
}
