// The bus the roles talk over. The consumer's view: subjects, queue groups, request/reply.
// Drivers: memory (one process, embedded default) and NATS (distributed mode, later).
// Payloads are plain data (objects, strings, numbers, Uint8Array); a receiver must not mutate them.

export interface Subscription { unsubscribe(): void }

export interface Bus {
  /** Fire-and-forget to every subscriber (one per queue group). */
  publish(subject: string, data: unknown): void;
  subscribe(subject: string, handler: (data: unknown, subject: string) => void, opts?: { queue?: string }): Subscription;
  /**
   * Answer requests on a subject; with a queue group, one responder of the group answers each.
   * The handler returns the answer or a promise of it.
   */
  serve(subject: string, handler: (data: unknown) => unknown, opts?: { queue?: string }): Subscription;
  request(subject: string, data: unknown, opts?: { timeoutMs?: number }): Promise<unknown>;
  close(): Promise<void>;
}

export class BusError extends Error {
  readonly code: 'no-responders' | 'timeout' | 'closed';
  constructor(code: BusError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BusError';
    this.code = code;
  }
}
