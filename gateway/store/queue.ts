// The durable delivery queue the core hands messages to before a sender is acknowledged.
export interface QueuedItem<T> { readonly seq: number; readonly item: T }

export interface DeliveryQueue<T> {
  /** Resolves with the item's sequence number once the item is durable (survives a crash). */
  enqueue(item: T): Promise<number>;
  /** The item was delivered. Made durable with the next group commit; replay tolerates a lost ack. */
  ack(seq: number): void;
  /** Items enqueued and not acknowledged, oldest first (after a restart: what must be redelivered). */
  unacked(): IterableIterator<QueuedItem<T>>;
  readonly depth: number;
  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}
