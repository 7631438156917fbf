/**
 * `Socket`: a libzmq socket. Synchronous like PyZMQ's `zmq.Socket`: a receive
 * without `NOBLOCK` blocks the thread (use a `ZMQStream` for async code).
 *
 * Hot paths (send, recv, the EVENTS read) reuse module-level buffers and make
 * no allocation beyond the received message itself.
 *
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
  readCString,
  toBytes,
} from "./bytes.ts";
import { errorFor, lastError, retryEintr, ZMQError } from "./errors.ts";
import {
  EADDRINUSE,
  EAGAIN,
  EFSM,
  EINTR,
  EINVAL,
  ENOTSOCK,
  ERRNO,
} from "./errno.ts";
import { ContextTerminated } from "./errors.ts";
import {
  DONTWAIT,
  EVENT_ALL,
  PAIR,
  POLLERR,
  POLLIN,
  POLLOUT,
  SNDMORE,
  SOCKET_TYPE_NAMES,
} from "./constants.ts";
import {
  EVENTS,
  FD,
  LAST_ENDPOINT,
  LINGER,
  SOCKET_OPTIONS,
} from "./options.ts";
import { RCVMORE, SUBSCRIBE, UNSUBSCRIBE } from "./options.ts";
import { allocBytes, copyBytes } from "./pool.ts";
import {
  FINISHED_TRACKER,
  Frame,
  initZeroCopy,
  MessageTracker,
  newMsg,
} from "./frame.ts";

/** Payloads under this size are copied even with `copy: false` (PyZMQ's threshold). */
export const COPY_THRESHOLD = 65536;

/** Options of a send. */
export interface SendOptions {
  /** `false`: hand the buffer to libzmq without copying (64 KiB and up). @default true */
  copy?: boolean;
  /** Return a `MessageTracker` that completes when libzmq releases the buffer. @default false */
  track?: boolean;
}

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

// ---- shared scratch memory (never moves: over 64 bytes) ----
const RECV_MSG = new Uint8Array(128);
const SEND_MSG = new Uint8Array(128);
const OPT_VALUE = new Uint8Array(1024);
const OPT_VIEW = new DataView(OPT_VALUE.buffer);
const OPT_LEN = new BigUint64Array(16);
const STR_SCRATCH = new Uint8Array(64 * 1024);
const encoder = new TextEncoder();
let scratchReady = false;
// Messages above this size are released right after they are copied out.
const RELEASE_ABOVE = 1024;
// zmq_msg_more of the last part when RECV_MSG was released after it (-1: ask RECV_MSG).
let lastMore = -1;

function recvMore(sym: ZmqSymbols): boolean {
  return lastMore === -1 ? sym.zmq_msg_more(RECV_MSG) === 1 : lastMore === 1;
}

// libzmq stores payloads of up to 33 bytes inside the zmq_msg_t, at offset
// 8 (checked at run time against zmq_msg_data's low 32 bits): those are read
// straight from RECV_MSG, without an FFI copy.
const INLINE_OFFSET = 8;
const INLINE_MAX = 56;
let inlineLow = -1;

function initScratch(sym: ZmqSymbols): void {
  if (scratchReady) return;
  sym.zmq_msg_init(RECV_MSG);
  const addr = BigInt(
    Deno.UnsafePointer.value(Deno.UnsafePointer.of(RECV_MSG)),
  );
  inlineLow = Number((addr + BigInt(INLINE_OFFSET)) & 0xffffffffn);
  scratchReady = true;
}

let nextMonitorId = 1;

// size_t arguments must be BigInts (the fast FFI path); each BigInt() is a
// heap allocation, so the common sizes are made once.
const SIZE_ARGS: bigint[] = [];
function sizeArg(n: number): bigint {
  if (n >= 4096) return BigInt(n);
  return SIZE_ARGS[n] ??= BigInt(n);
}

/** `zmq_msg_recv`'s result for messages of 2 GiB and more (INT_MAX). */
const INT_MAX = 2147483647;

