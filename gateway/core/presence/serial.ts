// Per-key serial execution (ours): the tasks of one key run one at a time, in the order they were
// added; tasks of different keys run concurrently. The presence core handles each event with
// awaits on the store and the bus, so two events that arrived in order (an XMPP `subscribed` and
// the presence the contact's server sends right after it, two NOTIFYs of one dialog) would
// otherwise interleave and take effect out of order.
//
// Memory: only keys with work in flight are held (an idle key is deleted), and a key's list of
// waiting tasks is only made when a second task arrives while one runs. No timeouts here: the
// tasks are bounded by their own (store writes, bus requests with a timeout).

/** An async function: it must not throw synchronously. */
export type SerialTask = () => Promise<void>;

export class SerialQueues {
  /** key → null: one task running, none waiting; → the tasks waiting behind the running one. */
  readonly #keys = new Map<string, SerialTask[] | null>();
  readonly #onError: (err: unknown, key: string) => void;

  /** onError hears a task's rejection; the key's next task runs all the same. */
  constructor(onError: (err: unknown, key: string) => void) {
    this.#onError = onError;
  }

  /** Keys with a task running. */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Runs the task at once when the key is idle (synchronously up to its first await, so an idle
   * key costs no extra turn), else after the tasks added for the key before it.
   */
  run(key: string, task: SerialTask): void {
    const waiting = this.#keys.get(key);
    if (waiting === undefined) {
      this.#keys.set(key, null);
      this.#start(key, task);
    } else if (waiting === null) {
      this.#keys.set(key, [task]);
    } else {
      waiting.push(task);
    }
  }

  #start(key: string, task: SerialTask): void {
    task().then(() => { this.#next(key); }, (err: unknown) => {
      this.#onError(err, key);
      this.#next(key);
    });
  }

  #next(key: string): void {
    const task = this.#keys.get(key)?.shift();
    if (task === undefined) this.#keys.delete(key);
    else this.#start(key, task);
  }
}
