/**
 * How often one (user, conversation) is notified while it stays unread. The first notification
 * comes one collapse window after the message that opened it; each further one waits twice as
 * long as the gap before it, up to the longest window. A busy conversation the recipient is away
 * from thus costs a handful of notifications, not one per window: fewer pushes for the user, and
 * fewer jobs (each reads the log and records what it sent) for the database during a backlog.
 */
export interface PacingOptions {
  /** The first window, and the shortest gap between two notifications. */
  collapseMs: number;
  /** The longest window a streak grows to. */
  collapseMaxMs: number;
}

/**
 * The notifications of the streak: claimed since the recipient was last seen online, and when
 * the last one was claimed.
 */
export interface NotificationStreak {
  sent: number;
  lastAtMs: number;
}

/** The gap a streak of `sent` notifications leaves before the next one. */
export function gapAfter(sent: number, options: PacingOptions): number {
  if (sent <= 0) return options.collapseMs;
  return Math.min(options.collapseMs * 2 ** sent, options.collapseMaxMs);
}

/**
 * Whether a streak still holds: a recipient seen online since its last notification has caught
 * up (or could have), so the next message is news again and gets the first, short window.
 */
export function streakHolds(streak: NotificationStreak | undefined, lastSeenMs: number | undefined): boolean {
  return streak !== undefined && streak.sent > 0 && (lastSeenMs === undefined || lastSeenMs < streak.lastAtMs);
}

/** When the streak allows its next notification; undefined when it does not hold (no wait but the window). */
export function nextNotificationAt(
  streak: NotificationStreak | undefined,
  lastSeenMs: number | undefined,
  options: PacingOptions,
): number | undefined {
  return streak && streakHolds(streak, lastSeenMs) ? streak.lastAtMs + gapAfter(streak.sent, options) : undefined;
}

/** How long the job of a window opened at `nowMs` waits before it collects the window's messages. */
export function windowDelay(
  streak: NotificationStreak | undefined,
  lastSeenMs: number | undefined,
  nowMs: number,
  options: PacingOptions,
): number {
  const nextAt = nextNotificationAt(streak, lastSeenMs, options);
  if (nextAt === undefined) return options.collapseMs;
  return Math.min(Math.max(options.collapseMs, nextAt - nowMs), options.collapseMaxMs);
}
