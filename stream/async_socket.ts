/**
 * `AsyncSocket`: PyZMQ's `zmq.asyncio.Socket` for Deno. Every send and
 * receive returns a Promise; many may be pending at once and settle in
 * order (never EBUSY).
 *
 * It is a thin layer over one `ZMQStream` (the stream's send queue and its
 * pending receives are the only ones): a call first tries the socket
 * without blocking and settles at once when libzmq can take or give the
 * message, so `await` and `for await` need no loop turn per message; only
 * when the socket is not ready does the call wait in the stream's queue,
 * driven by the `IOLoop`.
 *
 * A little over 500 lines because it is zmq.asyncio's whole Socket API
 * (send, receive and poll forms, passthroughs, Web Streams, disposal), each
 * with its JSDoc; the machinery is the stream's.
 *
 * @module
 */

import type { SendOptions, Socket } from "../ffi/socket.ts";
import { checkFlags, kOptionWrites } from "../ffi/socket.ts";
import { checkPollFlags } from "../ffi/poller.ts";
import type { Frame, MessageTracker } from "../ffi/frame.ts";
import {
  checkParts,
  checkPayload,
  describe,
  fromUtf8,
  jsonBytes,
  type Payload,
} from "../ffi/bytes.ts";
import { Again, ZMQError } from "../ffi/errors.ts";
import { ENOTSOCK } from "../ffi/errno.ts";
import { type OptionValue, RCVTIMEO, SNDTIMEO } from "../ffi/options.ts";
import type { WritableMessage } from "./_web_streams.ts";
import { POLLIN } from "../ffi/constants.ts";
import { IOLoop, LoopClosedError } from "../loop/ioloop.ts";
import { kDetach, kPoll, kReceive, kSend, ZMQStream } from "./zmqstream.ts";

/** Options of an `AsyncSocket` send. */
export interface AsyncSendOptions {
  /** `false`: hand buffers of 64 KiB and more to libzmq without copying. @default true */
  copy?: boolean;
  /** Resolve with a `MessageTracker` that completes when libzmq releases the buffer. @default false */
  track?: boolean;
  /** Aborts the send while it waits; an aborted send writes nothing. */
  signal?: AbortSignal;
}

/** Options of an `AsyncSocket` receive. */
export interface AsyncRecvOptions {
  /** Aborts the wait; an aborted receive consumes nothing. */
  signal?: AbortSignal;
}

function closedError(what: string): ZMQError {
  return new ZMQError(ENOTSOCK, `Cannot ${what}`, "the socket is closed");
}

/**
 * A socket whose sends and receives return Promises (PyZMQ's
 * `zmq.asyncio.Socket`). `RCVTIMEO`/`SNDTIMEO` (>= 0) bound each receive and
 * send: it rejects with `Again` when the time passes. An aborted call
 * consumes or sends nothing; `close()` rejects what is pending with
 * `ENOTSOCK`; `for await` ends when the socket closes.
 *
 * A receive that finds a message waiting takes it at once, and so does a
 * send that finds the socket writable and nothing queued before it: `await`
 * costs a microtask, not a loop turn. After 256 such messages in a row a
 * receive yields once to timers and I/O (`setImmediate`), so a fast
 * producer cannot starve the rest of the program. Nothing is read from
 * libzmq that no call asked for: HWM backpressure works as with the raw
 * socket.
 *
 * @example An awaiting REQ client and REP server
 * ```ts
 * import { AsyncSocket, Context, IOLoop, REP, REQ } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const loop = new IOLoop();
 * const server = new AsyncSocket(ctx.socket(REP), loop);
 * const port = server.socket.bindToRandomPort("tcp://127.0.0.1");
 * const client = new AsyncSocket(ctx.socket(REQ), loop);
 * client.connect(`tcp://127.0.0.1:${port}`);
 *
 * await client.send("ping");
 * await server.sendMultipart(await server.recvMultipart()); // echo
 * console.log(await client.recvString()); // "ping"
 *
 * client.close();
 * server.close();
 * loop.close();
 * ctx.term();
 * ```
 */
