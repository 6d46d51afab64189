/** Messages between the benchmark's main thread and its load-generator worker threads. */

export type Transport = 'chat' | 'socketio';

export interface PairSpec {
  senderToken: string;
  receiverToken: string;
  conversationId: string;
  /** Index into the setup's urls: where the sender connects; the receiver takes the next node. */
  sendNode: number;
}

/** The log's other client frames (edits, deletes, reactions), each answered by `ack {seq}`. */
export const MIXED_KINDS = ['message.edit', 'reaction.add', 'reaction.remove', 'message.delete'] as const;
export type MixedKind = (typeof MIXED_KINDS)[number];

export type WorkerCommand =
  | { kind: 'setup-pairs'; transport: Transport; urls: string[]; pairs: PairSpec[] }
  | {
      kind: 'step';
      tag: string;
      rate: number;
      durationMs: number;
      graceMs: number;
      /** Share of the sends that are edits, deletes and reactions instead of new messages (0: none). */
      mixedShare?: number;
    }
  | {
      kind: 'setup-fanout';
      transport: Transport;
      urls: string[];
      conversationId: string;
      members: Array<{ token: string; url: number }>;
      sender: { token: string; url: number };
    }
  | { kind: 'fanout'; messages: number; intervalMs: number; graceMs: number }
  | { kind: 'setup-idle'; url: string; tokens: string[]; concurrency: number }
  | { kind: 'relay'; url: string; pairs: number; durationMs: number }
  | { kind: 'close' };

export interface StepResult {
  kind: 'step-result';
  sent: number;
  acked: number;
  errors: Record<string, number>;
  received: number;
  /** Received more than once (should never happen). */
  duplicates: number;
  /** Acked but not received within the grace period. */
  missing: number;
  latenciesMs: number[];
  /**
   * The same messages' latencies cut at the edge's acceptance (the `createdAt` it stamps), in
   * wall-clock milliseconds: send → accepted, and accepted → the recipient's push. The peer
   * stamps nothing, so these are empty for it.
   */
  split: { toAcceptedMs: number[]; acceptedToPushMs: number[] };
  /** Edits, deletes and reactions sent (0 unless mixedShare > 0); `acked` counts new messages only. */
  mixed: { sent: number; acked: number; errors: Record<string, number>; ackLatenciesMs: number[] };
  /** When the first send and the last receive of the step happened (ms, shared clock). */
  startedAt: number;
  lastReceivedAt: number;
}

export interface FanoutResult {
  kind: 'fanout-result';
  /** Per message: until the last member had it. */
  lastMemberMs: number[];
  firstMemberMs: number[];
  missing: number;
}

export interface IdleResult {
  kind: 'idle-result';
  connected: number;
  failed: number;
  firstError?: string;
  elapsedMs: number;
}

export interface RelayResult {
  kind: 'relay-result';
  sent: number;
  received: number;
  elapsedMs: number;
  latenciesMs: number[];
}

export type WorkerReply =
  | { kind: 'ready'; error?: string }
  | StepResult
  | FanoutResult
  | IdleResult
  | RelayResult
  | { kind: 'closed' };
