/** Messages between the benchmark's main thread and its load-generator worker threads. */

export type Transport = 'chat' | 'socketio';

export interface PairSpec {
  senderToken: string;
  receiverToken: string;
  conversationId: string;
}

export type WorkerCommand =
  | { kind: 'setup-pairs'; transport: Transport; sendUrl: string; receiveUrl: string; pairs: PairSpec[] }
  | { kind: 'step'; tag: string; rate: number; durationMs: number; graceMs: number }
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
