/**
 * Message memory: `Frame` (a received part that owns a `zmq_msg_t`, its
 * payload copied out on first read), `MessageTracker` and the zero-copy send
 * machinery.
 *
 * A `zmq_msg_t` that outlives one call must not move, and V8 keeps typed
 * arrays of 64 bytes or less on its moving heap; so every `zmq_msg_t` here
 * lives in a 128-byte array, which V8 allocates outside its heap.
 *
 * @module
 */

import { lib } from "./library.ts";
import { fromUtf8 } from "./bytes.ts";
import { cString } from "./bytes.ts";
import { ZMQError } from "./errors.ts";
import { ENOTSOCK } from "./errno.ts";

/** Bytes reserved for one `zmq_msg_t` (64 in libzmq; more keeps it off V8's heap). */
export const MSG_T_BYTES = 128;

/** Allocates an initialised, non-moving `zmq_msg_t`. */
export function newMsg(): Uint8Array {
  const msg = new Uint8Array(MSG_T_BYTES);
  lib().zmq_msg_init(msg);
  return msg;
}

// A Frame's zmq_msg_t is closed by close() or, as a backstop, once the Frame
// is collected.
const frameRegistry = new FinalizationRegistry<Uint8Array>((msg) => {
  lib().zmq_msg_close(msg);
});

const EMPTY = new Uint8Array(0);

/**
 * A received message part that owns libzmq's `zmq_msg_t`: its `more` flag
 * and its properties (`get("Peer-Address")`, `get("User-Id")`) are read from
 * libzmq's message. The payload is copied out only when `buffer` is first
 * read, into memory that JavaScript owns: it stays valid after `close()`
 * and may be moved freely (`postMessage`, `structuredClone` with
 * `transfer`, `ArrayBuffer.prototype.transfer`). A view of libzmq's own
 * memory could not be: Deno cannot tell when a moved `ArrayBuffer` dies,
 * so the message under it would be freed while still in use.
 *
 * The message is released by `close()` or, as a backstop, once the Frame is
 * collected.
 *
 * @example Reading a part and its properties
 * ```ts
 * import { Context, PAIR } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const a = ctx.socket(PAIR), b = ctx.socket(PAIR);
 * a.bind("inproc://frame-doc");
 * b.connect("inproc://frame-doc");
 * a.send("hello");
 * const frame = b.recvFrame();
 * console.log(new TextDecoder().decode(frame.buffer), frame.more); // hello false
 * frame.close();
 * ctx.destroy();
 * ```
 */
export class Frame {
  #msg: Uint8Array | null;
  #size: number;
  #buffer: Uint8Array | null = null;
  #more: boolean;

  /**
   * Wraps a received `zmq_msg_t` (`socket.recvFrame()` is the usual way).
   *
   * @param msg an initialised, received `zmq_msg_t` (the Frame owns it)
   * @param size its payload size
   */
  constructor(msg: Uint8Array, size: number) {
    this.#msg = msg;
    this.#size = size;
    this.#more = lib().zmq_msg_more(msg) === 1;
    frameRegistry.register(this, msg, this);
  }

