/**
 * A stream's send queue: a FIFO of messages waiting to be written, and the
 * waiters for it to drain. One small class so the stream only says when to
 * push and shift.
 *
 * @module
 */

/** A FIFO with O(1) push and shift, and `drained()` waiters. */
export class SendQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #drainWaiters: (() => void)[] = [];

  /** How many items wait. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The next item, or undefined. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /**
   * Appends an item.
   *
   * @returns whether the queue was empty before (the stream then starts waiting to write)
   */
  push(item: T): boolean {
    this.#items.push(item);
    return this.length === 1;
  }

  /** Drops the next item; wakes the drain waiters once empty. */
  shift(): void {
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      this.#wake();
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Empties the queue and returns what was in it; wakes the drain waiters. */
  clear(): T[] {
    const left = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    this.#wake();
    return left;
  }

  /**
   * Resolves once the queue is empty (at once if it is); an abort rejects
   * with the signal's reason and leaves the queue as it is.
   */
  drained(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#drainWaiters.indexOf(wake);
        if (i >= 0) this.#drainWaiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#drainWaiters.push(wake);
    });
  }

  #wake(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
