/**
 * `Context`: owns libzmq's I/O threads and every socket made from it.
 *
 * @module
 */

import { lib } from "./library.ts";
import {
  ContextTerminated,
  lastError,
  retryEintr,
  ZMQError,
} from "./errors.ts";
import { EINTR, ERRNO } from "./errno.ts";
import { IO_THREADS } from "./constants.ts";
import { describe } from "./bytes.ts";
import { Socket, type SocketOwner } from "./socket.ts";
import { collectZeroCopy } from "./frame.ts";

/** Options of a new `Context`. */
export interface ContextOptions {
  /** libzmq I/O threads. @default 1 */
  ioThreads?: number;
  /**
   * `LINGER` given to every new socket, in ms: how long `close()` keeps
   * undelivered messages for their peers (and how long `term()` may wait for
   * them). `-1` keeps libzmq's default, wait forever, which can hang `term()`
   * when a peer never comes.
   * @default 1000
   */
  linger?: number;
}

let shared: Context | undefined;

/**
 * A ZeroMQ context. Most programs need one: `Context.instance()`.
 *
 * Terminating never hangs a single-threaded program: `term()` refuses while
 * sockets are open (close them, or use `destroy()`), and sockets get a
 * bounded `LINGER` (1 s by default) so undelivered messages to an absent
 * peer are dropped after that time instead of blocking `term()` forever.
 *
 * @example
 * ```ts
 * import { Context, PUSH } from "@zmqloop/zmq";
 * using ctx = new Context();
 * const push = ctx.socket(PUSH);
 * push.bind("inproc://context-doc");
 * // `using` destroys the context (closing its sockets) at the end of scope
 * ```
 */
export class Context implements Disposable, SocketOwner {
  #handle: Deno.PointerValue | null;
  #sockets = new Set<Socket>();
  /** The `LINGER` given to new sockets (ms). */
  readonly defaultLinger: number;

  /**
   * Creates a context (libzmq's I/O threads start lazily).
   *
   * @param options I/O threads and the default linger
   * @throws {ZMQError} when libzmq cannot create the context
   */
  constructor(options: ContextOptions = {}) {
    const sym = lib();
    const linger = options.linger ?? 1000;
    if (!Number.isInteger(linger) || linger < -1) {
      throw new RangeError(
        `Cannot create a context: linger must be an integer >= -1, got ${linger}`,
      );
    }
    const handle = sym.zmq_ctx_new();
    if (!handle) throw lastError("Cannot create a context");
    this.#handle = handle;
    this.defaultLinger = linger;
    if (options.ioThreads !== undefined) {
      try {
        this.set(IO_THREADS, options.ioThreads);
      } catch (error) {
        this.term();
        throw error;
      }
    }
  }

  /** The process-wide shared context (made anew once the last one is terminated). */
  static instance(): Context {
    if (!shared || shared.closed) shared = new Context();
    return shared;
  }

  /** The native handle, or null once terminated (used by sockets). */
  get handle(): Deno.PointerValue | null {
    return this.#handle;
  }

  /** Whether the context was terminated. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /** The sockets of this context that are still open. */
  get sockets(): readonly Socket[] {
    return [...this.#sockets];
  }

  /** @internal a socket was opened */
  adopt(socket: Socket): void {
    this.#sockets.add(socket);
  }

  /** @internal a socket was closed */
  release(socket: Socket): void {
    this.#sockets.delete(socket);
  }

  #live(what: string): Deno.PointerValue {
    const h = this.#handle;
    if (!h) throw new ContextTerminated(`Cannot ${what}`);
    return h;
  }

  /**
   * Opens a socket.
   *
   * @param type a socket type constant (`REQ`, `PUB`, ...)
   * @returns the socket
   * @throws {ContextTerminated} after `term()`
   */
  socket(type: number): Socket {
    this.#live("create a socket");
    return new Socket(this, type);
  }

  /**
   * Reads a context option (`IO_THREADS`, `MAX_SOCKETS`, ...).
   *
   * @param option the option constant
   * @returns its value
   */
  get(option: number): number {
    const h = this.#live(`get context option ${option}`);
    const rc = retryEintr(() => lib().zmq_ctx_get(h, option));
    if (rc < 0) throw lastError(`Cannot get context option ${option}`);
    return rc;
  }

  /**
   * Sets a context option.
   *
   * @param option the option constant
   * @param value an integer
   */
  set(option: number, value: number): void {
    if (!Number.isInteger(value)) {
      throw new TypeError(
        `Cannot set context option ${option}: expected an integer, got ${
          describe(value)
        }`,
      );
    }
    const h = this.#live(`set context option ${option}`);
    if (retryEintr(() => lib().zmq_ctx_set(h, option, value)) !== 0) {
      throw lastError(`Cannot set context option ${option} to ${value}`);
    }
  }

  /**
   * Terminates the context. Idempotent. Waits at most the sockets' linger
   * for undelivered messages.
   *
   * @throws {ZMQError} EBUSY while sockets are open (close them or use `destroy()`)
   */
  term(): void {
    const h = this.#handle;
    if (!h) return;
    if (this.#sockets.size > 0) {
      throw new ZMQError(
        ERRNO.EBUSY,
        "Cannot terminate the context",
        `${this.#sockets.size} socket(s) still open; close them first or call destroy()`,
      );
    }
    const sym = lib();
    this.#handle = null;
    while (sym.zmq_ctx_term(h) !== 0 && sym.zmq_errno() === EINTR) {
      // retry: interrupted by a signal
    }
    // libzmq has dropped every message of this context: release their buffers.
    collectZeroCopy();
  }

  /**
   * Closes every socket of this context, then terminates it. Idempotent.
   *
   * @param linger when given, the `LINGER` used to close each socket
   */
  destroy(linger?: number): void {
    const lent = [...this.#sockets].filter((s) => s.lentTo !== null);
    if (lent.length) {
      throw new ZMQError(
        ERRNO.EBUSY,
        "Cannot destroy the context",
        `${lent.length} socket(s) in use by ${
          lent[0]!.lentTo
        }; stop it and wait for it first`,
      );
    }
    for (const socket of [...this.#sockets]) socket.close(linger);
    this.term();
  }

  /** Same as `destroy()`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** Readable form for `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.closed
      ? "Context(terminated)"
      : `Context(${this.#sockets.size} sockets)`;
  }
}