/** The received message's true size: `rc`, or `zmq_msg_size` past INT_MAX. */
function fullSize(sym: ZmqSymbols, msg: Uint8Array, rc: number): number {
  return rc === INT_MAX ? Number(sym.zmq_msg_size(msg)) : rc;
}

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
  #owner: SocketOwner;
  #fd = -1;
  #monitor: Socket | null = null;
  #lent: { handle: Deno.PointerValue; to: string } | null = null;
  #optionWrites = 0;
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
    initScratch(sym);
    const ctx = context.handle;
    if (!ctx) {
      throw new ContextTerminated(
        `Cannot create a ${SOCKET_TYPE_NAMES[type] ?? type} socket`,
      );
    }
    let handle = sym.zmq_socket(ctx, type);
    while (!handle && sym.zmq_errno() === EINTR) {
      handle = sym.zmq_socket(ctx, type);
    }
    if (!handle) {
      throw lastError(
        `Cannot create a socket of type ${SOCKET_TYPE_NAMES[type] ?? type}`,
      );
    }
    this.#handle = handle;
    this.#sym = sym;
    this.#owner = context;
    this.type = type;
    context.adopt(this);
    if (context.defaultLinger !== -1) {
      this.setsockopt(LINGER, context.defaultLinger);
    }
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

  /** The native handle, or throws ENOTSOCK when closed. */
  handle(what = "use the socket"): Deno.PointerValue {
    const h = this.#handle;
    if (!h) throw this.#unusable(what);
    return h;
  }

  /** What uses the socket on another thread (e.g. `"a running proxy"`), or null. */
  get lentTo(): string | null {
    return this.#lent?.to ?? null;
  }

  /**
   * Hands the native socket to another thread (a proxy): until `giveBack()`
   * every use from JavaScript throws, since ZeroMQ sockets are not
   * thread-safe. Meant for `proxy()`; rarely needed directly.
   *
   * @param to who takes it, for error messages
   * @returns the native handle
   * @throws {ZMQError} ENOTSOCK when closed, EBUSY when already lent
   */
  lend(to: string): Deno.PointerValue {
    const h = this.handle(`lend the socket to ${to}`);
    this.#lent = { handle: h, to };
    this.#handle = null;
    return h;
  }

  /** Takes back a socket given with `lend()`. */
  giveBack(): void {
    if (!this.#lent) return;
    this.#handle = this.#lent.handle;
    this.#lent = null;
  }

  #unusable(what: string): ZMQError {
    if (this.#lent) {
      return new ZMQError(
        ERRNO.EBUSY,
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
    const h = this.handle(`${verb} "${addr}"`);
    const endpoint = cString(addr);
    if (retryEintr(() => fn(h, endpoint)) !== 0) {
      throw lastError(`Cannot ${verb} "${addr}"`);
    }
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
      const endpoint = this.getsockopt(LAST_ENDPOINT) as string;
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
  setsockopt(
    option: number,
    value: number | bigint | string | Uint8Array | boolean,
  ): void {
    const spec = SOCKET_OPTIONS.get(option);
    if (!spec) {
      throw new ZMQError(
        EINVAL,
        `Cannot set socket option ${option}`,
        "unknown option",
      );
    }
    const what = `Cannot set socket option ${spec.name} to ${
      typeof value === "string" ? JSON.stringify(value) : describeValue(value)
    }`;
    if (!spec.write) {
      throw new ZMQError(EINVAL, what, "the option is read-only");
    }
    const h = this.handle(`set socket option ${spec.name}`);
    let buf: Uint8Array, len: number;
    switch (spec.type) {
      case "int":
      case "fd": {
        const n = typeof value === "boolean" ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n)) {
          throw new TypeError(`${what}: expected an integer`);
        }
        if (n < -2147483648 || n > 2147483647) {
          throw new RangeError(`${what}: out of the 32-bit range`);
        }
        OPT_VIEW.setInt32(0, n, true);
        buf = OPT_VALUE;
        len = 4;
        break;
      }
      case "int64": {
        let n: bigint;
        if (typeof value === "number" && Number.isInteger(value)) {
          n = BigInt(value);
        } else if (typeof value === "bigint") n = value;
        else throw new TypeError(`${what}: expected an integer or a bigint`);
        if (n < -(2n ** 63n) || n >= 2n ** 63n) {
          throw new RangeError(`${what}: out of the 64-bit range`);
        }
        OPT_VIEW.setBigInt64(0, n, true);
        buf = OPT_VALUE;
        len = 8;
        break;
      }
      case "key": {
        if (typeof value === "string") {
          if (value.length !== 40) {
            throw new ZMQError(
              EINVAL,
              what,
              `a Z85 key has 40 characters, got ${value.length}`,
            );
          }
          buf = cString(value);
          len = 41;
        } else if (value instanceof Uint8Array) {
          if (value.length !== 32) {
            throw new ZMQError(
              EINVAL,
              what,
              `a binary key has 32 bytes, got ${value.length}`,
            );
          }
          buf = value;
          len = 32;
        } else {
          throw new TypeError(`${what}: expected a Z85 string or 32 bytes`);
        }
        break;
      }
      default: {
        if (typeof value === "string") buf = encoder.encode(value);
        else if (value instanceof Uint8Array) buf = value;
        else throw new TypeError(`${what}: expected a string or a Uint8Array`);
        len = buf.length;
      }
    }
    const size = BigInt(len);
    this.#optionWrites++;
    if (
      retryEintr(() => this.#sym.zmq_setsockopt(h, option, buf, size)) !== 0
    ) {
      throw lastError(what);
    }
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
  getsockopt(option: number): number | bigint | string | Uint8Array {
    const spec = SOCKET_OPTIONS.get(option);
    if (!spec) {
      throw new ZMQError(
        EINVAL,
        `Cannot get socket option ${option}`,
        "unknown option",
      );
    }
    const what = `Cannot get socket option ${spec.name}`;
    if (!spec.read) {
      throw new ZMQError(EINVAL, what, "the option is write-only");
    }
    const h = this.handle(`get socket option ${spec.name}`);
    if (spec.type === "int") return this.#getInt(h, option, what);
    if (spec.type === "fd" && option === FD) return this.fd;
    const size = spec.type === "int64" || spec.type === "fd"
      ? 8
      : spec.type === "key"
      ? 41
      : spec.type === "bytes"
      ? 255
      : OPT_VALUE.length;
    OPT_LEN[0] = BigInt(size);
    if (this.#sym.zmq_getsockopt(h, option, OPT_VALUE, OPT_LEN) !== 0) {
      this.#getRetry(h, option, BigInt(size), what);
    }
    const len = Number(OPT_LEN[0]);
    switch (spec.type) {
      case "int64":
      case "fd": {
        const v = OPT_VIEW.getBigInt64(0, true);
        return v >= -9007199254740991n && v <= 9007199254740991n
          ? Number(v)
          : v;
      }
      case "bytes":
        return OPT_VALUE.slice(0, len);
      default:
        return readCString(OPT_VALUE, len);
    }
  }

  #getInt(h: Deno.PointerValue, option: number, what: string): number {
    OPT_LEN[0] = 4n;
    if (this.#sym.zmq_getsockopt(h, option, OPT_VALUE, OPT_LEN) !== 0) {
      this.#getRetry(h, option, 4n, what);
    }
    return OPT_VIEW.getInt32(0, true);
  }

  /**
   * A failed getsockopt: retried while a signal interrupted it (EINTR, which
   * libzmq reports when it processes its mailbox, e.g. for EVENTS), else thrown.
   */
  #getRetry(
    h: Deno.PointerValue,
    option: number,
    size: bigint,
    what: string,
  ): void {
    const sym = this.#sym;
    for (;;) {
      const errno = sym.zmq_errno();
      if (errno !== EINTR) throw errorFor(errno, what);
      OPT_LEN[0] = size;
      if (sym.zmq_getsockopt(h, option, OPT_VALUE, OPT_LEN) === 0) return;
    }
  }

  /**
   * The events ready now (`POLLIN`/`POLLOUT`), read from `ZMQ_EVENTS`. The hot
   * path of event loops: no allocation.
   */
  get events(): number {
    const h = this.#handle;
    if (!h) throw this.#unusable("read socket events");
    OPT_LEN[0] = 4n;
    if (this.#sym.zmq_getsockopt(h, EVENTS, OPT_VALUE, OPT_LEN) !== 0) {
      this.#getRetry(h, EVENTS, 4n, "Cannot get socket option EVENTS");
    }
    return OPT_VALUE[0]!;
  }

  /** The file descriptor (`ZMQ_FD`) that signals state changes; cached. */
  get fd(): number {
    if (this.#fd >= 0) return this.#fd;
    const h = this.handle("get socket option FD");
    OPT_LEN[0] = 8n;
    OPT_VIEW.setBigInt64(0, 0n, true);
    if (this.#sym.zmq_getsockopt(h, FD, OPT_VALUE, OPT_LEN) !== 0) {
      this.#getRetry(h, FD, 8n, "Cannot get socket option FD");
    }
    this.#fd = Number(OPT_LEN[0]) === 4
      ? OPT_VIEW.getInt32(0, true)
      : Number(OPT_VIEW.getBigInt64(0, true));
    return this.#fd;
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
      return this.#sendTracked([data], flags, options);
    }
    this.#sendPart(h, data, flags);
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
      return this.#sendTracked(parts, flags, options);
    }
    const last = parts.length - 1;
    // Only the first part can fail with EAGAIN: libzmq queues a message whole.
    for (let i = 0; i < last; i++) {
      this.#sendPart(h, parts[i]!, flags | SNDMORE);
    }
    this.#sendPart(h, parts[last]!, flags);
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
      throw new TypeError(
        `Cannot send a string: got ${describe(text)}`,
      );
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
   * Sends one part. With `soft`, "not now" returns false instead of
   * throwing: EAGAIN, and EFSM (a REQ/REP socket whose turn it is not), which
   * `ZMQ_EVENTS` would have reported as not writable.
   */
  #sendPart(
    h: Deno.PointerValue,
    data: Payload,
    flags: number,
    soft = false,
  ): boolean {
    let buf: Uint8Array, len: number;
    if (typeof data === "string") {
      const r = encoder.encodeInto(data, STR_SCRATCH);
      if (r.read === data.length) {
        buf = STR_SCRATCH;
        len = r.written;
      } else {
        buf = encoder.encode(data);
        len = buf.length;
      }
    } else if (data instanceof Uint8Array) {
      buf = data;
      len = data.length;
    } else {
      buf = toBytes(data, "send");
      len = buf.length;
    }
    const sym = this.#sym;
    if (sym.zmq_send(h, buf, sizeArg(len), flags) >= 0) return true;
    if (this.#sendRetry(h, buf, len, flags) >= 0) return true;
    const errno = sym.zmq_errno();
    if (soft && (errno === EAGAIN || errno === EFSM)) return false;
    throw errorFor(errno, "Cannot send");
  }

  #sendRetry(
    h: Deno.PointerValue,
    buf: Uint8Array,
    len: number,
    flags: number,
  ): number {
    const sym = this.#sym;
    let rc = -1;
    for (;;) {
      const errno = sym.zmq_errno();
      if (errno !== EINTR) return rc;
      rc = sym.zmq_send(h, buf, sizeArg(len), flags);
      if (rc >= 0) return rc;
    }
  }

  #sendTracked(
    parts: Payload[],
    flags: number,
    options: SendOptions,
  ): MessageTracker | undefined {
    const h = this.handle("send");
    const sym = this.#sym;
    const zeroCopy = options.copy === false;
    const big = zeroCopy
      ? parts.filter((p) => typeof p !== "string" && p.length >= COPY_THRESHOLD)
        .length
      : 0;
    const tracker = options.track
      ? (big > 0 ? new MessageTracker(big) : FINISHED_TRACKER)
      : undefined;
    const last = parts.length - 1;
    for (let i = 0; i <= last; i++) {
      const part = parts[i]!;
      const f = i < last ? flags | SNDMORE : flags;
      if (
        zeroCopy && typeof part !== "string" && part.length >= COPY_THRESHOLD
      ) {
        if (initZeroCopy(SEND_MSG, part, tracker)) {
          if (retryEintr(() => sym.zmq_msg_send(SEND_MSG, h, f)) < 0) {
            const error = lastError("Cannot send");
            sym.zmq_msg_close(SEND_MSG); // drops libzmq's reference
            throw error;
          }
          continue;
        }
        tracker?._release(); // layout unknown: copied instead
      }
      this.#sendPart(h, part, f);
    }
    return tracker;
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
    return this.#copyOut(this.#recvMsg(h, RECV_MSG, flags));
  }

  /** Copies the message in RECV_MSG out (and releases it when large). */
  #copyOut(size: number): Uint8Array {
    const sym = this.#sym;
    if (size <= INLINE_MAX && sym.zmq_msg_data_low(RECV_MSG) === inlineLow) {
      lastMore = -1;
      return copyBytes(RECV_MSG, INLINE_OFFSET, size);
    }
    const out = allocBytes(size);
    if (size > 0) {
      Deno.UnsafePointerView.copyInto(sym.zmq_msg_data(RECV_MSG)!, out);
      // Do not keep a large message (maybe a peer's zero-copy buffer) alive
      // until the next receive; small ones live inside the zmq_msg_t itself.
      if (size > RELEASE_ABOVE) {
        const more = sym.zmq_msg_more(RECV_MSG);
        sym.zmq_msg_close(RECV_MSG);
        sym.zmq_msg_init(RECV_MSG);
        lastMore = more;
        return out;
      }
    }
    lastMore = -1;
    return out;
  }

  /** Receives into `msg`, returning the size; handles EINTR and the zero-copy guard. */
  #recvMsg(h: Deno.PointerValue, msg: Uint8Array, flags: number): number {
    const sym = this.#sym;
    let size = sym.zmq_msg_recv(msg, h, flags);
    if (size >= 0) return fullSize(sym, msg, size);
    for (;;) {
      const errno = sym.zmq_errno();
      if (errno !== EINTR) throw errorFor(errno, "Cannot receive");
      size = sym.zmq_msg_recv(msg, h, flags);
      if (size >= 0) return fullSize(sym, msg, size);
    }
  }

  /**
   * Receives one part into a buffer of yours, without allocating (PyZMQ's
   * `recv_into`). A longer message is truncated to the buffer, as
   * `zmq_recv` does.
   *
   * @param buffer where the payload goes
   * @param flags `NOBLOCK`
   * @returns the message's full size (more than `buffer.length` when truncated)
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
    const sym = this.#sym;
    let size = sym.zmq_recv(h, buffer, sizeArg(buffer.length), flags);
    while (size < 0) {
      const errno = sym.zmq_errno();
      if (errno !== EINTR) throw errorFor(errno, "Cannot receive");
      size = sym.zmq_recv(h, buffer, sizeArg(buffer.length), flags);
    }
    return size;
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
    const sym = this.#sym;
    if (!copy) {
      const msg = newMsg();
      let size = sym.zmq_msg_recv(msg, h, DONTWAIT);
      while (size < 0) {
        const errno = sym.zmq_errno();
        if (errno === EINTR) {
          size = sym.zmq_msg_recv(msg, h, DONTWAIT);
          continue;
        }
        sym.zmq_msg_close(msg);
        if (errno === EAGAIN || errno === EFSM) return null;
        throw errorFor(errno, "Cannot receive");
      }
      const frames = [new Frame(msg, fullSize(sym, msg, size))];
      while (frames[frames.length - 1]!.more) frames.push(this.recvFrame(0));
      return frames;
    }
    let size = sym.zmq_msg_recv(RECV_MSG, h, DONTWAIT);
    while (size < 0) {
      const errno = sym.zmq_errno();
      if (errno === EAGAIN || errno === EFSM) return null;
      if (errno !== EINTR) throw errorFor(errno, "Cannot receive");
      size = sym.zmq_msg_recv(RECV_MSG, h, DONTWAIT);
    }
    const parts = [this.#copyOut(fullSize(sym, RECV_MSG, size))];
    while (recvMore(sym)) {
      parts.push(this.#copyOut(this.#recvMsg(h, RECV_MSG, 0)));
    }
    return parts;
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
    if (options && (options.copy === false || options.track)) {
      try {
        return this.#sendTracked(parts, flags | DONTWAIT, options);
      } catch (error) {
        const errno = (error as ZMQError).errno;
        if (errno === EAGAIN || errno === EFSM) return false;
        throw error;
      }
    }
    // Only the first part can meet EAGAIN: libzmq queues a message whole.
    const last = parts.length - 1;
    if (last === 0) {
      return this.#sendPart(h, parts[0]!, flags | DONTWAIT, true) && undefined;
    }
    if (!this.#sendPart(h, parts[0]!, flags | DONTWAIT | SNDMORE, true)) {
      return false;
    }
    for (let i = 1; i < last; i++) {
      this.#sendPart(h, parts[i]!, flags | DONTWAIT | SNDMORE);
    }
    this.#sendPart(h, parts[last]!, flags | DONTWAIT);
    return undefined;
  }

  /**
   * Receives one part as a `Frame` (zero copy).
   *
   * @param flags `NOBLOCK`
   * @returns a Frame owning libzmq's message
   */
  recvFrame(flags = 0): Frame {
    const h = this.handle("receive");
    checkFlags(flags, "receive");
    const msg = newMsg();
    let size: number;
    try {
      size = this.#recvMsg(h, msg, flags);
    } catch (error) {
      this.#sym.zmq_msg_close(msg);
      throw error;
    }
    return new Frame(msg, size);
  }

  /** Whether the last part received had more parts after it. */
  get rcvmore(): boolean {
    return this.#getInt(
      this.handle("get socket option RCVMORE"),
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
   * Receives every part of the next message as zero-copy `Frame`s.
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
    const parts = [this.recv(flags)];
    // Later parts are already here: libzmq delivers messages whole.
    while (recvMore(this.#sym)) parts.push(this.recv(0));
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
    const h = this.handle("poll");
    checkPollFlags(flags, "poll a socket");
    const item = new Uint8Array(32);
    const view = new DataView(item.buffer);
    view.setBigUint64(0, Deno.UnsafePointer.value(h) as bigint, true);
    view.setInt16(POLLITEM_EVENTS, flags, true);
    const rc = pollItems(this.#sym, item, 1, timeout, "poll a socket");
    return rc > 0 ? view.getInt16(POLLITEM_EVENTS + 2, true) : 0;
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
    const h = this.handle("start a monitor");
    if (this.#monitor && !this.#monitor.closed) return this.#monitor;
    const endpoint = addr ?? `inproc://zmqloop.monitor.${nextMonitorId++}`;
    const ep = cString(endpoint);
    if (retryEintr(() => this.#sym.zmq_socket_monitor(h, ep, events)) !== 0) {
      throw lastError(`Cannot start a monitor on "${endpoint}"`);
    }
    const pair = new Socket(this.#owner, PAIR);
    pair.connect(endpoint);
    this.#monitor = pair;
    return pair;
  }

  /** Stops the monitor started by `getMonitorSocket` (its PAIR socket stays open). */
  disableMonitor(): void {
    const h = this.handle("stop the monitor");
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
      this.setsockopt(LINGER, linger);
    }
    this.#handle = null;
    this.#sym.zmq_close(h);
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

function describeValue(value: unknown): string {
  return typeof value === "number" || typeof value === "bigint" ||
      typeof value === "boolean"
    ? String(value)
    : describe(value);
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

/** Runs `zmq_poll`, retrying on EINTR. */
export function pollItems(
  sym: ZmqSymbols,
  items: Uint8Array,
  count: number,
  timeout: number,
  what: string,
): number {
  const ms = pollTimeout(timeout, what);
  const rc = retryEintr(() => sym.zmq_poll(items, count, ms));
  if (rc < 0) throw lastError(`Cannot ${what}`);
  return rc;
}
