/**
 * `Socket`: a libzmq socket. Synchronous like PyZMQ's `zmq.Socket`: a receive
 * without `NOBLOCK` blocks the thread (use a `ZMQStream` for async code).
 *
 * Hot paths (send, recv, the EVENTS read) reuse module-level buffers and make
 * no allocation beyond the received message itself.
 *
 * Over 500 lines because it is the whole public `Socket` API, each method with
 * its JSDoc; the logic lives in `_message.ts` (fast paths), `_sockopt.ts`
 * (options) and `errors.ts` (the checkpoint).
 * @module
 */

import { lib } from "./library.ts";
import type { ZmqSymbols } from "./symbols.ts";
import {
  checkParts,
  checkPayload,
  cString,
  describe,
  fromUtf8,
  jsonBytes,
  type Payload,
} from "./bytes.ts";
import { BusyError, check, ContextTerminated, ZMQError } from "./errors.ts";
import { EADDRINUSE, EINVAL, ENOTSOCK, ERRNO } from "./errno.ts";
import {
  DONTWAIT,
  EVENT_ALL,
  PAIR,
  POLLIN,
  SNDMORE,
  SOCKET_TYPE_NAMES,
} from "./constants.ts";
import {
  EVENTS,
  FD,
  LAST_ENDPOINT,
  LINGER,
  type OptionProperties,
  optionProperty,
  type OptionValue,
  RCVMORE,
  SOCKET_OPTIONS,
} from "./options.ts";
import { SUBSCRIBE, UNSUBSCRIBE } from "./options.ts";
import { Frame, type MessageTracker, newMsg } from "./frame.ts";
import {
  copyOut,
  notNow,
  recvBuffer,
  recvIntoScratch,
  recvMsg,
  recvPart,
  type Scratch,
  scratchFor,
  type SendOptions,
  sendPart,
  sendTracked,
} from "./_message.ts";
import {
  getInt,
  getOption,
  type OptionInput,
  setOption,
  specOf,
} from "./_sockopt.ts";
import { checkPollFlags, pollOne } from "./poller.ts";

export { COPY_THRESHOLD, type SendOptions } from "./_message.ts";
export type { OptionInput, OptionOutput } from "./_sockopt.ts";

/** What a `Socket` needs from its `Context` (kept minimal to avoid a cycle). */
export interface SocketOwner {
  /** The native context, or null once terminated. */
  readonly handle: Deno.PointerValue | null;
  /** The linger given to new sockets. */
  readonly defaultLinger: number;
  /** Registers an open socket. */
  adopt(socket: Socket): void;
  /** Forgets a closed socket. */
  release(socket: Socket): void;
}

let nextMonitorId = 1;

/**
 * @internal the key of the function an event loop puts on a socket it
 * watches: called after each native use of the socket (send, receive, a
 * `ZMQ_EVENTS` read, close), since any of them can consume the edge of
 * `ZMQ_FD` that the loop waits on.
 */
export const kTouched: unique symbol = Symbol.for("zmqloop.touched");

/** @internal hands the native socket to another thread (a proxy). */
export const kLend: unique symbol = Symbol("zmqloop.lend");
/** @internal takes back a socket given with `kLend`. */
export const kGiveBack: unique symbol = Symbol("zmqloop.giveBack");

/**
 * Checks send/receive flags: an integer of the C int range (NaN, strings and
 * 2^40 would otherwise surface as Deno's "Invalid FFI i32 type").
 *
 * @param flags the flags given
 * @param what what was being done, for the error
 * @throws {TypeError} when flags is not an integer
 * @throws {RangeError} when flags is outside the 32-bit range
 */
export function checkFlags(flags: unknown, what: string): void {
  if (((flags as number) | 0) === flags) return;
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(
      `Cannot ${what}: flags must be an integer (NOBLOCK, SNDMORE), got ${
        typeof flags === "number" ? flags : describe(flags)
      }`,
    );
  }
  throw new RangeError(
    `Cannot ${what}: flags must fit in 32 bits, got ${flags}`,
  );
}

/**
 * Checks a `LINGER` value given to `close()`: an integer from -1 (wait
 * forever) to 2^31-1 ms.
 *
 * @param linger the value given
 * @param what what was being done, for the error
 * @throws {RangeError} for anything else (NaN, 1.5, -5, 2^31)
 */
