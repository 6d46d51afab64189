/**
 * The Redis pub/sub channel on which auth announces a deleted account (the message is the user
 * id), so every edge refuses that account's tokens and closes its sockets at once, not when
 * its cached "exists" expires. A missed notice costs at most that expiry (LIVE_ACCOUNT_TTL_MS).
 */
export function accountDeletedChannel(redisPrefix: string): string {
  return `${redisPrefix}:accounts:deleted`;
}
