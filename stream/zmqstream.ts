/**
 * `ZMQStream`: PyZMQ's `zmq.eventloop.zmqstream` for Deno. Callbacks for
 * received and sent messages, a send queue that never blocks and never
 * drops, `flush`, plus promises and async iteration.
 *
 * The shape follows PyZMQ: one place (`#rebuild`) derives what the stream
 * waits for from its state (a receive callback or waiting readers: READ; a
 * non-empty queue: WRITE). Each handler call receives one message, or up to
 * 16 while nothing else on the loop waits (no other registration, callback
 * or due timeout; never for REQ and REP, which must answer in between), and
 * writes up to 32 queued ones, so busy streams on one loop interleave
 * message by message while a stream alone drains in batches.
 *
 * Over 500 lines because it is PyZMQ's whole ZMQStream API plus the promise,
 * iteration and Web Streams surface, each with its JSDoc; the send queue is
 * `_send_queue.ts`, the Web Streams `_web_streams.ts`.
 * @module
 */

import { checkFlags, checkLinger, Socket } from "../ffi/socket.ts";
import type { SendOptions as SocketSendOptions } from "../ffi/socket.ts";
import type { Frame, MessageTracker } from "../ffi/frame.ts";
import {
  checkParts,
  checkPayload,
  describe,
  jsonBytes,
  type Payload,
} from "../ffi/bytes.ts";
import { Again, ZMQError } from "../ffi/errors.ts";
import { setImmediate } from "node:timers";
import { LINGER, type OptionValue } from "../ffi/options.ts";
import { SendQueue } from "./_send_queue.ts";
import {
  readableOf,
  type WritableMessage,
  writableOf,
} from "./_web_streams.ts";
import { ENOTSOCK } from "../ffi/errno.ts";
import { POLLIN, POLLOUT, REP, REQ } from "../ffi/constants.ts";
import {
  IOLoop,
  kAlone,
  kSetRef,
  kWorked,
  LoopClosedError,
} from "../loop/ioloop.ts";
import {
  addCloseListener,
  addDrainer,
  callUser,
  reportError,
} from "../loop/_internal.ts";

/** What `onSend` callbacks receive as status: a tracker, nothing, or the error. */
export type SendStatus = MessageTracker | ZMQError | undefined;

/** A callback for sent messages: the message as queued, and its status. */
export type SendCallback = (msg: Payload[], status: SendStatus) => void;

/** Options of a queued send. */
export interface StreamSendOptions extends SocketSendOptions {
  /** Called with this message once written (instead of the `onSend` callback). */
  callback?: SendCallback;
  /**
   * Once aborted, a message still in the queue is dropped unwritten (and
   * no callback runs for it).
   */
  signal?: AbortSignal;
}

interface Queued {
  /** What is written: a snapshot taken at queue time. */
  parts: Payload[];
  /** What callbacks get: the array the caller passed. */
  original: Payload[];
  flags: number;
  options: StreamSendOptions | undefined;
  /** Set for promise sends (`kSend`): settled on write, error or close. */
  settle?: (status: SendStatus, dropped?: unknown) => void;
}

/** A received message: copied parts, or `Frame`s (`copy: false`). */
type Message = Uint8Array[] | Frame[];

interface Waiter {
  copy: boolean;
  resolve: (msg: Message | null) => void;
  reject: (error: unknown) => void;
}

