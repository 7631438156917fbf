/**
 * `Poller`: blocking `zmq_poll` over sockets and raw file descriptors, with
 * PyZMQ's semantics. Event loops use `IOLoop` instead.
 *
 * @module
 */

import { lib } from "./library.ts";
import { describe } from "./bytes.ts";
import { POLLIN, POLLOUT } from "./constants.ts";
import {
  checkPollFlags,
  POLLITEM_EVENTS,
  POLLITEM_FD,
  POLLITEM_SIZE,
  pollItems,
  pollTimeout,
  Socket,
} from "./socket.ts";

/**
 * Waits on several sockets and file descriptors at once (blocking).
 *
 * @example
 * ```ts
 * import { Context, PAIR, POLLIN, Poller } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const a = ctx.socket(PAIR), b = ctx.socket(PAIR);
 * a.bind("inproc://poller-doc");
 * b.connect("inproc://poller-doc");
 * const poller = new Poller();
 * poller.register(b, POLLIN);
 * a.send("x");
 * const ready = poller.poll(1000);
 * console.log(ready.length === 1 && ready[0]![0] === b); // true
 * ctx.destroy();
 * ```
 */
export class Poller {
  #targets: (Socket | number)[] = [];
  #flags: number[] = [];

  /**
   * Starts watching a socket or a raw file descriptor. Registering again
   * changes the flags; flags 0 unregisters.
   *
   * @param target a Socket or an fd
   * @param flags events of interest @default POLLIN | POLLOUT
   */
  register(target: Socket | number, flags: number = POLLIN | POLLOUT): void {
    checkTarget(target);
    checkPollFlags(flags, "register with a poller");
    const i = this.#targets.indexOf(target);
    if (flags === 0) {
      if (i >= 0) this.unregister(target);
      return;
    }
    if (i >= 0) this.#flags[i] = flags;
    else {
      this.#targets.push(target);
      this.#flags.push(flags);
    }
  }

  /**
   * Changes the flags of a registered target.
   *
   * @param target a registered Socket or fd
   * @param flags the new events of interest
   */
  modify(target: Socket | number, flags: number): void {
    this.register(target, flags);
  }

  /**
   * Stops watching a target.
   *
   * @param target a registered Socket or fd
   * @throws {Error} when the target is not registered (as PyZMQ's KeyError)
   */
  unregister(target: Socket | number): void {
    const i = this.#targets.indexOf(target);
    if (i < 0) {
      throw new Error(
        `Cannot unregister ${describeTarget(target)}: it is not registered`,
      );
    }
    this.#targets.splice(i, 1);
    this.#flags.splice(i, 1);
  }

  /**
   * Waits until a target is ready, blocking the thread.
   *
   * @param timeout milliseconds; negative or omitted waits forever
   * @returns `[target, events]` pairs of the ready targets
   */
  poll(timeout = -1): [Socket | number, number][] {
    pollTimeout(timeout, "poll"); // a bad timeout fails before any work
    const n = this.#targets.length;
    const items = new Uint8Array(Math.max(n * POLLITEM_SIZE, 72));
    const view = new DataView(items.buffer);
    for (let i = 0; i < n; i++) {
      const target = this.#targets[i]!, base = i * POLLITEM_SIZE;
      if (typeof target === "number") {
        view.setInt32(base + POLLITEM_FD, target, true);
      } else {
        const h = target.handle("poll");
        view.setBigUint64(base, Deno.UnsafePointer.value(h) as bigint, true);
      }
      view.setInt16(base + POLLITEM_EVENTS, this.#flags[i]!, true);
    }
    const rc = pollItems(lib(), items, n, timeout, "poll");
    const ready: [Socket | number, number][] = [];
    if (rc <= 0) return ready;
    for (let i = 0; i < n; i++) {
      const revents = view.getInt16(
        i * POLLITEM_SIZE + POLLITEM_EVENTS + 2,
        true,
      );
      if (revents) ready.push([this.#targets[i]!, revents]);
    }
    return ready;
  }
}

function checkTarget(target: unknown): void {
  if (target instanceof Socket) {
    target.handle("register a closed socket with a poller");
    return;
  }
  if (typeof target !== "number" || !Number.isInteger(target) || target < 0) {
    throw new TypeError(
      `Cannot register with a poller: expected a Socket or a file descriptor >= 0, got ${
        typeof target === "number" ? target : describe(target)
      }`,
    );
  }
}

function describeTarget(target: Socket | number): string {
  return typeof target === "number" ? `fd ${target}` : "a socket";
}