export class AsyncSocket
  implements AsyncDisposable, Disposable, AsyncIterable<Uint8Array[]> {
  /** The socket (closed with this object). */
  readonly socket: Socket;
  /** The loop that serves waiting calls. */
  readonly ioLoop: IOLoop;
  #stream: ZMQStream;
  #partial: Uint8Array[] = [];
  #writes = -1;
  #rcvtimeo = -1;
  #sndtimeo = -1;

  /**
   * Takes over a socket, as a `ZMQStream` does (one per socket).
   *
   * @param socket an open socket
   * @param ioLoop the loop @default IOLoop.instance()
   * @throws {ZMQError} ENOTSOCK for a closed socket
   * @throws {Error} when the socket already has a stream or an AsyncSocket
   */
  constructor(socket: Socket, ioLoop: IOLoop = IOLoop.instance()) {
    const stream = new ZMQStream(socket, ioLoop);
    this.#stream = stream;
    this.socket = socket;
    this.ioLoop = ioLoop;
    // Every error of this socket reaches a Promise: none is also logged.
    stream.onErr(() => {});
  }

  /** Whether the socket is closed. */
  get closed(): boolean {
    return this.#stream.isClosed;
  }

  #check(what: string): void {
    if (this.ioLoop.closed) throw new LoopClosedError(what);
    if (this.#stream.isClosed) throw closedError(what);
  }

  /** RCVTIMEO and SNDTIMEO, read again only after an option was set. */
  #timeouts(): void {
    const writes = this.socket[kOptionWrites];
    if (writes === this.#writes) return;
    this.#rcvtimeo = this.socket.getsockopt(RCVTIMEO);
    this.#sndtimeo = this.socket.getsockopt(SNDTIMEO);
    this.#writes = writes;
  }

  // ---- sending ----

  /**
   * Sends one part; resolves when libzmq has taken it.
   *
   * @param data bytes, or a string sent as UTF-8
   * @param flags `SNDMORE` continues a message across calls
   * @param options copy, track, signal
   * @returns a Promise of the tracker (`track: true`) or undefined
   */
  send(
    data: Payload,
    flags = 0,
    options?: AsyncSendOptions,
  ): Promise<MessageTracker | undefined> {
    try {
      checkPayload(data, "send");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sendMultipart([data], flags, options);
  }

  /**
   * Sends a multipart message; resolves when libzmq has taken it. Sends
   * made while earlier ones wait are queued behind them, in order.
   *
   * @param parts the parts, bytes or strings
   * @param flags `SNDMORE` continues a message across calls
   * @param options copy, track, signal
   * @returns a Promise of the tracker (`track: true`) or undefined
   * @throws {TypeError} (as a rejection) for a part that is not bytes or text
   * @throws {Again} (as a rejection) when `SNDTIMEO` passes first
   */
  sendMultipart(
    parts: Payload[],
    flags = 0,
    options: AsyncSendOptions = {},
  ): Promise<MessageTracker | undefined> {
    try {
      this.#check("send");
      checkFlags(flags, "send");
      checkParts(parts, "send a multipart message");
      options.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    const socketOptions = options.copy === false || options.track
      ? { copy: options.copy, track: options.track }
      : undefined;
    if (!this.#stream.sending()) {
      try {
        const sent = this.socket.trySendMultipart(parts, flags, socketOptions);
        if (sent !== false) return Promise.resolve(sent);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#queueSend(parts, flags, socketOptions, options.signal);
  }

  // (Apart from sendMultipart: the timer's closure there would cost every
  // immediate send a V8 context allocation.)
  #queueSend(
    parts: Payload[],
    flags: number,
    socketOptions: SendOptions | undefined,
    userSignal: AbortSignal | undefined,
  ): Promise<MessageTracker | undefined> {
    try {
      this.#timeouts();
    } catch (error) {
      return Promise.reject(error);
    }
    const limit = this.#sndtimeo;
    if (limit < 0) {
      return this.#stream[kSend](parts, flags, socketOptions, userSignal);
    }
    // SNDTIMEO: a deadline that aborts the queued message with Again.
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(new Again(`Cannot send within SNDTIMEO (${limit} ms)`)),
      limit,
    );
    const signal = userSignal
      ? AbortSignal.any([userSignal, deadline.signal])
      : deadline.signal;
    return this.#stream[kSend](parts, flags, socketOptions, signal).finally(
      () => clearTimeout(timer),
    );
  }

  /**
   * Sends a string as UTF-8.
   *
   * @param text the text
   * @param flags send flags
   * @param options signal
   * @returns a Promise that resolves when libzmq has taken it
   */
  async sendString(
    text: string,
    flags = 0,
    options?: AsyncSendOptions,
  ): Promise<void> {
    if (typeof text !== "string") {
      throw new TypeError(`Cannot send a string: got ${describe(text)}`);
    }
    await this.send(text, flags, options);
  }

  /**
   * Sends a value as JSON text.
   *
   * @param value anything `JSON.stringify` accepts
   * @param flags send flags
   * @param options signal
   * @returns a Promise that resolves when libzmq has taken it
   */
  async sendJson(
    value: unknown,
    flags = 0,
    options?: AsyncSendOptions,
  ): Promise<void> {
    await this.send(jsonBytes(value, "send JSON"), flags, options);
  }

  // ---- receiving ----

  #receive(
    copy: boolean,
    signal?: AbortSignal,
  ): Promise<Uint8Array[] | Frame[]> {
    try {
      this.#timeouts();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#stream[kReceive](copy, signal, this.#rcvtimeo);
  }

  /**
   * Receives one part. The other parts of its message are kept for the next
   * `recv()` or `recvMultipart()`.
   *
   * @param options signal
   * @returns the part
   */
  recv(options: AsyncRecvOptions = {}): Promise<Uint8Array> {
    if (this.#partial.length) return Promise.resolve(this.#partial.shift()!);
    return this.#receive(true, options.signal).then((msg) => {
      const [first, ...rest] = msg as Uint8Array[];
      this.#partial.push(...rest);
      return first!;
    });
  }

  /**
   * Receives a whole message (or what is left of one after `recv()`).
   *
   * @param options signal
   * @returns the parts
   * @throws {Again} (as a rejection) when `RCVTIMEO` passes first
   * @throws {ZMQError} (as a rejection) ENOTSOCK when the socket closes first
   */
  recvMultipart(
    options?: AsyncRecvOptions & { copy?: true },
  ): Promise<Uint8Array[]>;
  /**
   * Receives a whole message as zero-copy `Frame`s.
   *
   * @param options `copy: false`, signal
   * @returns the frames
   */
  recvMultipart(options: AsyncRecvOptions & { copy: false }): Promise<Frame[]>;
  /**
   * Receives a whole message.
   *
   * @param options copy, signal
   * @returns the parts
   */
  recvMultipart(
    options?: AsyncRecvOptions & { copy?: boolean },
  ): Promise<Uint8Array[] | Frame[]>;
  recvMultipart(
    options: AsyncRecvOptions & { copy?: boolean } = {},
  ): Promise<Uint8Array[] | Frame[]> {
    if (this.#partial.length) {
      return Promise.resolve(this.#partial.splice(0));
    }
    return this.#receive(options.copy !== false, options.signal);
  }

  /**
   * Receives one part decoded as UTF-8.
   *
   * @param options signal
   * @returns the text
   */
  async recvString(options?: AsyncRecvOptions): Promise<string> {
    return fromUtf8(await this.recv(options));
  }

  /**
   * Receives one part parsed as JSON.
   *
   * @param options signal
   * @returns the value
   */
  async recvJson(options?: AsyncRecvOptions): Promise<unknown> {
    return JSON.parse(await this.recvString(options));
  }

  /**
   * Waits until the socket is ready, consuming nothing.
   *
   * @param timeout ms; negative, `Infinity` or omitted waits forever
   * @param flags the events of interest @default POLLIN
   * @param options signal
   * @returns the ready events among `flags`, 0 on timeout
   */
  poll(
    timeout = -1,
    flags: number = POLLIN,
    options: AsyncRecvOptions = {},
  ): Promise<number> {
    try {
      checkPollFlags(flags, "poll a socket");
      if (typeof timeout !== "number" || Number.isNaN(timeout)) {
        throw new TypeError(
          `Cannot poll a socket: timeout must be a number of ms, got ${
            describe(timeout)
          }`,
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const ms = timeout < 0 || timeout > 2147483647 ? -1 : Math.ceil(timeout);
    return this.#stream[kPoll](flags, ms, options.signal);
  }

  /**
   * Iterates over received messages until the socket closes.
   *
   * @returns an async iterator of messages
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array[]> {
    return this.#stream[Symbol.asyncIterator]();
  }

  /** @internal ends this AsyncSocket, leaving its socket open and unwatched, when nothing waits (see `kDetach`). */
  [kDetach](): boolean {
    return this.#stream[kDetach]();
  }

  // ---- passthrough ----

  /**
   * Binds the socket.
   *
   * @param addr the endpoint
   */
  bind(addr: string): void {
    this.#stream.bind(addr);
  }

  /**
   * Connects the socket.
   *
   * @param addr the endpoint
   */
  connect(addr: string): void {
    this.#stream.connect(addr);
  }

  /**
   * Unbinds the socket.
   *
   * @param addr the endpoint
   */
  unbind(addr: string): void {
    this.#stream.unbind(addr);
  }

  /**
   * Disconnects the socket.
   *
   * @param addr the endpoint
   */
  disconnect(addr: string): void {
    this.#stream.disconnect(addr);
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
    this.#stream.setsockopt(option, value);
  }

  /**
   * Reads a socket option.
   *
   * @param option the option
   * @returns its value
   */
  getsockopt<O extends number>(option: O): OptionValue<O> {
    return this.#stream.getsockopt(option);
  }

  /**
   * Subscribes a SUB socket to a topic prefix.
   *
   * @param topic the prefix (`""` for everything)
   */
  subscribe(topic: string | Uint8Array): void {
    this.#check("subscribe");
    this.socket.subscribe(topic);
  }

  /**
   * Removes a subscription.
   *
   * @param topic the prefix
   */
  unsubscribe(topic: string | Uint8Array): void {
    this.#check("unsubscribe");
    this.socket.unsubscribe(topic);
  }

  // ---- lifecycle ----

  /**
   * Closes the socket now: queued sends are dropped and every pending call
   * rejects with `ENOTSOCK`. Idempotent.
   *
   * @param linger `LINGER` for the socket's close
   */
  close(linger?: number): void {
    this.#stream.close(linger);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Waits for queued sends to be written (at most `LINGER` ms; without
   * limit when it is -1), then closes: `await using` loses nothing it could
   * send.
   *
   * @returns a Promise that resolves once closed
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#stream[Symbol.asyncDispose]();
  }

  /**
   * Received messages as a Web `ReadableStream`, read from libzmq only when
   * its reader pulls (see `ZMQStream.readable`). Ends when the socket
   * closes; cancelling it leaves the socket open.
   */
  get readable(): ReadableStream<Uint8Array[]> {
    return this.#stream.readable;
  }

  /**
   * A Web `WritableStream` of messages; each `write()` resolves once libzmq
   * has taken the message (see `ZMQStream.writable`). Closing or aborting it
   * leaves the socket open.
   */
  get writable(): WritableStream<WritableMessage> {
    return this.#stream.writable;
  }

  /**
   * Iterates over received messages; `signal` ends the wait in progress
   * with its reason, consuming nothing.
   *
   * @param options signal
   * @returns an async iterator of messages
   */
  messages(
    options: AsyncRecvOptions = {},
  ): AsyncIterableIterator<Uint8Array[]> {
    return this.#stream.messages(options);
  }

  /**
   * Lets this socket keep the process alive while a call waits (the
   * default). A no-op once closed.
   */
  ref(): void {
    this.#stream.ref();
  }

  /**
   * Stops this socket from keeping the process alive while calls wait; it
   * still serves them while the process runs. A no-op once closed.
   */
  unref(): void {
    this.#stream.unref();
  }

  /** Readable form for `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `AsyncSocket(${Deno.inspect(this.socket)})`;
  }
}