interface PollWaiter {
  flags: number;
  resolve: (events: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Receives served straight from the socket, without a loop turn, before a
 * hop through `setImmediate` lets timers and I/O run: a `for await` over a
 * busy socket goes at the speed of a non-blocking receive, and a producer
 * faster than its consumer cannot starve the rest of the program.
 */
const STREAK = 256;

/** The most queued messages one handler call writes. */
const SEND_BATCH = 32;
/**
 * Messages received per handler call while they keep coming and nothing
 * else on the loop waits (socket types without a send/receive lockstep): a
 * pass per message costs about as much as the receive itself.
 */
const RECV_BATCH = 16;

/** A received message (or null: the stream ended) as an iterator result. */
const iteration = (
  msg: Message | null,
): IteratorResult<Uint8Array[]> =>
  msg === null
    ? { done: true, value: undefined }
    : { done: false, value: msg as Uint8Array[] };

/** @internal a receive with a deadline (AsyncSocket's RCVTIMEO). */
export const kReceive: unique symbol = Symbol("zmqloop.receive");
/** @internal a queued send as a Promise (AsyncSocket, `writable`). */
export const kSend: unique symbol = Symbol("zmqloop.send");
/** @internal wait for socket events without consuming (AsyncSocket.poll). */
export const kPoll: unique symbol = Symbol("zmqloop.poll");
/**
 * @internal ends an idle stream and leaves its socket open and unwatched
 * (so a proxy may take it); false, with nothing changed, while anything
 * waits on the stream.
 */
export const kDetach: unique symbol = Symbol("zmqloop.detach");

/** The stream that drives a socket, if any (AsyncPoller's way to wait on it). */
export function streamOf(socket: Socket): ZMQStream | undefined {
  const stream = streams.get(socket);
  return stream && !stream.closed() ? stream : undefined;
}

const streams = new WeakMap<Socket, ZMQStream>();

function checkCallback(cb: unknown, what: string): void {
  if (cb !== null && cb !== undefined && typeof cb !== "function") {
    throw new TypeError(
      `Cannot ${what}: expected a function or null, got ${describe(cb)}`,
    );
  }
}

/**
 * A socket driven by an `IOLoop`, PyZMQ style.
 *
 * @example The echo server
 * ```ts
 * import { Context, IOLoop, REP, ZMQStream } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const loop = new IOLoop();
 * const socket = ctx.socket(REP);
 * socket.bindToRandomPort("tcp://127.0.0.1");
 * const stream = new ZMQStream(socket, loop);
 * stream.onRecv((msg) => stream.sendMultipart(msg)); // echo
 * // ... later
 * stream.close();
 * loop.close();
 * ctx.destroy();
 * ```
 */
export class ZMQStream
  implements Disposable, AsyncDisposable, AsyncIterable<Uint8Array[]> {
  /** The socket (closed with the stream). */
  readonly socket: Socket;
  /** The loop that drives the stream. */
  readonly ioLoop: IOLoop;

  #closed = false;
  #recvCallback: ((msg: Message) => void) | null = null;
  #recvCopy = true;
  /** Whether to receive in batches: REQ and REP must answer in between. */
  #batched: boolean;
  #sendCallback: SendCallback | null = null;
  #errCallback: ((error: ZMQError) => void) | null = null;
  #closeCallback: (() => void) | null = null;
  #queue = new SendQueue<Queued>();
  #interest = 0;
  #flushed = false;
  #flushing = false;
  #waiters: Waiter[] = [];
  #polls: PollWaiter[] = [];
  #unlisten: () => void = () => {};
  #readable: ReadableStream<Uint8Array[]> | undefined;
  #writable: WritableStream<WritableMessage> | undefined;
  #streak = 0;

  /**
   * Wraps a socket. Only one stream per socket.
   *
   * @param socket an open socket
   * @param ioLoop the loop @default IOLoop.instance()
   * @throws {ZMQError} ENOTSOCK for a closed socket
   * @throws {Error} when the socket already has a stream
   */
  constructor(socket: Socket, ioLoop: IOLoop = IOLoop.instance()) {
    if (!(socket instanceof Socket)) {
      throw new TypeError(
        `Cannot create a ZMQStream: expected a Socket, got ${describe(socket)}`,
      );
    }
    socket.unsafeHandle("create a ZMQStream on a closed socket");
    const other = streams.get(socket);
    if (other && !other.#closed) {
      throw new Error(
        "Cannot create a ZMQStream: this socket already has one (close it first)",
      );
    }
    this.socket = socket;
    this.ioLoop = ioLoop;
    this.#batched = socket.type !== REQ && socket.type !== REP;
    ioLoop.addHandler(socket, this.#handleEvents, 0);
    streams.set(socket, this);
    const unlisten = addCloseListener(ioLoop, () => {
      if (!this.#closed) this.#end(undefined, false);
    });
    const undrain = addDrainer(ioLoop, () => this.#drain());
    this.#unlisten = () => {
      unlisten();
      undrain();
    };
  }

  // ---- callbacks ----

  /**
   * Sets the callback for received messages (a list of parts, always);
   * `null` pauses receiving without consuming anything.
   *
   * @param callback receives each message; `null` to pause
   * @param copy false delivers `Frame`s (zero copy) @default true
   * @throws {Error} while `recvMultipart()` or `for await` consume the stream
   */
  onRecv(callback: ((msg: Uint8Array[]) => void) | null, copy?: true): void;
  /**
   * Sets the callback for received messages as zero-copy `Frame`s.
   *
   * @param callback receives each message; `null` to pause
   * @param copy false
   */
  onRecv(callback: ((msg: Frame[]) => void) | null, copy: false): void;
  /**
   * Sets the callback for received messages.
   *
   * @param callback receives each message; `null` to pause
   * @param copy false delivers `Frame`s
   */
  onRecv(
    callback: ((msg: Uint8Array[]) => void) | ((msg: Frame[]) => void) | null,
    copy?: boolean,
  ): void;
  onRecv(
    callback: ((msg: never) => void) | null,
    copy = true,
  ): void {
    this.#live("set a receive callback");
    checkCallback(callback, "set a receive callback");
    if (callback && this.#waiters.length) {
      throw new Error(
        "Cannot set a receive callback while recvMultipart() or for await is reading this stream",
      );
    }
    // (one cast, where it is stored: the overloads tie the type to `copy`)
    this.#recvCallback = callback as ((msg: Message) => void) | null;
    this.#recvCopy = copy !== false;
    this.#rebuild();
  }

  /**
   * Like `onRecv`, with the stream as first argument.
   *
   * @param callback receives the stream and each message; `null` to pause
   * @param copy false delivers `Frame`s @default true
   */
  onRecvStream(
    callback: ((stream: ZMQStream, msg: Uint8Array[]) => void) | null,
    copy?: true,
  ): void;
  /**
   * Like `onRecv` with `copy: false`, with the stream as first argument.
   *
   * @param callback receives the stream and each message as `Frame`s; `null` to pause
   * @param copy false
   */
  onRecvStream(
    callback: ((stream: ZMQStream, msg: Frame[]) => void) | null,
    copy: false,
  ): void;
  /**
   * Like `onRecv`, with the stream as first argument.
   *
   * @param callback receives the stream and each message; `null` to pause
   * @param copy false delivers `Frame`s
   */
  onRecvStream(
    callback:
      | ((stream: ZMQStream, msg: Uint8Array[]) => void)
      | ((stream: ZMQStream, msg: Frame[]) => void)
      | null,
    copy?: boolean,
  ): void;
  onRecvStream(
    callback: ((stream: ZMQStream, msg: never) => void) | null,
    copy = true,
  ): void {
    checkCallback(callback, "set a receive callback");
    this.onRecv(
      callback ? (msg: Message) => callback(this, msg as never) : null,
      copy as boolean,
    );
  }

  /**
   * Sets the callback for sent messages: the message as queued (the same
   * array) and its status (a tracker, undefined, or the `ZMQError`).
   *
   * @param callback the callback; `null` to remove
   */
  onSend(callback: SendCallback | null): void {
    this.#live("set a send callback");
    checkCallback(callback, "set a send callback");
    this.#sendCallback = callback ?? null;
  }

  /**
   * Like `onSend`, with the stream as first argument.
   *
   * @param callback the callback; `null` to remove
   */
  onSendStream(
    callback:
      | ((stream: ZMQStream, msg: Payload[], status: SendStatus) => void)
      | null,
  ): void {
    checkCallback(callback, "set a send callback");
    this.onSend(callback ? (msg, status) => callback(this, msg, status) : null);
  }

  /**
   * Sets the callback for errors of the stream's own socket operations. With
   * none, they are reported like any loop error.
   *
   * @param callback the callback; `null` to remove
   */
  onErr(callback: ((error: ZMQError) => void) | null): void {
    this.#live("set an error callback");
    checkCallback(callback, "set an error callback");
    this.#errCallback = callback ?? null;
  }

  /** Same as `onRecv(null)`. A no-op once closed. */
  stopOnRecv(): void {
    if (this.#closed) return;
    this.onRecv(null);
  }

  /** Same as `onSend(null)`. A no-op once closed. */
  stopOnSend(): void {
    this.#sendCallback = null;
  }

  /** Same as `onErr(null)`. A no-op once closed. */
  stopOnErr(): void {
    this.#errCallback = null;
  }

  /**
   * Sets a callback run once when the stream closes.
   *
   * @param callback the callback; `null` to remove
   */
  setCloseCallback(callback: (() => void) | null): void {
    checkCallback(callback, "set a close callback");
    this.#closeCallback = callback ?? null;
  }

  // ---- sending ----

  /**
   * Queues a one-part message. Never blocks, never drops; written when the
   * socket can take it, then reported to `onSend` as `[data]`.
   *
   * @param data bytes or a string
   * @param flags `SNDMORE` continues a message across calls
   * @param options copy, track and a per-message callback
   * @throws {TypeError} when data is not bytes or text (nothing queued)
   * @throws {ZMQError} ENOTSOCK once closed
   */
  send(data: Payload, flags = 0, options?: StreamSendOptions): void {
    this.#usable("send");
    checkFlags(flags, "send");
    checkPayload(data, "send");
    const parts = [data];
    this.#enqueue(parts, parts, flags, options);
  }

  /**
   * Queues a multipart message (see `send`); `onSend` gets this very array.
   *
   * @param parts the parts
   * @param flags `SNDMORE` continues a message across calls
   * @param options copy, track and a per-message callback
   * @throws {TypeError} when a part is not bytes or text (nothing queued)
   */
  sendMultipart(
    parts: Payload[],
    flags = 0,
    options?: StreamSendOptions,
  ): void {
    this.#usable("send a multipart message");
    checkFlags(flags, "send a multipart message");
    checkParts(parts, "send a multipart message");
    // Written later: a snapshot, so changing the array after this call can
    // neither change the message nor leave half of it glued to the next.
    this.#enqueue(parts.slice(), parts, flags, options);
  }

  /**
   * Queues a string, sent as UTF-8.
   *
   * @param text the text
   * @param flags send flags
   * @param options as for `send`
   */
  sendString(text: string, flags = 0, options?: StreamSendOptions): void {
    if (typeof text !== "string") {
      throw new TypeError(`Cannot send a string: got ${describe(text)}`);
    }
    this.send(text, flags, options);
  }

  /**
   * Queues a value as JSON text.
   *
   * @param value the value
   * @param flags send flags
   * @param options as for `send`
   * @throws {TypeError} when JSON cannot encode the value (nothing queued)
   */
  sendJson(value: unknown, flags = 0, options?: StreamSendOptions): void {
    this.#usable("send JSON");
    this.send(jsonBytes(value, "send JSON"), flags, options);
  }

  #enqueue(
    parts: Payload[],
    original: Payload[],
    flags: number,
    options?: StreamSendOptions,
  ): void {
    if (options?.callback !== undefined) {
      checkCallback(options.callback, "send with a callback");
    }
    if (this.#queue.push({ parts, original, flags, options })) this.#rebuild();
  }

  /** Messages queued and not yet written. */
  get sendQueueLength(): number {
    return this.#queue.length;
  }

  /**
   * Resolves once the send queue is empty (at once if it is).
   *
   * @returns a Promise
   */
  drained(options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // A closed loop dropped (or would never write) the queue: not "drained".
    if (this.ioLoop.closed) {
      return Promise.reject(
        new LoopClosedError("wait for the send queue to drain"),
      );
    }
    if (this.sendQueueLength === 0 || this.#closed) return Promise.resolve();
    return this.#queue.drained(signal);
  }

  /**
   * The received messages as a Web `ReadableStream`. It receives only when
   * its reader pulls, so messages nobody reads stay in libzmq (the HWM
   * applies). It ends when the stream closes. Cancelling it stops reading
   * and leaves the stream open; a pending read then consumes nothing. One
   * per stream; it cannot be used with `onRecv`.
   */
  get readable(): ReadableStream<Uint8Array[]> {
    return this.#readable ??= readableOf((signal) =>
      this.#closed
        ? Promise.resolve(null)
        : this.#next(signal, true, -1, true) as Promise<Uint8Array[] | null>
    );
  }

  /**
   * A Web `WritableStream` of messages (bytes, a string, or a list of parts
   * for a multipart message), queued like `sendMultipart`; each `write()`
   * resolves once libzmq has taken the message. A chunk of another type
   * errors the stream with a `TypeError`, nothing of it sent. Closing or
   * aborting it leaves the stream open; an abort drops what it queued and
   * has not written.
   */
  get writable(): WritableStream<WritableMessage> {
    return this.#writable ??= writableOf((parts, signal) =>
      this[kSend](parts, 0, undefined, signal)
    );
  }

  /**
   * Iterates over received messages until the stream closes, as `for await
   * (const msg of stream)` does, with a signal: an abort ends the wait in
   * progress with the signal's reason and consumes nothing.
   *
   * @param options `signal` bounds the iteration
   * @returns an async iterator of messages
   */
  messages(
    options: { signal?: AbortSignal } = {},
  ): AsyncIterableIterator<Uint8Array[]> {
    const signal = options.signal;
    const iterator: AsyncIterableIterator<Uint8Array[]> = {
      next: (): Promise<IteratorResult<Uint8Array[]>> => {
        if (this.#closed) {
          return Promise.resolve({ done: true, value: undefined });
        }
        let msg: Message | null;
        try {
          msg = this.#now(signal, true);
        } catch (error) {
          return Promise.reject(error);
        }
        // A message waiting: one settled promise, no async function's.
        if (msg) {
          return Promise.resolve({ done: false, value: msg as Uint8Array[] });
        }
        return this.#wait(signal, true, -1, true).then(iteration);
      },
      return: (): Promise<IteratorResult<Uint8Array[]>> =>
        Promise.resolve({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  // ---- state ----

  /** Whether messages are being received (a callback or a waiting reader). */
  receiving(): boolean {
    return !this.#closed &&
      (this.#recvCallback !== null || this.#waiters.length > 0);
  }

  /** Whether messages wait in the send queue. */
  sending(): boolean {
    return this.#queue.length > 0;
  }

  /**
   * Whether the stream is closed, as `closed` on a `Socket`, `Context` or
   * `IOLoop`. Reading it notices a socket closed underneath: the stream then
   * closes too (its close callback runs).
   *
   * @example
   * ```ts
   * import { Context, IOLoop, PAIR, ZMQStream } from "@zmqloop/zmq";
   * const ctx = new Context(), loop = new IOLoop();
   * const stream = new ZMQStream(ctx.socket(PAIR), loop);
   * console.log(stream.isClosed); // false
   * stream.socket.close();
   * console.log(stream.isClosed, stream.closed()); // true true
   * loop.close();
   * ctx.destroy();
   * ```
   */
  get isClosed(): boolean {
    if (this.#closed) return true;
    if (this.socket.closed) {
      this.close();
      return true;
    }
    return false;
  }

  /** PyZMQ's name for `isClosed`, as a method: an alias of it. */
  closed(): boolean {
    return this.isClosed;
  }

  #live(what: string): void {
    if (this.#closed || this.socket.closed) {
      if (!this.#closed) this.close();
      throw new ZMQError(ENOTSOCK, `Cannot ${what}`, "the stream is closed");
    }
  }

  /** As `#live`, and the loop that would do the work must be open. */
  #usable(what: string): void {
    if (this.ioLoop.closed) throw new LoopClosedError(what);
    this.#live(what);
  }

  /** Derives the loop's interest from the state: the single place that does. */
  #rebuild(): void {
    if (this.#closed) return;
    let interest = (this.receiving() ? POLLIN : 0) |
      (this.sending() ? POLLOUT : 0);
    for (const p of this.#polls) interest |= p.flags;
    if (interest !== this.#interest) {
      this.#interest = interest;
      this.ioLoop.updateHandler(this.socket, interest);
    }
  }

  // ---- the loop's side ----

  /** The loop's handler; returns true when it moved a message (maybe more). */
  #handleEvents = (_socket: Socket, events: number): boolean => {
    if (this.#closed) return false;
    if (this.socket.closed) {
      this.close();
      return false;
    }
    let moved = false;
    try {
      if (this.#polls.length) this.#servePolls();
      if (events & POLLIN && this.receiving()) {
        moved = this.#handleRecv(false);
        if (moved && this.#batched) {
          // more while nothing else on the loop waits (fairness: two busy
          // streams still take turns message by message)
          const loop = this.ioLoop;
          let more = 0;
          while (
            more < RECV_BATCH - 1 && loop[kAlone]() && this.receiving() &&
            !this.socket.closed && this.#handleRecv(false)
          ) more++;
          if (more) loop[kWorked](more);
        }
      }
      if (this.#closed) return false;
      if (this.socket.closed) {
        // a callback closed the socket: the stream ends, as it would on the
        // next pass, with no send tried (and reported) on the closed socket
        this.close();
        return false;
      }
      // After a receive, a send its callback queued is tried at once, not a
      // pass later: a REP can answer now, though its EVENTS said no POLLOUT.
      if ((events & POLLOUT || moved) && this.sending()) {
        // Queued sends go out in a batch (order is the queue's either way):
        // a pass per message would cost more than the write itself.
        for (let i = 0; i < SEND_BATCH && this.#handleSend(); i++) {
          moved = true;
          if (this.#closed) return false;
        }
      }
    } finally {
      this.#rebuild();
    }
    return moved;
  };

  /** Receives one message and delivers it; returns whether one was there. */
  #handleRecv(force: boolean): boolean {
    if (this.#flushed && !force) return false;
    const waiter = this.#waiters[0];
    const copy = waiter ? waiter.copy : this.#recvCopy;
    let msg: Message | null;
    try {
      msg = this.socket.tryRecvMultipart(copy);
    } catch (error) {
      if (!waiter) {
        this.#error(error);
        return false;
      }
      this.#waiters.shift();
      waiter.reject(error); // a promise's error is its rejection
      return true;
    }
    if (msg === null) return false;
    if (waiter) {
      this.#waiters.shift();
      waiter.resolve(msg);
      return true;
    }
    const callback = this.#recvCallback;
    if (callback) this.#invoke(callback, msg);
    return true;
  }

  /** Resolves poll waiters whose events are ready (read from ZMQ_EVENTS). */
  #servePolls(): void {
    let ready: number;
    try {
      ready = this.socket.events;
    } catch (error) {
      for (const p of this.#polls.splice(0)) p.reject(error);
      return;
    }
    this.#polls = this.#polls.filter((p) => {
      if (!(ready & p.flags)) return true;
      p.resolve(ready & p.flags);
      return false;
    });
  }

  /** Writes the next queued message; returns whether one was written. */
  #handleSend(): boolean {
    if (this.#flushed) return false;
    const item = this.#queue.peek();
    if (!item) return false;
    if (item.options?.signal?.aborted) {
      this.#queue.shift(); // aborted while queued: dropped unwritten
      return true;
    }
    let status: SendStatus;
    try {
      const result = this.socket.trySendMultipart(
        item.parts,
        item.flags,
        item.options,
      );
      if (result === false) return false; // not writable after all: keep it
      status = result;
    } catch (error) {
      status = error as ZMQError;
      if (!item.settle) this.#error(error); // a promise's error is its rejection
      if (this.#closed) return true;
    }
    this.#queue.shift();
    item.settle?.(status);
    const callback = item.options?.callback ?? this.#sendCallback;
    if (callback) this.#invoke(callback, item.original, status);
    return true;
  }

  /**
   * @internal queues a message (already checked) and resolves when libzmq
   * has taken it; rejects with its error, with `signal`'s reason when
   * aborted while queued (it is then never written), or with ENOTSOCK when
   * the stream closes first.
   */
  [kSend](
    parts: Payload[],
    flags: number,
    options: SocketSendOptions | undefined,
    signal?: AbortSignal,
  ): Promise<MessageTracker | undefined> {
    try {
      this.#usable("send");
      signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => item.settle!(undefined, signal!.reason);
      const item: Queued = {
        parts,
        original: parts,
        flags,
        options: signal ? { ...options, signal } : options,
        settle: (status, dropped) => {
          item.settle = undefined; // once
          signal?.removeEventListener("abort", onAbort);
          if (dropped !== undefined) reject(dropped);
          else if (status instanceof ZMQError) reject(status);
          else resolve(status);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (this.#queue.push(item)) this.#rebuild();
    });
  }

  #error(error: unknown): void {
    const callback = this.#errCallback;
    if (callback && error instanceof ZMQError) this.#invoke(callback, error);
    else this.#report(error);
  }

  /** Calls a user callback: a throw or a rejection reaches the loop's errorHandler. */
  #invoke<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    callUser(this.ioLoop, fn, ...args);
  }

  #report(error: unknown): void {
    reportError(this.ioLoop, error);
  }

  /**
   * Handles pending events now, bypassing the loop: receives for the
   * receive callback (or a pending `recvMultipart()`) and writes queued
   * messages. With no one to receive, messages stay in the socket (PyZMQ
   * reads and discards them).
   *
   * @param flag `POLLIN`, `POLLOUT` or both @default POLLIN | POLLOUT
   * @param limit the most events to handle @default no limit
   * @returns how many events were handled
   * @throws {RangeError} for an unknown flag or a negative limit
   */
  flush(flag: number = POLLIN | POLLOUT, limit?: number | null): number {
    this.#usable("flush");
    if (
      typeof flag !== "number" || !Number.isInteger(flag) ||
      (flag & ~(POLLIN | POLLOUT)) !== 0
    ) {
      throw new RangeError(
        `Cannot flush: flag must be POLLIN, POLLOUT or both, got ${
          typeof flag === "number" ? flag : describe(flag)
        }`,
      );
    }
    const max = limit ?? Infinity;
    if (typeof max !== "number" || !(max >= 0)) {
      throw new RangeError(
        `Cannot flush: limit must be a number >= 0, got ${String(limit)}`,
      );
    }
    // A flush from a callback this flush runs would recurse once per
    // message (50k waiting: a stack overflow, and messages read but never
    // delivered): the running flush goes on instead, in order.
    if (this.#flushing) return 0;
    this.#flushing = true;
    const alreadyFlushed = this.#flushed;
    this.#flushed = false;
    let count = 0;
    try {
      while (count < max) {
        // Unlike PyZMQ, never read a message nobody is waiting for (PyZMQ
        // reads and drops it): it stays queued in the socket instead.
        const want =
          (this.#recvCallback || this.#waiters.length ? flag & POLLIN : 0) |
          (this.sending() ? flag & POLLOUT : 0);
        if (!want) break;
        const ready = this.socket.events & want;
        if (!ready) break;
        let progressed = false;
        if (ready & POLLIN) {
          if (this.#handleRecv(true)) {
            count++;
            progressed = true;
          }
          if (this.#closed) break;
        }
        if (ready & POLLOUT && this.sending() && count < max) {
          if (this.#handleSend()) {
            count++;
            progressed = true;
          }
          if (this.#closed) break;
        }
        if (!progressed) break;
      }
    } finally {
      this.#flushing = false;
      if (count) {
        this.#flushed = true;
        if (!alreadyFlushed) {
          this.ioLoop.addCallback(() => this.#flushed = false);
        }
      } else if (alreadyFlushed) this.#flushed = true;
      this.#rebuild();
    }
    return count;
  }

  // ---- promises and async iteration ----

  /**
   * Receives the next message. An aborted call consumes nothing. When a
   * message is already waiting and no other receive is pending, it is taken
   * at once, without a loop turn.
   *
   * @param options `signal` aborts the wait; `copy: false` gives `Frame`s
   * @returns the message's parts
   * @throws {Error} (as a rejection) while an `onRecv` callback is set
   * @throws {ZMQError} (as a rejection) ENOTSOCK when the stream closes first
   */
  recvMultipart(
    options?: { signal?: AbortSignal; copy?: true },
  ): Promise<Uint8Array[]>;
  /**
   * Receives the next message as zero-copy `Frame`s.
   *
   * @param options `copy: false`, and `signal` to abort the wait
   * @returns the message's frames
   */
  recvMultipart(
    options: { signal?: AbortSignal; copy: false },
  ): Promise<Frame[]>;
  /**
   * Receives the next message.
   *
   * @param options `signal` aborts the wait; `copy: false` gives `Frame`s
   * @returns the message
   */
  recvMultipart(
    options?: { signal?: AbortSignal; copy?: boolean },
  ): Promise<Uint8Array[] | Frame[]>;
  recvMultipart(
    options: { signal?: AbortSignal; copy?: boolean } = {},
  ): Promise<Uint8Array[] | Frame[]> {
    return this.#next(
      options.signal,
      options.copy !== false,
      -1,
      false,
    ) as Promise<
      Message
    >;
  }

  /** @internal a receive bounded by `timeout` ms (>= 0), rejecting with `Again`. */
  [kReceive](
    copy: boolean,
    signal: AbortSignal | undefined,
    timeout: number,
  ): Promise<Message> {
    return this.#next(signal, copy, timeout, false) as Promise<Message>;
  }

  /**
   * The one receive path: a message waiting is taken at once; otherwise a
   * waiter is queued. A close settles it with null when `endOnClose` (an
   * iteration ends), else rejects it with ENOTSOCK.
   */
  #next(
    signal: AbortSignal | undefined,
    copy: boolean,
    timeout: number,
    endOnClose: boolean,
  ): Promise<Message | null> {
    let msg: Message | null;
    try {
      msg = this.#now(signal, copy);
    } catch (error) {
      return Promise.reject(error);
    }
    return msg
      ? Promise.resolve(msg)
      : this.#wait(signal, copy, timeout, endOnClose);
  }

  /**
   * The synchronous half of `#next`: checks the call, then takes a waiting
   * message when no one is ahead and the streak allows; null when the
   * caller must wait. (Apart from `#wait`: a closure in the same function
   * would cost every fast receive a V8 context allocation.)
   */
  #now(signal: AbortSignal | undefined, copy: boolean): Message | null {
    this.#usable("receive");
    if (this.#recvCallback) {
      throw new Error(
        "Cannot read with recvMultipart() or for await while an onRecv callback is set (call stopOnRecv() first)",
      );
    }
    signal?.throwIfAborted();
    if (this.#waiters.length === 0) {
      if (this.#streak < STREAK) {
        const msg = this.socket.tryRecvMultipart(copy);
        if (msg) {
          this.#streak++;
          return msg;
        }
      } else setImmediate(this.#kick); // let timers and I/O run, then serve
    }
    this.#streak = 0;
    return null;
  }

  /** Queues a waiter for the next message (the slow half of `#next`). */
  #wait(
    signal: AbortSignal | undefined,
    copy: boolean,
    timeout: number,
    endOnClose: boolean,
  ): Promise<Message | null> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        signal?.removeEventListener("abort", abort);
        if (timer !== undefined) clearTimeout(timer);
      };
      const waiter: Waiter = {
        copy,
        resolve: (msg) => {
          settle();
          if (msg === null && !endOnClose) {
            reject(
              new ZMQError(
                ENOTSOCK,
                "Cannot receive",
                "the stream was closed",
              ),
            );
          } else resolve(msg);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const drop = (reason: unknown) => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        this.#rebuild();
        waiter.reject(reason);
      };
      const abort = () => drop(signal!.reason);
      signal?.addEventListener("abort", abort, { once: true });
      if (timeout >= 0) {
        timer = setTimeout(
          () =>
            drop(new Again(`Cannot receive within RCVTIMEO (${timeout} ms)`)),
          timeout,
        );
      }
      this.#waiters.push(waiter);
      this.#rebuild();
    });
  }

  /** Serves pending receives now (after a yield), without the loop. */
  #kick = (): void => {
    if (this.#closed || this.ioLoop.closed) return;
    while (this.#waiters.length && this.#handleRecv(true));
    this.#rebuild();
  };

  /**
   * @internal resolves with the ready events among `flags` (0 once
   * `timeout` ms pass; negative waits forever); consumes nothing.
   */
  [kPoll](
    flags: number,
    timeout: number,
    signal?: AbortSignal,
  ): Promise<number> {
    let ready: number;
    try {
      this.#usable("poll");
      signal?.throwIfAborted();
      ready = this.socket.events & flags;
    } catch (error) {
      return Promise.reject(error);
    }
    if (ready || timeout === 0) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        signal?.removeEventListener("abort", abort);
        if (timer !== undefined) clearTimeout(timer);
      };
      const waiter: PollWaiter = {
        flags,
        resolve: (events) => {
          settle();
          resolve(events);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const drop = (finish: () => void) => {
        const i = this.#polls.indexOf(waiter);
        if (i < 0) return;
        this.#polls.splice(i, 1);
        this.#rebuild();
        finish();
      };
      const abort = () => drop(() => waiter.reject(signal!.reason));
      signal?.addEventListener("abort", abort, { once: true });
      if (timeout > 0 && timeout <= 2147483647) {
        timer = setTimeout(() => drop(() => waiter.resolve(0)), timeout);
      }
      this.#polls.push(waiter);
      this.#rebuild();
    });
  }

  /**
   * Iterates over received messages until the stream closes.
   *
   * @returns an async iterator of messages
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array[]> {
    return this.messages();
  }

  // ---- lifecycle ----

  /**
   * Closes the stream and its socket, discarding the send queue; runs the
   * close callback once. Idempotent.
   *
   * @param linger `LINGER` for the socket's close
   */
  close(linger?: number): void {
    if (linger !== undefined) checkLinger(linger, "close the stream");
    if (!this.#closed) this.#end(linger, true);
    // Ended by its loop's close: the socket was left open until now.
    else if (!this.socket.closed) this.socket.close(linger);
  }

  /**
   * Ends the stream: drops the queue, settles everything pending (receives
   * end, sends and polls reject), runs the close callback once. The socket
   * is closed too unless the stream ends because its loop closed (then
   * `loop.close({ allFds: true })` decides).
   */
  #end(linger: number | undefined, closeSocket: boolean): void {
    this.#closed = true;
    this.#unlisten();
    const why = closeSocket
      ? (what: string) =>
        new ZMQError(ENOTSOCK, `Cannot ${what}`, "the stream was closed first")
      : (what: string) => new LoopClosedError(what);
    const dropped = this.#queue.clear();
    if (!this.ioLoop.closed) this.ioLoop.removeHandler(this.socket);
    if (closeSocket && !this.socket.closed) this.socket.close(linger);
    streams.delete(this.socket);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (closeSocket) w.resolve(null);
      else w.reject(why("receive"));
    }
    for (const p of this.#polls.splice(0)) p.reject(why("poll"));
    for (const item of dropped) item.settle?.(undefined, why("send"));
    const callback = this.#closeCallback;
    this.#closeCallback = null;
    if (callback) this.#invoke(callback);
  }

  /** @internal see `kDetach`. */
  [kDetach](): boolean {
    if (this.#closed) return true;
    if (
      this.#waiters.length || this.#polls.length || this.#queue.length ||
      this.#recvCallback
    ) return false;
    this.#end(undefined, false);
    return true;
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Waits for the send queue to be written (at most the socket's `LINGER`
   * ms; without limit when it is -1), then closes: `await using` loses
   * nothing it could send. The thread stays free meanwhile.
   *
   * @returns a Promise that resolves once closed
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.closed()) return;
    await this.#drain();
    this.close();
  }

  /** Waits for the queue to be written, at most the socket's LINGER ms. */
  async #drain(): Promise<void> {
    if (!this.sending() || this.ioLoop.closed || this.#closed) return;
    const linger = this.socket.getsockopt(LINGER);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waits = [this.drained().catch(() => {})];
    if (linger >= 0) {
      waits.push(new Promise((r) => timer = setTimeout(r, linger)));
    }
    await Promise.race(waits);
    clearTimeout(timer);
  }

  /**
   * Lets this stream keep the process alive while it waits for something
   * (a receive callback, a pending receive, queued sends): the default, as
   * for a listener. A no-op once closed.
   */
  ref(): void {
    if (!this.#closed) this.ioLoop[kSetRef](this.socket, true);
  }

  /**
   * Stops this stream from keeping the process alive: with nothing else
   * pending the process exits even though it waits for messages. It still
   * delivers while the process runs. A no-op once closed.
   */
  unref(): void {
    if (!this.#closed) this.ioLoop[kSetRef](this.socket, false);
  }

  // ---- socket passthrough ----

  /**
   * Binds the socket.
   *
   * @param addr the endpoint
   */
  bind(addr: string): void {
    this.#live(`bind to "${addr}"`);
    this.socket.bind(addr);
  }

  /**
   * Connects the socket.
   *
   * @param addr the endpoint
   */
  connect(addr: string): void {
    this.#live(`connect to "${addr}"`);
    this.socket.connect(addr);
  }

  /**
   * Unbinds the socket.
   *
   * @param addr the endpoint
   */
  unbind(addr: string): void {
    this.#live(`unbind from "${addr}"`);
    this.socket.unbind(addr);
  }

  /**
   * Disconnects the socket.
   *
   * @param addr the endpoint
   */
  disconnect(addr: string): void {
    this.#live(`disconnect from "${addr}"`);
    this.socket.disconnect(addr);
  }

  /**
   * Sets a socket option.
   *
   * @param option the option
   * @param value its value
   */
  setsockopt(
    option: number,
    value: number | bigint | string | Uint8Array | boolean,
  ): void {
    this.#live("set a socket option");
    this.socket.setsockopt(option, value);
  }

  /**
   * Reads a socket option.
   *
   * @param option the option
   * @returns its value
   */
  getsockopt<O extends number>(option: O): OptionValue<O> {
    this.#live("get a socket option");
    return this.socket.getsockopt(option);
  }

  /** Readable form for `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `ZMQStream(${
      Deno.inspect(this.socket)
    }, queued ${this.sendQueueLength}${this.#closed ? ", closed" : ""})`;
  }
}