export function checkLinger(linger: unknown, what: string): void {
  if (
    typeof linger !== "number" || !Number.isInteger(linger) || linger < -1 ||
    linger > 2147483647
  ) {
    throw new RangeError(
      `Cannot ${what}: linger must be an integer from -1 to 2147483647 ms, got ${
        typeof linger === "number" ? linger : describe(linger)
      }`,
    );
  }
}

/**
 * @internal counts `setsockopt` calls on a socket, so layers above can cache
 * an option (an AsyncSocket's RCVTIMEO) and notice when it may have changed.
 */
export const kOptionWrites: unique symbol = Symbol("zmqloop.optionWrites");

/** The error for using a closed socket. */
export function closedSocketError(what: string): ZMQError {
  return new ZMQError(ENOTSOCK, `Cannot ${what}`, "the socket is closed");
}

/**
 * Every option without a member of its own is also a typed property of a
 * socket (see `OptionProperties`): `socket.linger = 0`,
 * `socket.lastEndpoint`.
 */
export interface Socket extends OptionProperties {}

/**
 * A ZeroMQ socket. Create one with `context.socket(type)`.
 *
 * @example Request and reply in one process
 * ```ts
 * import { Context, REP, REQ } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const rep = ctx.socket(REP);
 * const port = rep.bindToRandomPort("tcp://127.0.0.1");
 * const req = ctx.socket(REQ);
 * req.connect(`tcp://127.0.0.1:${port}`);
 * req.send("ping");
 * rep.send(rep.recv()); // echo
 * console.log(req.recvString()); // "ping"
 * ctx.destroy();
 * ```
 */
export class Socket implements Disposable {
  #handle: Deno.PointerValue | null;
  #sym: ZmqSymbols;
  #s: Scratch;
  #owner: SocketOwner;
  #fd = -1;
  #monitor: Socket | null = null;
  #lent: { handle: Deno.PointerValue; to: string } | null = null;
  #optionWrites = 0;
  #touched: (() => void) | null = null;
  /** The socket type (`REQ`, `PUB`, ...). */
  readonly type: number;

  /**
   * Opens a socket in a context; `context.socket(type)` is the usual way.
   *
   * @param context the owning context
   * @param type a socket type constant
   * @throws {ZMQError} ETERM when the context is terminated, EINVAL for an unknown type
   */
  constructor(context: SocketOwner, type: number) {
    if (!Number.isInteger(type)) {
      throw new TypeError(
        `Cannot create a socket: type must be an integer constant, got ${
          describe(type)
        }`,
      );
    }
    const sym = lib();
    const ctx = context.handle;
    if (!ctx) {
      throw new ContextTerminated(
        `Cannot create a ${SOCKET_TYPE_NAMES[type] ?? type} socket`,
      );
    }
    let handle: Deno.PointerValue = null;
    const open = () => {
      handle = sym.zmq_socket(ctx, type);
      return handle ? 0 : -1;
    };
    check(
      open,
      `Cannot create a socket of type ${SOCKET_TYPE_NAMES[type] ?? type}`,
    );
    this.#handle = handle;
    this.#sym = sym;
    this.#s = scratchFor(sym);
    this.#owner = context;
    this.type = type;
    context.adopt(this);
    if (context.defaultLinger !== -1) {
      this.setsockopt(LINGER, context.defaultLinger);
    }
  }

  /** @internal the loop's hook, called after each native use (see `kTouched`). */
  get [kTouched](): (() => void) | null {
    return this.#touched;
  }

  /** @internal set by the loop watching this socket. */
  set [kTouched](fn: (() => void) | null) {
    this.#touched = fn;
  }

  /** @internal how many times options were set (see `kOptionWrites`). */
  get [kOptionWrites](): number {
    return this.#optionWrites;
  }

  /** The owning context. */
  get context(): SocketOwner {
    return this.#owner;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#handle === null && this.#lent === null;
  }

  /**
   * The native `void *` socket, for FFI code of your own (as sqlite3's
   * `unsafeHandle`): using it with libzmq from another thread, or after
   * `close()`, is undefined behaviour.
   *
   * @param what what it is needed for, for the error
   * @returns the handle
   * @throws {ZMQError} ENOTSOCK when closed, EBUSY while a proxy uses it
   */
  unsafeHandle(what = "use the socket"): Deno.PointerValue {
    const h = this.#handle;
    if (!h) throw this.#unusable(what);
    return h;
  }

