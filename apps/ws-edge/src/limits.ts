/** Limits of one edge node, one place each. Configurable ones come from the environment. */

/** Larger frames close the connection with 1009 (ws enforces it before parsing). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** A client whose unsent data passes this is too slow to keep: closed with 1013. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Bad frames (garbage, wrong types) a connection may send before it is closed with 1008... */
export const BAD_FRAME_ALLOWANCE = 20;
/** ...refilled at this rate, so an occasional mistake never adds up. */
export const BAD_FRAME_REFILL_PER_S = 0.2;
/** Rate-limited frames a connection may keep sending before it is closed with 1008. */
export const RATE_LIMIT_ALLOWANCE = 200;
export const RATE_LIMIT_STRIKE_REFILL_PER_S = 2;
/** Frames of one connection being worked on at once; past it, `rate_limited`. */
export const MAX_IN_FLIGHT_FRAMES = 1_000;
/**
 * Costly frames (groups, member changes, conversation lists, presence queries, receipts, log
 * reads) of one connection being worked on at once; past it, `rate_limited`. One client cannot
 * queue up thousands of database lookups in front of everyone else's.
 */
export const MAX_COSTLY_IN_FLIGHT = 4;
/** `unread` is counted up to here (a client shows "10000+"). */
export const UNREAD_COUNT_CAP = 10_000;
/** How long a closing socket may take to say goodbye before it is cut. */
export const CLOSE_GRACE_MS = 2_000;
/**
 * A slow reader's close frame sits behind up to MAX_BUFFERED_BYTES of unread data; it gets this
 * long to read through to it (nothing more is queued meanwhile) before it is cut.
 */
export const SLOW_CLIENT_CLOSE_GRACE_MS = 10_000;
/**
 * How long a change (edit, delete, reaction, membership, rename) waits for its conversation's
 * writer to answer before the client is told `unavailable`. The writer normally answers within a
 * batch; past this it is down, busy with a backlog, or its answer was lost. Repeating is safe.
 */
export const COMMAND_ANSWER_TIMEOUT_MS = 5_000;
/** How often the node closes connections whose access token expired (they close within this of expiry). */
export const EXPIRY_SWEEP_MS = 1_000;