  /**
   * The payload, copied from libzmq's message on first read (JavaScript's
   * memory: it never dangles and may be transferred). Empty once closed,
   * unless it was read before.
   */
  get buffer(): Uint8Array {
    if (this.#buffer) return this.#buffer;
    const msg = this.#msg;
    if (!msg || this.#size === 0) return EMPTY;
    const sym = lib();
    const out = new Uint8Array(this.#size);
    Deno.UnsafePointerView.copyInto(sym.zmq_msg_data(msg)!, out);
    return this.#buffer = out;
  }

  /** The payload's size in bytes (no copy is made). */
  get length(): number {
    return this.#msg ? this.#size : this.#buffer?.length ?? 0;
  }

  /** A copy of the payload, independent of the Frame and of `buffer`. */
  get bytes(): Uint8Array {
    return this.buffer.slice();
  }

  /** Whether more parts of this message follow. */
  get more(): boolean {
    return this.#more;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#msg === null;
  }

  /** The payload decoded as UTF-8. */
  toString(): string {
    return fromUtf8(this.buffer);
  }

  /**
   * A message property (`zmq_msg_gets`), such as `"Peer-Address"`,
   * `"Socket-Type"`, `"User-Id"` or ZAP metadata.
   *
   * @param property the property name
   * @returns its value
   * @throws {ZMQError} EINVAL when the property is not set, ENOTSOCK after `close()`
   */
  get(property: string): string {
    if (typeof property !== "string") {
      throw new TypeError(
        `Cannot read a frame property: expected a string name, got ${typeof property}`,
      );
    }
    const msg = this.#msg;
    if (!msg) {
      throw new ZMQError(
        ENOTSOCK,
        `Cannot read frame property "${property}"`,
        "the frame is closed",
      );
    }
    const ptr = lib().zmq_msg_gets(msg, cString(property));
    if (!ptr) {
      throw new ZMQError(
        lib().zmq_errno(),
        `Cannot read frame property "${property}"`,
      );
    }
    return Deno.UnsafePointerView.getCString(ptr);
  }

  /**
   * Releases libzmq's message now. Idempotent. A `buffer` read before stays
   * valid (it is JavaScript's memory).
   */
  close(): void {
    const msg = this.#msg;
    if (!msg) return;
    this.#msg = null;
    frameRegistry.unregister(this);
    lib().zmq_msg_close(msg);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Readable form for `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Frame(${this.length} bytes${this.#more ? ", more" : ""}${
      this.#msg ? "" : ", closed"
    })`;
  }
}

/**
 * Completes when libzmq has released the buffers of a zero-copy send
 * (`copy: false, track: true`). Until then the buffer must not be modified.
 *
 * @example
 * ```ts
 * import { Context, PULL, PUSH } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const pull = ctx.socket(PULL), push = ctx.socket(PUSH);
 * pull.bind("inproc://tracker-doc");
 * push.connect("inproc://tracker-doc");
 * const big = new Uint8Array(1 << 20);
 * const tracker = push.send(big, 0, { copy: false, track: true })!;
 * pull.recv();
 * await tracker.wait(1000);
 * console.log(tracker.done); // true
 * ctx.destroy();
 * ```
 */
export class MessageTracker {
  #pending: number;
  #waiters: (() => void)[] = [];

  /**
   * Creates a tracker.
   *
   * @param pending how many buffers must be released before it is done
   * (internal: trackers come from `send(..., { track: true })`)
   */
  constructor(pending = 0) {
    this.#pending = pending;
  }

  /** Whether libzmq has released every tracked buffer. */
  get done(): boolean {
    if (this.#pending > 0) collectZeroCopy();
    return this.#pending === 0;
  }

  /** @internal one tracked buffer was released */
  _release(): void {
    if (this.#pending === 0) return;
    if (--this.#pending === 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Waits until libzmq has released the buffers.
   *
   * @param options a timeout in ms, or `{ timeout, signal }` (default: no limit)
   * @returns a Promise that resolves when done
   * @throws {DOMException} (as a rejection) `TimeoutError` when the timeout
   * passes first, or the signal's reason when it aborts
   * @throws {RangeError} (as a rejection) for a negative or NaN timeout
   */
  wait(
    options?: number | { timeout?: number; signal?: AbortSignal },
  ): Promise<void> {
    const { timeout, signal } = typeof options === "object" && options
      ? options
      : { timeout: options, signal: undefined };
    if (timeout !== undefined && !(timeout >= 0)) {
      return Promise.reject(
        new RangeError(
          `Cannot wait for a message tracker: timeout must be a number >= 0, got ${timeout}`,
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.done) return Promise.resolve();
    // libzmq signals nothing when it drops its reference: look every 1 ms.
    return new Promise<void>((resolve, reject) => {
      const deadline = timeout === undefined
        ? Infinity
        : performance.now() + timeout;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener("abort", onAbort);
        const i = this.#waiters.indexOf(wake);
        if (i >= 0) this.#waiters.splice(i, 1);
        if (error === undefined) resolve();
        else reject(error);
      };
      const wake = () => finish();
      const onAbort = () => finish(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(wake);
      const look = () => {
        timer = undefined;
        collectZeroCopy();
        if (this.#pending === 0) return;
        if (performance.now() < deadline) {
          timer = setTimeout(look, 1);
          return;
        }
        finish(
          new DOMException(
            `Timed out after ${timeout} ms waiting for libzmq to release a zero-copy send`,
            "TimeoutError",
          ),
        );
      };
      timer = setTimeout(look, 1);
    });
  }
}

/** A tracker that is already done (small payloads are copied). */
export const FINISHED_TRACKER: MessageTracker = new MessageTracker(0);

// ---- zero-copy sends ----
//
// libzmq calls a message's free function on whichever thread drops the last
// reference, often its I/O thread. A Deno callback run on a libzmq thread
// leaves that thread unable to exit (measured: zmq_ctx_term hangs, process
// exit crashes), so JS is never called from libzmq's threads. Instead we
// keep our own copy (`zmq_msg_copy`, which shares the buffer and counts
// references) of each zero-copy message: libzmq's threads only decrement the
// count, and once it is back to our single reference we close our copy on
// the JS thread, which runs the (no-op) free function here and releases the
// buffer.

interface InFlight {
  data: Uint8Array;
  copy: Uint8Array;
  refcount: Deno.UnsafePointerView;
  tracker: MessageTracker | undefined;
}

const inFlight = new Set<InFlight>();
const FREE_FN = { parameters: ["pointer", "pointer"], result: "void" } as const;
let noopFree: Deno.UnsafeCallback<typeof FREE_FN> | undefined;
let layoutBroken = false;

// content_t { void *data; size_t size; zmq_free_fn *ffn; void *hint; atomic refcnt; }
const CONTENT_SIZE = 8, CONTENT_REFCNT = 32, LMSG_CONTENT = 8;

// New zero-copy sends sweep the in-flight set once it has doubled since the
// last sweep: memory stays bounded by about twice what libzmq still holds,
// whether or not anyone waits on a tracker, at an amortised O(1) per send.
const SWEEP_MIN = 64;
let sweepAt = SWEEP_MIN;

/** Releases every zero-copy buffer libzmq no longer references; returns how many remain. */
export function collectZeroCopy(): number {
  for (const entry of inFlight) {
    if (entry.refcount.getUint32(CONTENT_REFCNT) <= 1) {
      inFlight.delete(entry);
      lib().zmq_msg_close(entry.copy);
      entry.tracker?._release();
    }
  }
  sweepAt = Math.max(SWEEP_MIN, inFlight.size * 2);
  return inFlight.size;
}

/**
 * Initialises `msg` with the caller's buffer, without a copy, and keeps the
 * buffer reachable until libzmq is done with it. Returns false (nothing
 * initialised) when libzmq's message layout is not the one expected, so the
 * caller copies instead.
 */
export function initZeroCopy(
  msg: Uint8Array,
  data: Uint8Array,
  tracker: MessageTracker | undefined,
): boolean {
  if (layoutBroken) return false;
  const sym = lib();
  if (inFlight.size >= sweepAt) collectZeroCopy();
  const free = noopFree ??= new Deno.UnsafeCallback(FREE_FN, () => {});
  const ptr = Deno.UnsafePointer.of(data);
  if (
    sym.zmq_msg_init_data(
      msg,
      ptr,
      BigInt(data.byteLength),
      free.pointer,
      null,
    ) !== 0
  ) {
    throw new ZMQError(sym.zmq_errno(), "Cannot prepare a zero-copy send");
  }
  const copy = newMsg();
  sym.zmq_msg_copy(copy, msg);
  const content = Deno.UnsafePointer.create(
    new DataView(copy.buffer).getBigUint64(LMSG_CONTENT, true),
  );
  const view = content ? new Deno.UnsafePointerView(content) : null;
  if (
    !view ||
    view.getBigUint64(0) !== Deno.UnsafePointer.value(ptr) ||
    view.getBigUint64(CONTENT_SIZE) !== BigInt(data.byteLength) ||
    view.getUint32(CONTENT_REFCNT) !== 2
  ) {
    layoutBroken = true;
    sym.zmq_msg_close(copy);
    sym.zmq_msg_close(msg);
    return false;
  }
  inFlight.add({ data, copy, refcount: view, tracker });
  return true;
}