  /**
   * Same as `unsafeHandle()` (the older name).
   *
   * @param what what it is needed for, for the error
   * @returns the handle
   */
  handle(what = "use the socket"): Deno.PointerValue {
    return this.unsafeHandle(what);
  }

  /** What uses the socket on another thread (e.g. `"a running proxy"`), or null. */
  get lentTo(): string | null {
    return this.#lent?.to ?? null;
  }

  /**
   * @internal hands the native socket to another thread (a proxy): until
   * `kGiveBack` every use from JavaScript throws EBUSY, since ZeroMQ sockets
   * are not thread-safe.
   */
  [kLend](to: string): Deno.PointerValue {
    const h = this.unsafeHandle(`lend the socket to ${to}`);
    this.#lent = { handle: h, to };
    this.#handle = null;
    return h;
  }

  /** @internal takes back a socket given with `kLend`. */
  [kGiveBack](): void {
    if (!this.#lent) return;
    this.#handle = this.#lent.handle;
    this.#lent = null;
  }

  #unusable(what: string): ZMQError {
    if (this.#lent) {
      return new BusyError(
        `Cannot ${what}`,
        `the socket is in use by ${this.#lent.to} (ZeroMQ sockets are not thread-safe; stop it first)`,
      );
    }
    return closedSocketError(what);
  }

  // ---- endpoints ----

  /**
   * Binds to an endpoint (`tcp://127.0.0.1:5555`, `tcp://*:*`, `ipc://x`, `inproc://x`).
   *
   * @param addr the endpoint
   * @throws {ZMQError} EINVAL, EPROTONOSUPPORT, EADDRINUSE, ... naming the endpoint
   */
  bind(addr: string): void {
    this.#endpointCall("bind to", addr, this.#sym.zmq_bind);
  }

  /**
   * Connects to an endpoint.
   *
   * @param addr the endpoint
   * @throws {ZMQError} EINVAL, EPROTONOSUPPORT, ... naming the endpoint
   */
  connect(addr: string): void {
    this.#endpointCall("connect to", addr, this.#sym.zmq_connect);
  }

  /**
   * Stops listening on an endpoint bound before.
   *
   * @param addr the endpoint as bound (or as `LAST_ENDPOINT` reports it)
   */
  unbind(addr: string): void {
    this.#endpointCall("unbind from", addr, this.#sym.zmq_unbind);
  }

  /**
   * Disconnects from an endpoint connected before.
   *
   * @param addr the endpoint as connected
   */
  disconnect(addr: string): void {
    this.#endpointCall("disconnect from", addr, this.#sym.zmq_disconnect);
  }

