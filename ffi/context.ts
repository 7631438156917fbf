/**
 * `Context`: owns libzmq's I/O threads and every socket made from it.
 *
 * @module
 */

import { lib } from "./library.ts";
import {
  BusyError,
  check,
  ContextTerminated,
  lastError,
  retryEintr,
  ZMQError,
} from "./errors.ts";
import { ERRNO } from "./errno.ts";
import { IO_THREADS } from "./constants.ts";
import { describe } from "./bytes.ts";
import { Socket, type SocketOwner } from "./socket.ts";
import { collectZeroCopy } from "./frame.ts";
import {
  addShadowSocket,
  beginTerm,
  endTerm,
  findContext,
  reapDeadThreads,
  registerContext,
  registerSocket,
  removeShadowSocket,
  shadowSockets,
  unregisterSocket,
} from "./_registry.ts";

const MAX_LINGER = 2 ** 31 - 1;
const MAX_IO_THREADS = 1024;
// socket() releases what dead Workers left at most this often (ms).
const REAP_INTERVAL = 100;
let lastReap = -Infinity;

function reap(): void {
  lastReap = performance.now();
  reapDeadThreads(lib());
}

function checkOptions(options: ContextOptions): number {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create a context: options must be an object, got ${
        describe(options)
      }`,
    );
  }
  const linger = options.linger ?? 1000;
  if (!Number.isInteger(linger) || linger < -1 || linger > MAX_LINGER) {
    throw new RangeError(
      `Cannot create a context: linger must be an integer from -1 to ${MAX_LINGER}, got ${
        describe(linger)
      }`,
    );
  }
  const io = options.ioThreads;
  if (
    io !== undefined &&
    (!Number.isInteger(io) || io < 0 || io > MAX_IO_THREADS)
  ) {
    throw new RangeError(
      `Cannot create a context: ioThreads must be an integer from 0 to ${MAX_IO_THREADS}, got ${
        describe(io)
      }`,
    );
  }
  return linger;
}

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
// Set by Context.shadow() for the constructor call it makes.
let shadowing: { handle: Deno.PointerValue; record: number } | null = null;

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
export class Context implements Disposable, AsyncDisposable, SocketOwner {
  #handle: Deno.PointerValue | null;
  #sockets = new Map<Socket, number>(); // socket -> its registry record
  #record: number; // this context's registry record (-1: not recorded)
  #shadow: boolean;
  /** The `LINGER` given to new sockets (ms). */
  readonly defaultLinger: number;

  /**
   * Creates a context (libzmq's I/O threads start lazily).
   *
   * @param options I/O threads and the default linger
   * @throws {RangeError} for a linger or ioThreads out of range (nothing is created)
   * @throws {ZMQError} when libzmq cannot create the context
   */
  constructor(options: ContextOptions = {}) {
    if (shadowing) {
      this.#handle = shadowing.handle;
      this.#record = shadowing.record;
      this.#shadow = true;
      this.defaultLinger = checkOptions(options);
      shadowing = null;
      return;
    }
    const linger = checkOptions(options);
    const sym = lib();
    reap();
    const handle = sym.zmq_ctx_new();
    if (!handle) throw lastError("Cannot create a context");
    if (
      options.ioThreads !== undefined &&
      retryEintr(() =>
          sym.zmq_ctx_set(handle, IO_THREADS, options.ioThreads!)
        ) !== 0
    ) {
      const error = lastError(
        `Cannot create a context with ${options.ioThreads} I/O threads`,
      );
      sym.zmq_ctx_term(handle);
      throw error;
    }
    this.#handle = handle;
    this.#shadow = false;
    this.#record = registerContext(handle);
    this.defaultLinger = linger;
  }

  /**
   * A `Context` over a zmq context made elsewhere in this process, usually
   * by another thread: give a Worker `ctx.underlying` (a bigint, which
   * `postMessage` carries) and call `Context.shadow(address)` there. Sockets
   * of the shadow live in the same zmq context, so `inproc://` endpoints
   * connect across threads. A shadow never terminates the zmq context: its
   * `term()`/`destroy()` close only the sockets it made, and the owner's
   * `term()` refuses (EBUSY) while shadows hold sockets.
   *
   * @example Shadowing a context (here in the same thread)
   * ```ts
   * import { Context, PAIR } from "@zmqloop/zmq";
   * const ctx = new Context();
   * const shadow = Context.shadow(ctx.underlying); // in a Worker, usually
   * const a = ctx.socket(PAIR);
   * a.bind("inproc://shadow-doc");
   * const b = shadow.socket(PAIR);
   * b.connect("inproc://shadow-doc");
   * b.send("over the shared context");
   * console.log(a.recvString()); // "over the shared context"
   * shadow.destroy(); // closes b only
   * ctx.destroy();
   * ```
   *
   * @param address the zmq context's address, from `context.underlying`
   * @returns the shadow context
   * @throws {TypeError} when `address` is not a bigint
   * @throws {ContextTerminated} when that context was already terminated
   * @throws {ZMQError} EFAULT when this process made no live context at that address
   */
  static shadow(address: bigint): Context {
    if (typeof address !== "bigint") {
      throw new TypeError(
        `Cannot shadow a context: the address must be a bigint (context.underlying), got ${
          describe(address)
        }`,
      );
    }
    const shown = `0x${address.toString(16)}`;
    lib();
    reap();
    const found = address > 0n ? findContext(address) : { kind: "unknown" };
    if (found.kind === "terminated") {
      throw new ContextTerminated(`Cannot shadow the context at ${shown}`);
    }
    if (found.kind !== "live") {
      throw new ZMQError(
        ERRNO.EFAULT,
        `Cannot shadow the context at ${shown}`,
        "no live context made by zmqloop in this process has that address",
      );
    }
    shadowing = {
      handle: Deno.UnsafePointer.create(address),
      record: (found as { index: number }).index,
    };
    return new Context();
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

  /**
   * The zmq context's address (PyZMQ's `ctx.underlying`), for
   * `Context.shadow()` in another thread.
   *
   * @throws {ContextTerminated} once terminated
   */
  get underlying(): bigint {
    const h = this.#live("get the address of the context");
    return BigInt(Deno.UnsafePointer.value(h));
  }

  /** Whether this is a shadow (`Context.shadow()`) of a context owned elsewhere. */
  get shadowed(): boolean {
    return this.#shadow;
  }

  /** Whether the context was terminated (for a shadow: its own `term()`, or the owner's). */
  get closed(): boolean {
    if (this.#handle === null) return true;
    if (!this.#shadow) return false;
    const found = findContext(BigInt(Deno.UnsafePointer.value(this.#handle)));
    return found.kind !== "live" || found.index !== this.#record;
  }

  /** The sockets of this context that are still open. */
  get sockets(): readonly Socket[] {
    return [...this.#sockets.keys()];
  }

  /** @internal a socket was opened */
  adopt(socket: Socket): void {
    this.#sockets.set(
      socket,
      registerSocket(
        socket.unsafeHandle(),
        this.#handle,
        this.#record,
        this.#shadow,
      ),
    );
  }

  /** @internal a socket was closed */
  release(socket: Socket): void {
    const record = this.#sockets.get(socket);
    if (record === undefined) return;
    this.#sockets.delete(socket);
    unregisterSocket(record, this.#record);
    if (this.#shadow) removeShadowSocket(this.#record);
  }

  #live(what: string): Deno.PointerValue {
    const h = this.#handle;
    if (!h || (this.#shadow && this.closed)) {
      throw new ContextTerminated(`Cannot ${what}`);
    }
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
    if (performance.now() - lastReap > REAP_INTERVAL) reap();
    if (!this.#shadow) return new Socket(this, type);
    if (!addShadowSocket(this.#record)) {
      throw new ContextTerminated(
        "Cannot create a socket: the shadowed context is being terminated",
      );
    }
    try {
      return new Socket(this, type);
    } catch (error) {
      removeShadowSocket(this.#record);
      throw error;
    }
  }

  /**
   * Reads a context option (`IO_THREADS`, `MAX_SOCKETS`, ...).
   *
   * @param option the option constant
   * @returns its value
   */
  get(option: number): number {
    const h = this.#live(`get context option ${option}`);
    const rc = check(
      () => lib().zmq_ctx_get(h, option),
      `Cannot get context option ${option}`,
    );
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
    check(
      () => lib().zmq_ctx_set(h, option, value),
      `Cannot set context option ${option} to ${value}`,
    );
  }

  /**
   * Terminates the context. Idempotent. Waits at most the sockets' linger
   * for undelivered messages.
   *
   * @throws {ZMQError} EBUSY while sockets are open (close them or use `destroy()`)
   */
  term(): void {
    const h = this.#beginTerm();
    if (!h) return;
    retryEintr(() => lib().zmq_ctx_term(h));
    this.#endTerm();
  }

  /** term()'s checks; the handle to terminate, or null when nothing is to be done. */
  #beginTerm(): Deno.PointerValue | null {
    const h = this.#handle;
    if (!h) return null;
    if (this.#sockets.size > 0) {
      throw new BusyError(
        "Cannot terminate the context",
        `${this.#sockets.size} socket(s) still open; close them first or call destroy()`,
      );
    }
    if (this.#shadow) {
      this.#handle = null; // the owner terminates the zmq context
      return null;
    }
    this.#shadowsHolding();
    const held = beginTerm(this.#record);
    if (held > 0) {
      throw new BusyError(
        "Cannot terminate the context",
        `${held} socket(s) of shadow contexts (other threads) still open; close them there first`,
      );
    }
    this.#handle = null;
    return h;
  }

  #endTerm(): void {
    endTerm(this.#record);
    // libzmq has dropped every message of this context: release their buffers.
    collectZeroCopy();
  }

  /**
   * Closes every socket of this context, then terminates it. Idempotent.
   *
   * @param linger when given, the `LINGER` used to close each socket
   */
  destroy(linger?: number): void {
    const lent = [...this.#sockets.keys()].filter((s) => s.lentTo !== null);
    if (lent.length) {
      throw new BusyError(
        "Cannot destroy the context",
        `${lent.length} socket(s) in use by ${
          lent[0]!.lentTo
        }; stop it and wait for it first`,
      );
    }
    const held = this.#shadowsHolding();
    if (held > 0) {
      throw new BusyError(
        "Cannot destroy the context",
        `${held} socket(s) of shadow contexts (other threads) still open; close them there first`,
      );
    }
    for (const socket of [...this.#sockets.keys()]) socket.close(linger);
    this.term();
  }

  /**
   * `await using`: closes every socket like `destroy()`, then waits for
   * libzmq to deliver what they still hold (at most their `LINGER`) on a
   * pool thread, so the JavaScript thread stays free meanwhile (timers and
   * other streams go on). Streams write their own queues first when they
   * are disposed themselves, or by `await using` their IOLoop.
   *
   * @returns a Promise that resolves once terminated
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#handle) return;
    if (this.#shadow) return this.destroy();
    // destroy()'s checks, without terminating yet
    const lent = [...this.#sockets.keys()].filter((s) => s.lentTo !== null);
    if (lent.length || this.#shadowsHolding() > 0) return this.destroy();
    for (const socket of [...this.#sockets.keys()]) socket.close();
    const h = this.#beginTerm();
    if (!h) return;
    if (await lib().zmq_ctx_term_async(h) !== 0) {
      retryEintr(() => lib().zmq_ctx_term(h)); // interrupted: finish here
    }
    this.#endTerm();
  }

  /** Sockets that live shadows (other threads) hold, after releasing dead threads'. */
  #shadowsHolding(): number {
    if (this.#shadow || this.#record < 0) return 0;
    if (shadowSockets(this.#record) > 0) reap();
    return shadowSockets(this.#record);
  }

  /** Same as `destroy()`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** Readable form for `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    const kind = this.#shadow ? "shadow, " : "";
    return this.closed
      ? `Context(${kind}terminated)`
      : `Context(${kind}${this.#sockets.size} sockets)`;
  }
}
