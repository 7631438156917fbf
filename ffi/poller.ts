/**
 * `Poller`: blocking `zmq_poll` over sockets and raw file descriptors, with
 * PyZMQ's semantics. Event loops use `IOLoop` instead.
 *
 * @module
 */

import { lib } from "./library.ts";
import { describe, STABLE_BYTES } from "./bytes.ts";
import { check } from "./errors.ts";
import { POLLERR, POLLIN, POLLOUT } from "./constants.ts";
import { Socket } from "./socket.ts";

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
    const items = new Uint8Array(Math.max(n * POLLITEM_SIZE, STABLE_BYTES));
    const view = new DataView(items.buffer);
    for (let i = 0; i < n; i++) {
      const target = this.#targets[i]!, base = i * POLLITEM_SIZE;
      if (typeof target === "number") {
        view.setInt32(base + POLLITEM_FD, target, true);
      } else {
        const h = target.unsafeHandle("poll");
        view.setBigUint64(base, Deno.UnsafePointer.value(h) as bigint, true);
      }
      view.setInt16(base + POLLITEM_EVENTS, this.#flags[i]!, true);
    }
    const rc = pollItems(items, n, timeout, "poll");
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
    target.unsafeHandle("register a closed socket with a poller");
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

// zmq_pollitem_t: { void *socket; int fd (SOCKET on Windows); short events; short revents; }
const WIN = Deno.build.os === "windows";
/** Byte size of one `zmq_pollitem_t`. */
export const POLLITEM_SIZE = WIN ? 24 : 16;
/** Offset of `fd` in a `zmq_pollitem_t`. */
export const POLLITEM_FD = 8;
/** Offset of `events` in a `zmq_pollitem_t` (`revents` follows). */
export const POLLITEM_EVENTS = WIN ? 16 : 12;

/**
 * Checks poll event flags (a combination of POLLIN, POLLOUT and POLLERR).
 *
 * @param flags the flags given
 * @param what what was being done, for the error
 */
export function checkPollFlags(flags: unknown, what: string): void {
  if (
    typeof flags !== "number" || !Number.isInteger(flags) || flags < 0 ||
    (flags & ~(POLLIN | POLLOUT | POLLERR)) !== 0
  ) {
    throw new RangeError(
      `Cannot ${what}: flags must combine POLLIN, POLLOUT and POLLERR, got ${
        typeof flags === "number" ? flags : describe(flags)
      }`,
    );
  }
}

/**
 * A wait in milliseconds as `zmq_poll` takes it: negative, `Infinity` and
 * anything past 2^53 ms wait forever (-1); fractions round up.
 *
 * @param timeout the timeout given
 * @param what what was being done, for the error
 * @returns the `long` to pass
 * @throws {TypeError} when timeout is not a number (or NaN)
 */
export function pollTimeout(timeout: unknown, what: string): bigint {
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(
      `Cannot ${what}: timeout must be a number of ms, got ${
        typeof timeout === "number" ? timeout : describe(timeout)
      }`,
    );
  }
  if (timeout < 0 || timeout > Number.MAX_SAFE_INTEGER) return -1n;
  return BigInt(Math.ceil(timeout));
}

/** Runs `zmq_poll` through the checkpoint (EINTR retried). */
export function pollItems(
  items: Uint8Array,
  count: number,
  timeout: number,
  what: string,
): number {
  const ms = pollTimeout(timeout, what);
  const sym = lib();
  return check(() => sym.zmq_poll(items, count, ms), `Cannot ${what}`);
}

/**
 * Polls one native socket (blocking, like PyZMQ's `Socket.poll`).
 *
 * @param h the socket
 * @param flags events of interest (checked)
 * @param timeout ms; negative or `Infinity` waits forever
 * @returns the ready events, 0 on timeout
 */
export function pollOne(
  h: Deno.PointerValue,
  flags: number,
  timeout: number,
): number {
  const item = new Uint8Array(STABLE_BYTES);
  const view = new DataView(item.buffer);
  view.setBigUint64(0, Deno.UnsafePointer.value(h) as bigint, true);
  view.setInt16(POLLITEM_EVENTS, flags, true);
  const rc = pollItems(item, 1, timeout, "poll a socket");
  return rc > 0 ? view.getInt16(POLLITEM_EVENTS + 2, true) : 0;
}