  #endpointCall(
    verb: string,
    addr: string,
    fn: (s: Deno.PointerValue, a: Uint8Array) => number,
  ): void {
    if (typeof addr !== "string") {
      throw new TypeError(
        `Cannot ${verb} an endpoint: expected a string, got ${describe(addr)}`,
      );
    }
    const h = this.unsafeHandle(`${verb} "${addr}"`);
    const endpoint = cString(addr);
    check(() => fn(h, endpoint), `Cannot ${verb} "${addr}"`);
  }

  /**
   * Binds to a random port of a tcp address, PyZMQ style.
   *
   * With no port range, the OS picks a free port (`addr:*`). With a range,
   * random ports in `[minPort, maxPort)` are tried up to `maxTries` times.
   *
   * @param addr a tcp address without port, e.g. `tcp://127.0.0.1`
   * @param minPort lowest port to try @default 49152
   * @param maxPort one past the highest port to try @default 65536
   * @param maxTries attempts before giving up @default 100
   * @returns the port bound
   * @throws {ZMQError} EADDRINUSE when no port in the range could be bound
   */
  bindToRandomPort(
    addr: string,
    minPort?: number,
    maxPort?: number,
    maxTries = 100,
  ): number {
    if (typeof addr !== "string") {
      throw new TypeError(
        `Cannot bind to a random port: expected a string address, got ${
          describe(addr)
        }`,
      );
    }
    const host = addr.startsWith("tcp://") ? addr.slice(6) : "";
    const hasPort = host.startsWith("[")
      ? host.includes("]:")
      : host.includes(":");
    if (!host || hasPort) {
      throw new ZMQError(
        EINVAL,
        `Cannot bind "${addr}" to a random port`,
        "expected a tcp:// address without a port, e.g. tcp://127.0.0.1",
      );
    }
    if (minPort === undefined && maxPort === undefined) {
      this.bind(`${addr}:*`);
      const endpoint = this.getsockopt(LAST_ENDPOINT);
      return Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
    }
    const lo = minPort ?? 49152, hi = maxPort ?? 65536;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo < hi)) {
      throw new RangeError(
        `Cannot bind to a random port: invalid range [${lo}, ${hi})`,
      );
    }
    for (let i = 0; i < maxTries; i++) {
      const port = lo + Math.floor(Math.random() * (hi - lo));
      try {
        this.bind(`${addr}:${port}`);
        return port;
      } catch (error) {
        const errno = (error as ZMQError).errno;
        if (errno !== EADDRINUSE && errno !== ERRNO.EACCES) throw error;
      }
    }
    throw new ZMQError(
      EADDRINUSE,
      `Cannot bind ${addr} to a random port in [${lo}, ${hi}) after ${maxTries} tries`,
    );
  }

  // ---- options ----

  /**
   * Sets a socket option; the value's type is checked against the option table.
   *
   * @param option an option constant (`LINGER`, `SUBSCRIBE`, ...)
   * @param value a number (int options; `bigint` too for int64), a string or bytes
   * @throws {TypeError} when the value's type does not fit the option
   * @throws {ZMQError} EINVAL for an unknown or read-only option, or a value libzmq refuses
   */
  setsockopt(option: number, value: OptionInput): void {
    const spec = specOf(option, "set");
    const h = this.unsafeHandle(`set socket option ${spec.name}`);
    this.#optionWrites++;
    setOption(this.#sym, h, spec, value);
  }

  /**
   * Reads a socket option, typed by the option table: `number` for int
   * options (int64 too, `bigint` beyond 2^53), `string` for text options and
   * CURVE keys (Z85), `Uint8Array` for byte options.
   *
   * @param option an option constant
   * @returns the value
   * @throws {ZMQError} EINVAL for an unknown or write-only option
   */
  getsockopt<O extends number>(option: O): OptionValue<O> {
    const spec = specOf(option, "get");
    const h = this.unsafeHandle(`get socket option ${spec.name}`);
    const value = option === FD ? this.fd : getOption(this.#sym, h, spec);
    return value as OptionValue<O>;
  }

  /**
   * The events ready now (`POLLIN`/`POLLOUT`), read from `ZMQ_EVENTS`. The hot
   * path of event loops: no allocation.
   */
  get events(): number {
    const h = this.#handle;
    if (!h) throw this.#unusable("read socket events");
    const events = getInt(
      this.#sym,
      h,
      EVENTS,
      "Cannot get socket option EVENTS",
    );
    this.#touched?.();
    return events;
  }

  /** The file descriptor (`ZMQ_FD`) that signals state changes; cached. */
  get fd(): number {
    if (this.#fd >= 0) return this.#fd;
    const h = this.unsafeHandle("get socket option FD");
    return this.#fd = getOption(this.#sym, h, specOf(FD, "get")) as number;
  }

  /**
   * Subscribes a SUB socket to a topic prefix (`""` for everything).
   *
   * @param topic the prefix
   */
  subscribe(topic: string | Uint8Array): void {
    this.setsockopt(SUBSCRIBE, topic);
  }

  /**
   * Removes a subscription made with `subscribe`.
   *
   * @param topic the prefix
   */
  unsubscribe(topic: string | Uint8Array): void {
    this.setsockopt(UNSUBSCRIBE, topic);
  }

  // ---- sending ----

  /**
   * Sends one message part. Without `NOBLOCK` this may block at the HWM.
   *
   * @param data bytes, or a string sent as UTF-8
   * @param flags `NOBLOCK`, `SNDMORE`
   * @param options `copy: false` hands 64 KiB+ buffers to libzmq without a copy; `track: true` returns a `MessageTracker`
   * @returns a `MessageTracker` when `track` is true
   * @throws {TypeError} when data is not bytes or text
   * @throws {Again} with NOBLOCK when the message cannot be queued now
   */
  send(
    data: Payload,
    flags = 0,
    options?: SendOptions,
  ): MessageTracker | undefined {
    const h = this.#handle;
    if (!h) throw this.#unusable("send");
    checkFlags(flags, "send");
    if (options && (options.copy === false || options.track)) {
      checkPayload(data, "send");
      const tracker = sendTracked(this.#s, h, [data], flags, options);
      this.#touched?.();
      return tracker;
    }
    sendPart(this.#s, h, data, flags);
    this.#touched?.();
    return undefined;
  }

  /**
   * Sends a multipart message; every part is checked before anything is sent.
   *
   * @param parts the parts, bytes or strings
   * @param flags `NOBLOCK` (and `SNDMORE` to continue the message afterwards)
   * @param options as for `send`
   * @returns a `MessageTracker` when `track` is true
   * @throws {TypeError} when a part is not bytes or text
   * @throws {Again} with NOBLOCK when the message cannot be queued now
   */
  sendMultipart(
    parts: Payload[],
    flags = 0,
    options?: SendOptions,
  ): MessageTracker | undefined {
    const h = this.#handle;
    if (!h) throw this.#unusable("send a multipart message");
    checkFlags(flags, "send a multipart message");
    checkParts(parts, "send a multipart message");
    if (options && (options.copy === false || options.track)) {
      const tracker = sendTracked(this.#s, h, parts, flags, options);
      this.#touched?.();
      return tracker;
    }
    const last = parts.length - 1;
    // Only the first part can fail with EAGAIN: libzmq queues a message whole.
    for (let i = 0; i < last; i++) {
      sendPart(this.#s, h, parts[i]!, flags | SNDMORE);
    }
    sendPart(this.#s, h, parts[last]!, flags);
    this.#touched?.();
    return undefined;
  }

  /**
   * Sends a string as UTF-8.
   *
   * @param text the text
   * @param flags `NOBLOCK`, `SNDMORE`
   */
  sendString(text: string, flags = 0): void {
    if (typeof text !== "string") {
      throw new TypeError(`Cannot send a string: got ${describe(text)}`);
    }
    this.send(text, flags);
  }

  /**
   * Sends a value as JSON text.
   *
   * @param value anything `JSON.stringify` accepts
   * @param flags `NOBLOCK`, `SNDMORE`
   * @throws {TypeError} when the value cannot be encoded (cycles, BigInt)
   */
  sendJson(value: unknown, flags = 0): void {
    this.send(jsonBytes(value, "send JSON"), flags);
  }

  /**
   * Sends a whole message if the socket can take it now, without throwing
   * on EAGAIN: the event loop's fast path. Parts must already be checked.
   *
   * @param parts the parts (bytes or strings)
   * @param flags extra flags (`SNDMORE` continues the message)
   * @param options as for `send`
   * @returns false when nothing was sent (EAGAIN, or EFSM: not this socket's
   * turn), else the tracker or undefined
   * @throws {ZMQError} for other errors (nothing was sent)
   */
  trySendMultipart(
    parts: Payload[],
    flags = 0,
    options?: SendOptions,
  ): MessageTracker | undefined | false {
    const h = this.#handle;
    if (!h) throw this.#unusable("send");
    try {
      return this.#trySend(h, parts, flags, options);
    } finally {
      this.#touched?.();
    }
  }

  #trySend(
    h: Deno.PointerValue,
    parts: Payload[],
    flags: number,
    options: SendOptions | undefined,
  ): MessageTracker | undefined | false {
    const s = this.#s;
    if (options && (options.copy === false || options.track)) {
      try {
        return sendTracked(s, h, parts, flags | DONTWAIT, options);
      } catch (error) {
        if (error instanceof ZMQError && notNow(error.errno)) return false;
        throw error;
      }
    }
    // Only the first part can meet EAGAIN: libzmq queues a message whole.
    const last = parts.length - 1;
    if (last === 0) {
      return sendPart(s, h, parts[0]!, flags | DONTWAIT, true) && undefined;
    }
    if (!sendPart(s, h, parts[0]!, flags | DONTWAIT | SNDMORE, true)) {
      return false;
    }
    for (let i = 1; i < last; i++) {
      sendPart(s, h, parts[i]!, flags | DONTWAIT | SNDMORE);
    }
    sendPart(s, h, parts[last]!, flags | DONTWAIT);
    return undefined;
  }

  // ---- receiving ----

  /**
   * Receives one message part as a fresh `Uint8Array`. Without `NOBLOCK`
   * this blocks the thread until a message arrives (or `RCVTIMEO` passes).
   *
   * @param flags `NOBLOCK`
   * @returns the payload
   * @throws {Again} with NOBLOCK when nothing is waiting
   */
  recv(flags = 0): Uint8Array {
    const h = this.#handle;
    if (!h) throw this.#unusable("receive");
    checkFlags(flags, "receive");
    const part = recvPart(this.#s, h, flags, undefined, false)!;
    this.#touched?.();
    return part;
  }

  /**
   * Receives one part into a buffer of yours, without allocating (PyZMQ's
   * `recv_into`). A longer message is truncated to the buffer, as
   * `zmq_recv` does.
   *
   * @param buffer where the payload goes
   * @param flags `NOBLOCK`
   * @returns the message's full size (more than `buffer.length` when
   * truncated; at most 2^31-1, libzmq's int)
   * @throws {Again} with NOBLOCK when nothing is waiting
   */
  recvInto(buffer: Uint8Array, flags = 0): number {
    const h = this.#handle;
    if (!h) throw this.#unusable("receive");
    if (!(buffer instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot receive into ${describe(buffer)}: expected a Uint8Array`,
      );
    }
    checkFlags(flags, "receive");
    const rc = recvBuffer(this.#sym, h, buffer, flags);
    this.#touched?.();
    return rc;
  }

  /**
   * Receives the next whole message if one is waiting, without throwing
   * when there is none: the event loop's fast path.
   *
   * @param copy false returns `Frame`s
   * @returns the parts, or null when nothing can be received now (EAGAIN, or
   * EFSM: a REQ/REP socket whose turn it is not)
   * @throws {ZMQError} for other errors
   */
  tryRecvMultipart(copy = true): Uint8Array[] | Frame[] | null {
    const h = this.#handle;
    if (!h) throw this.#unusable("receive");
    try {
      return this.#tryRecv(h, copy);
    } finally {
      this.#touched?.();
    }
  }

  #tryRecv(h: Deno.PointerValue, copy: boolean): Uint8Array[] | Frame[] | null {
    if (!copy) {
      const msg = newMsg();
      const size = recvMsg(this.#sym, h, msg, DONTWAIT, notNow);
      if (size < 0) {
        this.#sym.zmq_msg_close(msg);
        return null;
      }
      const frames = [new Frame(msg, size)];
      while (frames[frames.length - 1]!.more) frames.push(this.recvFrame(0));
      return frames;
    }
    const s = this.#s;
    const size = recvIntoScratch(s, h, DONTWAIT, notNow);
    if (size < 0) return null;
    const parts = [copyOut(s, size)];
    // Later parts are already here: libzmq delivers messages whole.
    while (s.more) parts.push(recvPart(s, h, 0)!);
    return parts;
  }

  /**
   * Receives one part as a `Frame`, which keeps libzmq's message (its
   * properties; the payload is copied only when read).
   *
   * @param flags `NOBLOCK`
   * @returns a Frame owning libzmq's message
   */
  recvFrame(flags = 0): Frame {
    const h = this.unsafeHandle("receive");
    checkFlags(flags, "receive");
    const msg = newMsg();
    let size: number;
    try {
      size = recvMsg(this.#sym, h, msg, flags);
    } catch (error) {
      this.#sym.zmq_msg_close(msg);
      throw error;
    }
    return new Frame(msg, size);
  }

  /** Whether the last part received had more parts after it. */
  get rcvmore(): boolean {
    return getInt(
      this.#sym,
      this.unsafeHandle("get socket option RCVMORE"),
      RCVMORE,
      "Cannot get socket option RCVMORE",
    ) === 1;
  }

  /**
   * Receives every part of the next message, copied.
   *
   * @param flags `NOBLOCK`
   * @returns the parts
   */
  recvMultipart(flags?: number): Uint8Array[];
  /**
   * Receives every part of the next message as `Frame`s.
   *
   * @param flags `NOBLOCK`
   * @param options `{ copy: false }`
   * @returns the frames
   */
  recvMultipart(flags: number, options: { copy: false }): Frame[];
  /**
   * Receives every part of the next message.
   *
   * @param flags `NOBLOCK`
   * @param options `copy: false` returns `Frame`s
   * @returns the parts
   */
  recvMultipart(
    flags: number,
    options?: { copy?: boolean },
  ): Uint8Array[] | Frame[];
  recvMultipart(
    flags = 0,
    options?: { copy?: boolean },
  ): Uint8Array[] | Frame[] {
    checkFlags(flags, "receive a multipart message");
    if (options?.copy === false) {
      const frames = [this.recvFrame(flags)];
      while (frames[frames.length - 1]!.more) {
        frames.push(this.recvFrame(flags & ~DONTWAIT));
      }
      return frames;
    }
    const h = this.#handle;
    if (!h) throw this.#unusable("receive");
    const s = this.#s;
    const parts = [recvPart(s, h, flags)!];
    // Later parts are already here: libzmq delivers messages whole.
    while (s.more) parts.push(recvPart(s, h, 0)!);
    return parts;
  }

  /**
   * Receives one part decoded as UTF-8.
   *
   * @param flags `NOBLOCK`
   * @returns the text
   */
  recvString(flags = 0): string {
    return fromUtf8(this.recv(flags));
  }

  /**
   * Receives one part and parses it as JSON.
   *
   * @param flags `NOBLOCK`
   * @returns the parsed value
   */
  recvJson(flags = 0): unknown {
    return JSON.parse(this.recvString(flags));
  }

  /**
   * Waits until the socket is ready (blocking, like PyZMQ's `Socket.poll`).
   *
   * @param timeout milliseconds; negative or omitted waits forever
   * @param flags the events of interest @default POLLIN
   * @returns the ready events, 0 on timeout
   */
  poll(timeout = -1, flags = POLLIN): number {
    const h = this.unsafeHandle("poll");
    checkPollFlags(flags, "poll a socket");
    return pollOne(h, flags, timeout);
  }

  // ---- monitor ----

  /**
   * Starts a monitor and returns a connected PAIR socket that receives its
   * events (two-part messages; decode them with `parseMonitorMessage`).
   *
   * @param events the events to report @default EVENT_ALL
   * @param addr the inproc endpoint to use (a unique one by default)
   * @returns the PAIR socket (close it when done)
   */
  getMonitorSocket(events = EVENT_ALL, addr?: string): Socket {
    const h = this.unsafeHandle("start a monitor");
    if (this.#monitor && !this.#monitor.closed) return this.#monitor;
    const endpoint = addr ?? `inproc://zmqloop.monitor.${nextMonitorId++}`;
    const ep = cString(endpoint);
    check(
      () => this.#sym.zmq_socket_monitor(h, ep, events),
      `Cannot start a monitor on "${endpoint}"`,
    );
    const pair = new Socket(this.#owner, PAIR);
    pair.connect(endpoint);
    this.#monitor = pair;
    return pair;
  }

  /** Stops the monitor started by `getMonitorSocket` (its PAIR socket stays open). */
  disableMonitor(): void {
    const h = this.unsafeHandle("stop the monitor");
    this.#sym.zmq_socket_monitor(h, null, 0);
    this.#monitor = null;
  }

  // ---- lifecycle ----

  /**
   * Closes the socket. Idempotent.
   *
   * @param linger milliseconds to keep undelivered messages (sets `LINGER` first)
   */
  close(linger?: number): void {
    if (this.#lent) throw this.#unusable("close the socket");
    const h = this.#handle;
    if (!h) return;
    if (linger !== undefined) {
      checkLinger(linger, "close the socket");
      try {
        this.setsockopt(LINGER, linger);
      } catch (error) {
        // A shut-down context refuses options (ETERM): close all the same.
        if (!(error instanceof ContextTerminated)) throw error;
      }
    }
    this.#handle = null;
    this.#sym.zmq_close(h);
    this.#touched?.();
    this.#owner.release(this);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Readable form for `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Socket(${SOCKET_TYPE_NAMES[this.type] ?? this.type}${
      this.closed ? ", closed" : ""
    })`;
  }
}

// The option properties declared by `OptionProperties`, one accessor per
// table entry (options with a member of their own keep it).
for (const spec of SOCKET_OPTIONS.values()) {
  const name = optionProperty(spec.name);
  if (name in Socket.prototype) continue;
  Object.defineProperty(Socket.prototype, name, {
    get(this: Socket) {
      return this.getsockopt(spec.id);
    },
    set(this: Socket, value: OptionInput) {
      this.setsockopt(spec.id, value);
    },
    configurable: true,
  });
}
