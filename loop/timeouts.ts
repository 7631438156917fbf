/**
 * A min-heap of timeouts: earliest deadline first, FIFO on equal deadlines.
 * Removal is lazy (a cancelled entry is skipped when it reaches the top).
 *
 * @module
 */

/**
 * A scheduled call, returned by `IOLoop.callLater`, `callAt` and
 * `addTimeout`; pass it to `removeTimeout` to cancel it.
 *
 * @example
 * ```ts
 * import { IOLoop } from "@zmqloop/zmq";
 * const loop = new IOLoop();
 * const timeout = loop.callLater(1000, () => console.log("never"));
 * loop.removeTimeout(timeout);
 * loop.close();
 * ```
 */
export class Timeout {
  /** When it fires, on the loop's `time()` clock (ms). */
  readonly deadline: number;
  /** @internal insertion order, for FIFO on ties */
  readonly seq: number;
  /** @internal the call */
  callback: ((...args: unknown[]) => unknown) | null;
  /** @internal its arguments */
  args: unknown[];
  /** @internal the heap (hence the loop) it was scheduled on */
  heap: object | null = null;

  /**
   * Creates a timeout (internal: use the IOLoop's methods).
   *
   * @param deadline when it fires
   * @param seq insertion order
   * @param callback the call
   * @param args its arguments
   */
  constructor(
    deadline: number,
    seq: number,
    callback: (...args: unknown[]) => unknown,
    args: unknown[],
  ) {
    this.deadline = deadline;
    this.seq = seq;
    this.callback = callback;
    this.args = args;
  }

  /** Whether it was removed or has fired. */
  get cancelled(): boolean {
    return this.callback === null;
  }
}

function before(a: Timeout, b: Timeout): boolean {
  return a.deadline < b.deadline ||
    (a.deadline === b.deadline && a.seq < b.seq);
}

/** The heap. */
export class TimeoutHeap {
  #items: Timeout[] = [];
  #live = 0;

  /** Live (not cancelled) timeouts. */
  get size(): number {
    return this.#live;
  }

  /** Adds a timeout. */
  push(t: Timeout): void {
    t.heap = this;
    const items = this.#items;
    items.push(t);
    this.#live++;
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  /** Whether `t` was scheduled on this heap. */
  owns(t: Timeout): boolean {
    return t.heap === this;
  }

  /** Marks a timeout cancelled; returns whether it was live. */
  cancel(t: Timeout): boolean {
    if (t.callback === null || t.heap !== this) return false;
    t.callback = null;
    t.args = [];
    this.#live--;
    if (this.#live === 0) this.#items = [];
    return true;
  }

  /** The earliest live deadline, or undefined. */
  peekDeadline(): number | undefined {
    this.#skipCancelled();
    return this.#items[0]?.deadline;
  }

  /** Removes and returns the earliest live timeout due at `now`, if any. */
  popDue(now: number): Timeout | undefined {
    this.#skipCancelled();
    const top = this.#items[0];
    if (!top || top.deadline > now) return undefined;
    this.#pop();
    this.#live--;
    return top;
  }

  /** Drops everything. */
  clear(): void {
    for (const t of this.#items) t.callback = null;
    this.#items = [];
    this.#live = 0;
  }

  #skipCancelled(): void {
    while (this.#items.length && this.#items[0]!.callback === null) this.#pop();
  }

  #pop(): void {
    const items = this.#items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!, items[m]!)) m = l;
      if (r < items.length && before(items[r]!, items[m]!)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
  }
}
