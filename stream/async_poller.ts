/**
 * `AsyncPoller`: PyZMQ's `zmq.asyncio.Poller` on the `IOLoop`.
 *
 * @module
 */

import { Socket } from "../ffi/socket.ts";
import { checkPollFlags } from "../ffi/poller.ts";
import { Poller } from "../ffi/poller.ts";
import { describe } from "../ffi/bytes.ts";
import { POLLERR, POLLIN, POLLOUT } from "../ffi/constants.ts";
import { IOLoop } from "../loop/ioloop.ts";
import { AsyncSocket } from "./async_socket.ts";
import { kPoll, streamOf } from "./zmqstream.ts";

/** What an `AsyncPoller` watches: a socket, an `AsyncSocket` or a raw fd. */
export type PollTarget = Socket | AsyncSocket | number;

/**
 * Waits for any of several sockets, AsyncSockets and raw file descriptors
 * to be ready, without blocking the thread (PyZMQ's `zmq.asyncio.Poller`).
 * A socket already driven by a `ZMQStream` or an `AsyncSocket` is watched
 * through it; others get a handler on the loop while a poll waits.
 *
 * @example
 * ```ts
 * import { AsyncPoller, Context, IOLoop, PAIR, POLLIN } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const loop = new IOLoop();
 * const a = ctx.socket(PAIR), b = ctx.socket(PAIR);
 * a.bind("inproc://poller-doc");
 * b.connect("inproc://poller-doc");
 * const poller = new AsyncPoller(loop);
 * poller.register(b, POLLIN);
 * setTimeout(() => a.send("wake"), 10);
 * const ready = await poller.poll(5000);
 * console.log(ready.length, ready[0]![1] === POLLIN); // 1 true
 * a.close();
 * b.close();
 * loop.close();
 * ctx.term();
 * ```
 */
export class AsyncPoller {
  /** The loop that serves the waits. */
  readonly ioLoop: IOLoop;
  #targets = new Map<PollTarget, number>();

  /**
   * Creates a poller.
   *
   * @param ioLoop the loop @default IOLoop.instance()
   */
  constructor(ioLoop: IOLoop = IOLoop.instance()) {
    this.ioLoop = ioLoop;
  }

  /**
   * Starts watching a target (again: changes its flags; flags 0 unregisters).
   *
   * @param target a Socket, an AsyncSocket or an fd
   * @param flags events of interest @default POLLIN | POLLOUT
   */
  register(target: PollTarget, flags: number = POLLIN | POLLOUT): void {
    checkTarget(target);
    checkPollFlags(flags, "register with a poller");
    if (flags === 0) this.#targets.delete(target);
    else this.#targets.set(target, flags);
  }

  /**
   * Changes the flags of a target.
   *
   * @param target a registered target
   * @param flags the new events of interest
   */
  modify(target: PollTarget, flags: number): void {
    this.register(target, flags);
  }

  /**
   * Stops watching a target.
   *
   * @param target a registered target
   * @throws {Error} when it is not registered
   */
  unregister(target: PollTarget): void {
    if (!this.#targets.delete(target)) {
      throw new Error(
        `Cannot unregister ${
          typeof target === "number" ? `fd ${target}` : "a socket"
        }: it is not registered`,
      );
    }
  }

  /**
   * Waits until a target is ready.
   *
   * @param timeout ms; negative, `Infinity` or omitted waits forever
   * @param options `signal` aborts the wait (rejecting with its reason)
   * @returns `[target, events]` for every ready target (empty on timeout)
   */
  async poll(
    timeout = -1,
    options: { signal?: AbortSignal } = {},
  ): Promise<[PollTarget, number][]> {
    if (typeof timeout !== "number" || Number.isNaN(timeout)) {
      throw new TypeError(
        `Cannot poll: timeout must be a number of ms, got ${describe(timeout)}`,
      );
    }
    const signal = options.signal;
    signal?.throwIfAborted();
    const deadline = timeout < 0 ? Infinity : performance.now() + timeout;
    for (;;) {
      const ready = this.#ready();
      if (ready.length) return ready;
      const left = deadline - performance.now();
      if (left <= 0) return ready;
      await this.#waitAny(left, signal);
    }
  }

  /** What is ready now (no waiting). */
  #ready(): [PollTarget, number][] {
    const ready: [PollTarget, number][] = [];
    let fds: Poller | null = null;
    for (const [target, flags] of this.#targets) {
      if (typeof target === "number") {
        (fds ??= new Poller()).register(target, flags);
        continue;
      }
      const socket = target instanceof AsyncSocket ? target.socket : target;
      const events = socket.events & flags;
      if (events) ready.push([target, events]);
    }
    if (fds) {
      for (const [fd, events] of fds.poll(0)) ready.push([fd, events]);
    }
    return ready;
  }

  /** Resolves once some target may be ready, `ms` pass, or `signal` aborts. */
  #waitAny(ms: number, signal?: AbortSignal): Promise<void> {
    const loop = this.ioLoop;
    const stop = new AbortController();
    const cleanups: (() => void)[] = [];
    return new Promise<void>((resolve, reject) => {
      const done = (error?: unknown) => {
        stop.abort();
        for (const cleanup of cleanups) cleanup();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => done(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => signal?.removeEventListener("abort", onAbort));
      if (ms !== Infinity) {
        const timer = setTimeout(() => done(), Math.min(ms, 2147483647));
        cleanups.push(() => clearTimeout(timer));
      }
      try {
        for (const [target, flags] of this.#targets) {
          const socket = target instanceof AsyncSocket ? target.socket : target;
          const stream = socket instanceof Socket
            ? streamOf(socket)
            : undefined;
          if (stream) {
            stream[kPoll](flags, -1, stop.signal).then(
              () => done(),
              (error) => {
                if (!stop.signal.aborted) done(error);
              },
            );
          } else {
            loop.addHandler(socket, () => done(), flags | POLLERR);
            cleanups.push(() => loop.removeHandler(socket));
          }
        }
      } catch (error) {
        done(error);
      }
    });
  }
}

function checkTarget(target: unknown): void {
  if (target instanceof AsyncSocket) {
    if (target.closed) {
      throw new TypeError(
        "Cannot register a closed AsyncSocket with a poller",
      );
    }
    return;
  }
  if (target instanceof Socket) {
    target.unsafeHandle("register a closed socket with a poller");
    return;
  }
  if (typeof target !== "number" || !Number.isInteger(target) || target < 0) {
    throw new TypeError(
      `Cannot register with a poller: expected a Socket, an AsyncSocket or a file descriptor >= 0, got ${
        typeof target === "number" ? target : describe(target)
      }`,
    );
  }
}
