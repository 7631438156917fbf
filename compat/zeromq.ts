/**
 * The zeromq.js v6 API on Deno: `@zmqloop/zmq/zeromq`. A zeromq.js program
 * runs with only an import-map entry changed:
 *
 * ```json
 * { "imports": { "zeromq": "jsr:@zmqloop/zmq/zeromq" } }
 * ```
 *
 * Socket classes (`Push`, `Pull`, `Request`, `Reply`, `Dealer`, `Router`,
 * `Publisher`, `Subscriber`, `XPublisher`, `XSubscriber`, `Pair`, `Stream`)
 * take an options object; options are properties with zeromq.js's names
 * (`linger`, `sendHighWaterMark`, `routingId`, ...); `send()` and `receive()`
 * return promises and sockets are async-iterable. Received messages are
 * Node `Buffer`s, as in zeromq.js.
 *
 * One deliberate difference: a `send()` while another waits is queued in
 * order instead of rejected with EBUSY. See the README's "Coming from
 * zeromq.js" for every difference.
 *
 * @example Push and pull
 * ```ts
 * import { Pull, Push } from "@zmqloop/zmq/zeromq";
 * const push = new Push();
 * await push.bind("tcp://127.0.0.1:*");
 * const pull = new Pull();
 * pull.connect(push.lastEndpoint!);
 * await push.send("some work");
 * const [msg] = await pull.receive();
 * console.log(msg!.toString()); // "some work"
 * push.close();
 * pull.close();
 * ```
 *
 * Over 500 lines because it is zeromq.js v6's whole public surface (twelve
 * socket classes, their options, Context, Proxy, Observer) with JSDoc; the
 * option mapping is `_options.ts`, events `_events.ts`, send and receive
 * on `AsyncSocket` `_io.ts`, errors `_errors.ts`.
 * @module
 */

import { Buffer } from "node:buffer";
import { Context as RawContext } from "../ffi/context.ts";
import type { Socket as RawSocket } from "../ffi/socket.ts";
import {
  BLOCKY,
  DEALER,
  EVENT_ALL,
  IO_THREADS,
  MAX_MSGSZ,
  MAX_SOCKETS,
  PAIR,
  POLLIN,
  POLLOUT,
  PUB,
  PULL,
  PUSH,
  REP,
  REQ,
  ROUTER,
  SOCKET_LIMIT,
  SOCKET_TYPE_NAMES,
  STREAM,
  SUB,
  THREAD_PRIORITY,
  THREAD_SCHED_POLICY,
  XPUB,
  XSUB,
} from "../ffi/constants.ts";
import {
  CONNECT_ROUTING_ID,
  IPV6,
  RCVTIMEO,
  SNDTIMEO,
  SUBSCRIBE,
  UNSUBSCRIBE,
  XPUB_VERBOSE,
  XPUB_VERBOSER,
} from "../ffi/options.ts";
import { ERRNO } from "../ffi/errno.ts";
import { ZMQError } from "../ffi/errors.ts";
import { describe, type Payload } from "../ffi/bytes.ts";
import { has, zmqVersion } from "../ffi/version.ts";
import { curveKeypair } from "../ffi/z85.ts";
import { SteerableProxy } from "../ffi/proxy.ts";
import { errnoError } from "./_errors.ts";
import { SocketIo } from "./_io.ts";
import {
  COMPAT_OPTIONS,
  type CompatOption,
  optionValue,
  READABLE_TYPES,
  readOption,
  WRITABLE_TYPES,
} from "./_options.ts";
import { type RawEvent, toEvent } from "./_events.ts";

// ---------------------------------------------------------------- basics

/**
 * The version of libzmq in use, as `"4.3.4"`.
 *
 * @example
 * ```ts
 * import { version } from "@zmqloop/zmq/zeromq";
 * console.log(version.split(".").length); // 3
 * ```
 */
export const version: string = zmqVersion();

/**
 * The optional libzmq features this build has (`ipc`, `pgm`, `tipc`,
 * `norm`, `curve`, `gssapi`, `draft`), each `true` or `false`.
 *
 * @example
 * ```ts
 * import { capability } from "@zmqloop/zmq/zeromq";
 * console.log(typeof capability.curve); // "boolean"
 * ```
 */
export const capability: Partial<{
  ipc: boolean;
  pgm: boolean;
  tipc: boolean;
  norm: boolean;
  curve: boolean;
  gssapi: boolean;
  draft: boolean;
}> = Object.fromEntries(
  ["ipc", "pgm", "tipc", "norm", "curve", "gssapi", "draft"].map((
    name,
  ) => [name, has(name)]),
);

/**
 * A new random CURVE key pair, each key 40 characters of Z85 text.
 *
 * @returns `publicKey` and `secretKey`
 *
 * @example
 * ```ts
 * import { curveKeyPair } from "@zmqloop/zmq/zeromq";
 * const { publicKey, secretKey } = curveKeyPair();
 * console.log(publicKey.length, secretKey.length); // 40 40
 * ```
 */
export function curveKeyPair(): { publicKey: string; secretKey: string } {
  const [publicKey, secretKey] = curveKeypair();
  return { publicKey, secretKey };
}

/** What `receive()` resolves with: one Node `Buffer` per message part. */
export type Message = Buffer;

/** What `send()` accepts as a message part (`null` is an empty part). */
export type MessageLike =
  | ArrayBufferView
  | ArrayBuffer
  | SharedArrayBuffer
  | string
  | null;

/** zeromq.js's numbers for the socket types (as in zmq.h). */
export const SocketType = {
  Pair: 0,
  Publisher: 1,
  Subscriber: 2,
  Request: 3,
  Reply: 4,
  Dealer: 5,
  Router: 6,
  Pull: 7,
  Push: 8,
  XPublisher: 9,
  XSubscriber: 10,
  Stream: 11,
} as const;

/** One of the numbers of {@linkcode SocketType}. */
export type SocketType = typeof SocketType[keyof typeof SocketType];

// ---------------------------------------------------------------- contexts

const liveContexts = new Set<RawContext>();
let unloadHooked = false;

// zeromq.js terminates every context at process exit (blocking for the
// sockets' linger). Doing the same here also keeps libzmq's threads from
// running while Deno unloads the library.
function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const ctx of liveContexts) {
      try {
        ctx.destroy();
      } catch {
        // a socket is lent to a running proxy: leave that context alone
      }
    }
    liveContexts.clear();
  });
}

/** Options of a new {@linkcode Context}: any of its writable properties. */
export interface ContextOptions {
  /** `ZMQ_BLOCKY`. */
  blocky?: boolean;
  /** `ZMQ_IO_THREADS`. */
  ioThreads?: number;
  /** `ZMQ_MAX_MSGSZ`. */
  maxMessageSize?: number;
  /** `ZMQ_MAX_SOCKETS`. */
  maxSockets?: number;
  /** `ZMQ_IPV6`. */
  ipv6?: boolean;
  /** `ZMQ_THREAD_PRIORITY` (write-only). */
  threadPriority?: number;
  /** `ZMQ_THREAD_SCHED_POLICY` (write-only). */
  threadSchedulingPolicy?: number;
}

type CtxShape = "number" | "bool";
let rawContext: (ctx: Context) => RawContext;
const CONTEXT_OPTIONS: Record<
  keyof ContextOptions | "maxSocketsLimit",
  [id: number, shape: CtxShape, access: "r" | "w" | "rw"]
> = {
  blocky: [BLOCKY, "bool", "rw"],
  ioThreads: [IO_THREADS, "number", "rw"],
  maxMessageSize: [MAX_MSGSZ, "number", "rw"],
  maxSockets: [MAX_SOCKETS, "number", "rw"],
  maxSocketsLimit: [SOCKET_LIMIT, "number", "r"],
  ipv6: [IPV6, "bool", "rw"],
  threadPriority: [THREAD_PRIORITY, "number", "w"],
  threadSchedulingPolicy: [THREAD_SCHED_POLICY, "number", "w"],
};

/**
 * A ZeroMQ context: libzmq's I/O threads for its sockets. Most programs use
 * the default {@linkcode context}; pass `{ context }` to a socket to use
 * another one.
 *
 * Like zeromq.js, every context is terminated when the process exits, which
 * waits for undelivered messages as long as the sockets' `linger` says
 * (forever by default: set `blocky: false`, or `linger`, to exit promptly).
 *
 * @example
 * ```ts
 * import { Context, Dealer } from "@zmqloop/zmq/zeromq";
 * const ctx = new Context({ ioThreads: 2, blocky: false });
 * const dealer = new Dealer({ context: ctx });
 * console.log(ctx.ioThreads, dealer.linger); // 2 0
 * dealer.close();
 * ```
 */
export class Context {
  #raw: RawContext | null = null;

  /**
   * Creates a context and sets the options given.
   *
   * @param options any of the writable context properties
   * @throws {TypeError} for an unknown option or a value of the wrong type
   */
  constructor(options: ContextOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `Cannot create a context: options must be an object, got ${
          describe(options)
        }`,
      );
    }
    for (const [key, value] of Object.entries(options)) {
      const entry = CONTEXT_OPTIONS[key as keyof ContextOptions];
      if (!entry || entry[2] === "r") {
        throw new TypeError(
          `Cannot create a context: unknown option "${key}"`,
        );
      }
      checkContextValue(key, entry[1], value);
    }
    for (const [key, value] of Object.entries(options)) {
      (this as unknown as Record<string, unknown>)[key] = value;
    }
    Object.seal(this);
  }

  static {
    rawContext = (ctx) => {
      if (!ctx.#raw) {
        ctx.#raw = new RawContext({ linger: -1 });
        liveContexts.add(ctx.#raw);
        hookUnload();
      }
      return ctx.#raw;
    };
  }

  #get(name: keyof typeof CONTEXT_OPTIONS): number {
    return rawContext(this).get(CONTEXT_OPTIONS[name][0]);
  }

  #set(name: keyof typeof CONTEXT_OPTIONS, value: unknown): void {
    const [id, shape] = CONTEXT_OPTIONS[name];
    checkContextValue(name, shape, value);
    rawContext(this).set(id, Number(value));
  }

  /** `ZMQ_BLOCKY`: false gives new sockets a linger of 0 (default true). */
  get blocky(): boolean {
    return this.#get("blocky") !== 0;
  }
  set blocky(value: boolean) {
    this.#set("blocky", value);
  }
  /** `ZMQ_IO_THREADS`: size of libzmq's I/O thread pool. */
  get ioThreads(): number {
    return this.#get("ioThreads");
  }
  set ioThreads(value: number) {
    this.#set("ioThreads", value);
  }
  /** `ZMQ_MAX_MSGSZ`: largest message size allowed in the context. */
  get maxMessageSize(): number {
    return this.#get("maxMessageSize");
  }
  set maxMessageSize(value: number) {
    this.#set("maxMessageSize", value);
  }
  /** `ZMQ_MAX_SOCKETS`: most sockets allowed in the context. */
  get maxSockets(): number {
    return this.#get("maxSockets");
  }
  set maxSockets(value: number) {
    this.#set("maxSockets", value);
  }
  /** `ZMQ_SOCKET_LIMIT`: the largest value `maxSockets` accepts (read-only). */
  get maxSocketsLimit(): number {
    return this.#get("maxSocketsLimit");
  }
  /** `ZMQ_IPV6`: new sockets use IPv6 too. */
  get ipv6(): boolean {
    return this.#get("ipv6") !== 0;
  }
  set ipv6(value: boolean) {
    this.#set("ipv6", value);
  }
  /** `ZMQ_THREAD_PRIORITY` (write-only): I/O thread scheduling priority. */
  set threadPriority(value: number) {
    this.#set("threadPriority", value);
  }
  /** `ZMQ_THREAD_SCHED_POLICY` (write-only): I/O thread scheduling policy. */
  set threadSchedulingPolicy(value: number) {
    this.#set("threadSchedulingPolicy", value);
  }
}

function checkContextValue(name: string, shape: CtxShape, value: unknown) {
  const ok = shape === "bool"
    ? typeof value === "boolean"
    : typeof value === "number" && Number.isInteger(value);
  if (!ok) {
    throw new TypeError(
      `Cannot set context option "${name}" to ${
        typeof value === "string" ? JSON.stringify(value) : describe(value)
      }: expected ${shape === "bool" ? "a boolean" : "an integer"}`,
    );
  }
}

/**
 * The context of every socket made without a `context` option. Its options
 * can be changed like any context's.
 *
 * @example
 * ```ts
 * import { context } from "@zmqloop/zmq/zeromq";
 * console.log(context.ioThreads); // 1
 * ```
 */
export const context: Context = new Context();

// ---------------------------------------------------------------- sockets

interface SocketState {
  raw: RawSocket;
  io: SocketIo<Message[]>;
  context: Context;
  observer: Observer | null;
}

let socketState: (socket: Socket) => SocketState;

const BUILTIN = new Set<unknown>();
const EMPTY = new Uint8Array(0);

// Closes sockets nobody can reach any more (and that wait for nothing), as
// zeromq.js does when they are garbage-collected.
const finalizer = new FinalizationRegistry<SocketState>((state) => {
  if (state.raw.closed) return;
  state.observer?.close();
  try {
    state.io.close();
  } catch {
    // in use by a proxy
  }
});

function toBuffers(parts: Uint8Array[]): Message[] {
  const out = new Array<Message>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    out[i] = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  }
  return out;
}

function toPart(part: unknown, what: string): Payload {
  if (typeof part === "string" || part instanceof Uint8Array) return part;
  if (part === null) return EMPTY;
  if (part instanceof ArrayBuffer || part instanceof SharedArrayBuffer) {
    return new Uint8Array(part);
  }
  if (ArrayBuffer.isView(part)) {
    return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  }
  throw new TypeError(
    `Cannot ${what}: a message part must be a string, a Buffer, a typed array, an ArrayBuffer or null, got ${
      describe(part)
    }`,
  );
}

function toParts(message: unknown): Payload[] {
  if (!Array.isArray(message)) return [toPart(message, "send")];
  if (message.length === 0) {
    throw new TypeError("Cannot send: the message has no parts");
  }
  return message.map((p, i) => toPart(p, `send (part ${i})`));
}

function closedError(): ZMQError {
  return errnoError(ERRNO.EBADF);
}

function liveState(socket: Socket, what: string): SocketState {
  const state = socketState(socket);
  if (state.raw.lentTo) {
    throw errnoError(
      ERRNO.EBUSY,
      `Cannot ${what}: the socket is in use by a proxy`,
    );
  }
  if (state.raw.closed) throw closedError();
  return state;
}

function checkAddress(address: unknown, what: string): string {
  if (typeof address !== "string") {
    throw new TypeError(
      `Cannot ${what}: the address must be a string, got ${describe(address)}`,
    );
  }
  return address;
}

function endpointCall(
  socket: Socket,
  what: string,
  address: unknown,
  call: (raw: RawSocket, addr: string) => void,
): void {
  const addr = checkAddress(address, what);
  const state = liveState(socket, `${what} "${addr}"`);
  try {
    call(state.raw, addr);
  } catch (error) {
    if (error instanceof ZMQError) {
      (error as ZMQError & { address?: string }).address = addr;
    }
    throw error;
  }
}

function settle(fn: () => void): Promise<void> {
  try {
    fn();
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

function findSetter(target: object, key: string): boolean {
  for (let o: object | null = target; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d.set !== undefined || d.writable === true;
  }
  return false;
}

/**
 * The options a socket class takes in its constructor: its writable
 * properties, plus the `context` to use.
 */
export type SocketOptions<S> =
  & { context?: Context }
  & { [K in WritableKeys<S>]?: S[K] };

/** `A` when `X` and `Y` are the same type, else `B` (for {@linkcode WritableKeys}). */
export type IfEquals<X, Y, A, B = never> =
  (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? A : B;

/** The keys of `T`'s writable, non-function properties. */
export type WritableKeys<T> = {
  // deno-lint-ignore ban-types
  [P in keyof T]-?: T[P] extends Function ? never
    : IfEquals<{ [Q in P]: T[P] }, { -readonly [Q in P]: T[P] }, P>;
}[keyof T];

/**
 * A ZeroMQ socket. Make one of its subclasses (`Push`, `Dealer`, ...);
 * options can be given to the constructor or set as properties later.
 *
 * @example
 * ```ts
 * import { Dealer } from "@zmqloop/zmq/zeromq";
 * const dealer = new Dealer({ linger: 0, routingId: "me" });
 * console.log(dealer.routingId, dealer.closed); // "me" false
 * dealer.close();
 * console.log(dealer.closed); // true
 * ```
 */
export abstract class Socket {
  #state: SocketState;

  /**
   * Creates a socket of the given type. Subclasses pass their own type.
   *
   * @param type a socket type number
   * @param options options to set, and the `context`
   * @throws {TypeError} for an unknown option or a value of the wrong type
   * @throws {Error} EINVAL (`code`) for an unknown socket type
   */
  protected constructor(type: number, options: object = {}) {
    const name = SOCKET_TYPE_NAMES[type] ?? String(type);
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `Cannot create a ${name} socket: options must be an object, got ${
          describe(options)
        }`,
      );
    }
    const { context: ctx = context, ...rest } = options as {
      context?: unknown;
    };
    if (!(ctx instanceof Context)) {
      throw new TypeError(
        `Cannot create a ${name} socket: "context" must be a Context, got ${
          describe(ctx)
        }`,
      );
    }
    const byName = OPTIONS_BY_TYPE.get(type);
    for (const [key, value] of Object.entries(rest)) {
      const option = byName?.get(key);
      if (option) {
        if (!option.spec.write) {
          throw new TypeError(
            `Cannot create a ${name} socket: option "${key}" is read-only`,
          );
        }
        optionValue(option, value);
      } else if (!findSetter(this, key)) {
        throw new TypeError(
          `Cannot create a ${name} socket: unknown option "${key}"`,
        );
      }
    }
    const raw = rawContext(ctx).socket(type);
    const state: SocketState = {
      raw,
      io: new SocketIo(raw, toBuffers),
      context: ctx,
      observer: null,
    };
    state.io.own(this);
    this.#state = state;
    try {
      for (const [key, value] of Object.entries(rest)) {
        (this as unknown as Record<string, unknown>)[key] = value;
      }
    } catch (error) {
      raw.close(0);
      throw error;
    }
    finalizer.register(this, state, state);
    if (BUILTIN.has(new.target)) Object.seal(this);
  }

  static {
    socketState = (socket) => socket.#state;
  }

  /** The {@linkcode Observer} of this socket's events (made on first use). */
  get events(): Observer {
    return this.#state.observer ??= new Observer(this);
  }

  /** The {@linkcode Context} this socket belongs to. */
  get context(): Context {
    return this.#state.context;
  }

  /** Whether {@linkcode Socket.close} was called. */
  get closed(): boolean {
    return this.#state.raw.closed;
  }

  /** Whether a message can be received now (always false for types that cannot receive). */
  get readable(): boolean {
    const raw = this.#state.raw;
    return !raw.closed && READABLE_TYPES.includes(raw.type) &&
      (raw.events & POLLIN) !== 0;
  }

  /** Whether a message can be sent now (always false for types that cannot send). */
  get writable(): boolean {
    const raw = this.#state.raw;
    return !raw.closed && WRITABLE_TYPES.includes(raw.type) &&
      (raw.events & POLLOUT) !== 0;
  }

  /**
   * Binds to an address (`tcp://127.0.0.1:*` picks a free port; see
   * `lastEndpoint`).
   *
   * @param address the endpoint
   * @returns a promise that resolves once bound, or rejects with the error
   * (`code`, `errno`, `address`)
   */
  bind(address: string): Promise<void> {
    return settle(() => this.bindSync(address));
  }

  /**
   * Stops listening on an address bound before.
   *
   * @param address the endpoint
   * @returns a promise that resolves once unbound
   */
  unbind(address: string): Promise<void> {
    return settle(() => this.unbindSync(address));
  }

  /**
   * Binds at once (zeromq.js v5's name; `bind()` is the v6 way).
   *
   * @param address the endpoint
   * @throws {Error} with `code`, `errno` and `address` when it fails
   */
  bindSync(address: string): void {
    endpointCall(this, "bind to", address, (raw, a) => raw.bind(a));
  }

  /**
   * Unbinds at once.
   *
   * @param address the endpoint
   * @throws {Error} with `code`, `errno` and `address` when it fails
   */
  unbindSync(address: string): void {
    endpointCall(this, "unbind from", address, (raw, a) => raw.unbind(a));
  }

  /**
   * Connects to an address; the connection is made in the background.
   *
   * @param address the endpoint
   * @throws {Error} with `code`, `errno` and `address` when the address is invalid
   */
  connect(address: string): void {
    endpointCall(this, "connect to", address, (raw, a) => raw.connect(a));
  }

  /**
   * Disconnects from an address connected before.
   *
   * @param address the endpoint
   */
  disconnect(address: string): void {
    endpointCall(
      this,
      "disconnect from",
      address,
      (raw, a) => raw.disconnect(a),
    );
  }

  /**
   * Closes the socket: a pending `receive()` or `send()` rejects with
   * EAGAIN, and queued messages are kept for `linger` ms. Its observer
   * (`events`) gives its last events, then `"end"`. Idempotent.
   */
  close(): void {
    const state = this.#state;
    if (state.raw.lentTo) {
      throw errnoError(
        ERRNO.EBUSY,
        "Cannot close the socket: it is in use by a proxy",
      );
    }
    if (state.raw.closed) return;
    finalizer.unregister(state);
    // The observer stays open: it still has the last events to give, and
    // closes itself with the "end" event (or when it is collected).
    state.io.close();
  }
}

/**
 * Option properties every socket type has (zeromq.js's names). Which can be
 * read and which written follows our option table (`ffi/options.ts`); an
 * option that cannot be read reads as `undefined`.
 */
export interface Socket {
  /** `ZMQ_AFFINITY`: I/O thread affinity of new connections (bit mask). */
  affinity: number;
  /** `ZMQ_RATE`: multicast data rate (kbit/s). */
  rate: number;
  /** `ZMQ_RECOVERY_IVL`: multicast recovery interval (ms). */
  recoveryInterval: number;
  /** `ZMQ_LINGER`: how long (ms) queued messages are kept after `close()`; -1 forever. */
  linger: number;
  /** `ZMQ_RECONNECT_IVL`: reconnection interval (ms); -1 no reconnection. */
  reconnectInterval: number;
  /** `ZMQ_BACKLOG`: listen backlog. */
  backlog: number;
  /** `ZMQ_RECONNECT_IVL_MAX`: largest reconnection interval (ms) for back-off. */
  reconnectMaxInterval: number;
  /** `ZMQ_MAXMSGSIZE`: largest inbound message (bytes); -1 no limit. */
  maxMessageSize: number;
  /** `ZMQ_TCP_KEEPALIVE`: SO_KEEPALIVE; -1 OS default. */
  tcpKeepalive: number;
  /** `ZMQ_TCP_KEEPALIVE_CNT`: TCP_KEEPCNT; -1 OS default. */
  tcpKeepaliveCount: number;
  /** `ZMQ_TCP_KEEPALIVE_IDLE`: TCP_KEEPIDLE; -1 OS default. */
  tcpKeepaliveIdle: number;
  /** `ZMQ_TCP_KEEPALIVE_INTVL`: TCP_KEEPINTVL; -1 OS default. */
  tcpKeepaliveInterval: number;
  /** `ZMQ_TCP_ACCEPT_FILTER`: accepted client address (CIDR); null clears. */
  tcpAcceptFilter: string | null;
  /** `ZMQ_IMMEDIATE`: queue messages only on completed connections. */
  immediate: boolean;
  /** `ZMQ_IPV6`: use IPv6 as well as IPv4. */
  ipv6: boolean;
  /** `ZMQ_PLAIN_SERVER`: act as PLAIN server. */
  plainServer: boolean;
  /** `ZMQ_PLAIN_USERNAME`: PLAIN user name for outgoing connections. */
  plainUsername: string | null;
  /** `ZMQ_PLAIN_PASSWORD`: PLAIN password for outgoing connections. */
  plainPassword: string | null;
  /** `ZMQ_CURVE_SERVER`: act as CURVE server. */
  curveServer: boolean;
  /** `ZMQ_CURVE_PUBLICKEY`: this socket's public key (Z85). */
  curvePublicKey: string | null;
  /** `ZMQ_CURVE_SECRETKEY`: this socket's secret key (Z85). */
  curveSecretKey: string | null;
  /** `ZMQ_CURVE_SERVERKEY`: the server's public key, on clients (Z85). */
  curveServerKey: string | null;
  /** `ZMQ_GSSAPI_SERVER` (only when libzmq has GSSAPI). */
  gssapiServer: boolean;
  /** `ZMQ_GSSAPI_PRINCIPAL` (only when libzmq has GSSAPI). */
  gssapiPrincipal: string | null;
  /** `ZMQ_GSSAPI_SERVICE_PRINCIPAL` (only when libzmq has GSSAPI). */
  gssapiServicePrincipal: string | null;
  /** `ZMQ_GSSAPI_PLAINTEXT` (only when libzmq has GSSAPI). */
  gssapiPlainText: boolean;
  /** `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` (only when libzmq has GSSAPI). */
  gssapiPrincipalNameType: "hostBased" | "userName" | "krb5Principal";
  /** `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE` (only when libzmq has GSSAPI). */
  gssapiServicePrincipalNameType: "hostBased" | "userName" | "krb5Principal";
  /** `ZMQ_ZAP_DOMAIN`: ZAP (RFC 27) authentication domain. */
  zapDomain: string | null;
  /** `ZMQ_TOS`: IP type-of-service field. */
  typeOfService: number;
  /** `ZMQ_HANDSHAKE_IVL`: handshake time limit (ms); 0 none. */
  handshakeInterval: number;
  /** `ZMQ_SOCKS_PROXY`: SOCKS5 proxy address. */
  socksProxy: string | null;
  /** `ZMQ_HEARTBEAT_IVL`: ZMTP heartbeat interval (ms). */
  heartbeatInterval: number;
  /** `ZMQ_HEARTBEAT_TTL`: heartbeat time-to-live for the peer (ms). */
  heartbeatTimeToLive: number;
  /** `ZMQ_HEARTBEAT_TIMEOUT`: heartbeat timeout (ms). */
  heartbeatTimeout: number;
  /** `ZMQ_CONNECT_TIMEOUT`: TCP connect timeout (ms). */
  connectTimeout: number;
  /** `ZMQ_TCP_MAXRT`: TCP retransmit timeout (ms). */
  tcpMaxRetransmitTimeout: number;
  /** `ZMQ_MULTICAST_MAXTPDU`: largest multicast datagram. */
  multicastMaxTransportDataUnit: number;
  /** `ZMQ_VMCI_BUFFER_SIZE` (vmci:// only). */
  vmciBufferSize: number;
  /** `ZMQ_VMCI_BUFFER_MIN_SIZE` (vmci:// only). */
  vmciBufferMinSize: number;
  /** `ZMQ_VMCI_BUFFER_MAX_SIZE` (vmci:// only). */
  vmciBufferMaxSize: number;
  /** `ZMQ_VMCI_CONNECT_TIMEOUT` (vmci:// only). */
  vmciConnectTimeout: number;
  /** `ZMQ_BINDTODEVICE`: network interface to bind to (Linux). */
  interface: string | null;
  /** `ZMQ_TYPE`: the socket type number (read-only). */
  readonly type: SocketType;
  /** `ZMQ_LAST_ENDPOINT`: the endpoint last bound (read-only). */
  readonly lastEndpoint: string | null;
  /** `ZMQ_MECHANISM`: null, `"plain"`, `"curve"` or `"gssapi"` (read-only). */
  readonly securityMechanism: null | "plain" | "curve" | "gssapi";
  /** `ZMQ_THREAD_SAFE`: whether the socket is thread-safe (read-only). */
  readonly threadSafe: boolean;
}

/**
 * What sockets that can send have: `send()` and the send options.
 */
export interface Writable<
  M extends MessageLike | MessageLike[] = MessageLike | MessageLike[],
> {
  /** `ZMQ_MULTICAST_HOPS`: multicast time-to-live. */
  multicastHops: number;
  /** `ZMQ_SNDBUF`: kernel send buffer size (bytes); -1 OS default. */
  sendBufferSize: number;
  /** `ZMQ_SNDHWM`: most messages queued per peer; 0 no limit. */
  sendHighWaterMark: number;
  /**
   * `ZMQ_SNDTIMEO`: how long (ms) `send()` waits before it rejects with
   * EAGAIN; 0 rejects at once, -1 (default) waits forever.
   */
  sendTimeout: number;
  /**
   * Sends a message (one part, or an array of parts). Resolves at once when
   * the socket can take it, else when it could (mute state, HWM reached).
   * Sends made while one waits are queued and go out in order (zeromq.js
   * rejects them with EBUSY).
   *
   * @param message the message
   * @returns a promise that resolves when libzmq has queued the message
   */
  send(message: M): Promise<void>;
}

/**
 * What sockets that can receive have: `receive()`, `for await` and the
 * receive options.
 */
export interface Readable<M extends object[] = Message[]> {
  /** `ZMQ_RCVBUF`: kernel receive buffer size (bytes); -1 OS default. */
  receiveBufferSize: number;
  /** `ZMQ_RCVHWM`: most messages queued per peer; 0 no limit. */
  receiveHighWaterMark: number;
  /**
   * `ZMQ_RCVTIMEO`: how long (ms) `receive()` waits before it rejects with
   * EAGAIN; 0 rejects at once, -1 (default) waits forever.
   */
  receiveTimeout: number;
  /**
   * Receives the next message: an array of its parts. Only one receive may
   * wait at a time (a second one rejects with EBUSY); it rejects with
   * EAGAIN when the socket closes meanwhile.
   *
   * @returns a promise of the parts
   */
  receive(): Promise<M>;
  /**
   * Iterates over received messages until the socket closes.
   *
   * @returns an async iterator
   */
  [Symbol.asyncIterator](): AsyncIterator<M, undefined>;
}

function send(this: Socket, message: MessageLike | MessageLike[]) {
  let state: SocketState, parts: Payload[];
  try {
    state = liveState(this, "send");
    if (message === undefined) {
      throw new TypeError("Cannot send: the message must be present");
    }
    parts = toParts(message);
  } catch (error) {
    return Promise.reject(error);
  }
  return state.io.send(parts);
}

function receive(this: Socket): Promise<Message[]> {
  let state: SocketState;
  try {
    state = liveState(this, "receive");
  } catch (error) {
    return Promise.reject(error);
  }
  return state.io.receive();
}

interface Receiver<T> {
  readonly closed: boolean;
  receive(): Promise<T>;
}

function asyncIterator<T>(this: Receiver<T>): AsyncIterator<T, undefined> {
  return {
    next: async (): Promise<IteratorResult<T, undefined>> => {
      if (this.closed) return { done: true, value: undefined };
      try {
        return { done: false, value: await this.receive() };
      } catch (error) {
        if (this.closed && (error as ZMQError).code === "EAGAIN") {
          return { done: true, value: undefined };
        }
        throw error;
      }
    },
  };
}

const sendMethods = { send };
const receiveMethods = { receive, [Symbol.asyncIterator]: asyncIterator };

/**
 * A PAIR socket: one peer, no routing (best on `inproc://`).
 *
 * @example
 * ```ts
 * import { Pair } from "@zmqloop/zmq/zeromq";
 * const a = new Pair(), b = new Pair();
 * await a.bind("inproc://pair-doc");
 * b.connect("inproc://pair-doc");
 * await b.send("hi");
 * console.log((await a.receive())[0]!.toString()); // "hi"
 * a.close();
 * b.close();
 * ```
 */
export class Pair extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Pair>) {
    super(PAIR, options);
  }
}
/** Pair sends and receives. */
export interface Pair extends Writable, Readable {}

/**
 * A PUB socket: fans messages out to subscribers; cannot receive.
 *
 * @example
 * ```ts
 * import { Publisher } from "@zmqloop/zmq/zeromq";
 * const pub = new Publisher({ noDrop: false });
 * await pub.bind("tcp://127.0.0.1:*");
 * await pub.send(["topic", "payload"]); // no subscriber: dropped
 * pub.close();
 * ```
 */
export class Publisher extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Publisher>) {
    super(PUB, options);
  }
}
/** Publisher sends, and has these options. */
export interface Publisher extends Writable {
  /** `ZMQ_XPUB_NODROP`: fail with EAGAIN at the HWM instead of dropping. */
  noDrop: boolean;
  /** `ZMQ_CONFLATE`: keep only the last message. */
  conflate: boolean;
  /** `ZMQ_INVERT_MATCHING`: send to peers whose subscriptions do not match. */
  invertMatching: boolean;
}

/**
 * A SUB socket: receives what publishers send on the topics it subscribed
 * to; cannot send.
 *
 * @example
 * ```ts
 * import { Publisher, Subscriber } from "@zmqloop/zmq/zeromq";
 * const pub = new Publisher();
 * await pub.bind("inproc://sub-doc");
 * const sub = new Subscriber();
 * sub.connect("inproc://sub-doc");
 * sub.subscribe("kitty");
 * await pub.send(["kitty cats", "meow!"]);
 * const [topic, msg] = await sub.receive();
 * console.log(topic!.toString(), msg!.toString()); // "kitty cats" "meow!"
 * pub.close();
 * sub.close();
 * ```
 */
export class Subscriber extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Subscriber>) {
    super(SUB, options);
  }

  /**
   * Adds message filters (prefixes); none subscribes to everything.
   *
   * @param prefixes topic prefixes
   */
  subscribe(...prefixes: Array<Uint8Array | string>): void {
    const raw = liveState(this, "subscribe").raw;
    if (prefixes.length === 0) raw.setsockopt(SUBSCRIBE, EMPTY);
    for (const p of prefixes) raw.setsockopt(SUBSCRIBE, toPart(p, "subscribe"));
  }

  /**
   * Removes filters added with `subscribe`; none removes the
   * subscribe-to-everything filter.
   *
   * @param prefixes topic prefixes
   */
  unsubscribe(...prefixes: Array<Uint8Array | string>): void {
    const raw = liveState(this, "unsubscribe").raw;
    if (prefixes.length === 0) raw.setsockopt(UNSUBSCRIBE, EMPTY);
    for (const p of prefixes) {
      raw.setsockopt(UNSUBSCRIBE, toPart(p, "unsubscribe"));
    }
  }
}
/** Subscriber receives, and has these options. */
export interface Subscriber extends Readable {
  /** `ZMQ_CONFLATE`: keep only the last message. */
  conflate: boolean;
  /** `ZMQ_INVERT_MATCHING`: receive what does not match the subscriptions. */
  invertMatching: boolean;
}

/**
 * A REQ socket: alternates `send()` of a request and `receive()` of its reply.
 *
 * @example
 * ```ts
 * import { Reply, Request } from "@zmqloop/zmq/zeromq";
 * const rep = new Reply();
 * await rep.bind("inproc://req-doc");
 * const req = new Request();
 * req.connect("inproc://req-doc");
 * await req.send("4");
 * const [n] = await rep.receive();
 * await rep.send(String(2 * Number(n!.toString())));
 * console.log((await req.receive())[0]!.toString()); // "8"
 * req.close();
 * rep.close();
 * ```
 */
export class Request extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Request>) {
    super(REQ, options);
  }
}
/** Request sends and receives, and has these options. */
export interface Request extends Readable, Writable {
  /** `ZMQ_ROUTING_ID`: this socket's identity towards a Router. */
  routingId: string | null;
  /** `ZMQ_PROBE_ROUTER`: send an empty message on connect. */
  probeRouter: boolean;
  /** `ZMQ_REQ_CORRELATE`: match replies to requests. */
  correlate: boolean;
  /** `ZMQ_REQ_RELAXED`: allow a new request before the reply. */
  relaxed: boolean;
}

/**
 * A REP socket: alternates `receive()` of a request and `send()` of its reply.
 *
 * @example
 * ```ts
 * import { Reply } from "@zmqloop/zmq/zeromq";
 * const rep = new Reply({ routingId: "server" });
 * await rep.bind("tcp://127.0.0.1:*");
 * console.log(rep.lastEndpoint!.startsWith("tcp://127.0.0.1:")); // true
 * rep.close();
 * ```
 */
export class Reply extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Reply>) {
    super(REP, options);
  }
}
/** Reply sends and receives, and has these options. */
export interface Reply extends Readable, Writable {
  /** `ZMQ_ROUTING_ID`: this socket's identity towards a Router. */
  routingId: string | null;
}

/**
 * A DEALER socket: round-robins what it sends, fair-queues what it receives.
 *
 * @example
 * ```ts
 * import { Dealer } from "@zmqloop/zmq/zeromq";
 * const a = new Dealer(), b = new Dealer();
 * await a.bind("inproc://dealer-doc");
 * b.connect("inproc://dealer-doc");
 * await b.send(["x", "y"]);
 * console.log((await a.receive()).length); // 2
 * a.close();
 * b.close();
 * ```
 */
export class Dealer extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Dealer>) {
    super(DEALER, options);
  }
}
/** Dealer sends and receives, and has these options. */
export interface Dealer extends Readable, Writable {
  /** `ZMQ_ROUTING_ID`: this socket's identity towards a Router. */
  routingId: string | null;
  /** `ZMQ_PROBE_ROUTER`: send an empty message on connect. */
  probeRouter: boolean;
  /** `ZMQ_CONFLATE`: keep only the last message. */
  conflate: boolean;
}

/** Options of `Router.connect` and `Stream.connect`. */
export interface RouterConnectOptions {
  /** The routing id to give the peer (1-255 bytes, not starting with a zero byte). */
  routingId?: string;
}

function connectWithId(
  socket: Socket,
  address: string,
  options: RouterConnectOptions,
): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot connect: options must be an object, got ${describe(options)}`,
    );
  }
  checkAddress(address, "connect");
  if (options.routingId !== undefined) {
    if (typeof options.routingId !== "string") {
      throw new TypeError(
        `Cannot connect to "${address}": routingId must be a string, got ${
          describe(options.routingId)
        }`,
      );
    }
    liveState(socket, `connect to "${address}"`).raw.setsockopt(
      CONNECT_ROUTING_ID,
      options.routingId,
    );
  }
  Socket.prototype.connect.call(socket, address);
}

/**
 * A ROUTER socket: prefixes each received message with the sender's routing
 * id and routes each sent message by its first part.
 *
 * @example
 * ```ts
 * import { Dealer, Router } from "@zmqloop/zmq/zeromq";
 * const router = new Router({ mandatory: true });
 * await router.bind("inproc://router-doc");
 * const dealer = new Dealer({ routingId: "d1" });
 * dealer.connect("inproc://router-doc");
 * await dealer.send("hello");
 * const [id, msg] = await router.receive();
 * await router.send([id!, "world"]);
 * console.log(id!.toString(), (await dealer.receive())[0]!.toString()); // "d1" "world"
 * router.close();
 * dealer.close();
 * ```
 */
export class Router extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Router>) {
    super(ROUTER, options);
  }

  /**
   * Connects, optionally naming the peer with a routing id.
   *
   * @param address the endpoint
   * @param options `routingId` for this connection
   */
  override connect(address: string, options: RouterConnectOptions = {}): void {
    connectWithId(this, address, options);
  }
}
/** Router sends and receives, and has these options. */
export interface Router extends Readable, Writable {
  /** `ZMQ_ROUTING_ID`: this socket's identity towards another Router. */
  routingId: string | null;
  /** `ZMQ_ROUTER_MANDATORY`: unroutable messages fail (EHOSTUNREACH) instead of vanishing. */
  mandatory: boolean;
  /** `ZMQ_PROBE_ROUTER`: send an empty message on connect. */
  probeRouter: boolean;
  /** `ZMQ_ROUTER_HANDOVER`: a new peer with a used routing id takes it over. */
  handover: boolean;
}

/**
 * A PULL socket: receives from pushers, fair-queued; cannot send.
 *
 * @example
 * ```ts
 * import { Pull } from "@zmqloop/zmq/zeromq";
 * const pull = new Pull({ receiveTimeout: 0 });
 * await pull.bind("inproc://pull-doc");
 * await pull.receive().catch((e) => console.log(e.code)); // "EAGAIN"
 * pull.close();
 * ```
 */
export class Pull extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Pull>) {
    super(PULL, options);
  }
}
/** Pull receives, and has this option. */
export interface Pull extends Readable {
  /** `ZMQ_CONFLATE`: keep only the last message. */
  conflate: boolean;
}

/**
 * A PUSH socket: round-robins messages to pullers; cannot receive.
 *
 * @example
 * ```ts
 * import { Push } from "@zmqloop/zmq/zeromq";
 * const push = new Push({ sendTimeout: 0 });
 * await push.send("nobody").catch((e) => console.log(e.code)); // "EAGAIN"
 * push.close();
 * ```
 */
export class Push extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Push>) {
    super(PUSH, options);
  }
}
/** Push sends, and has this option. */
export interface Push extends Writable {
  /** `ZMQ_CONFLATE`: keep only the last message. */
  conflate: boolean;
}

/** Values of `XPublisher.verbosity`. */
export type Verbosity = null | "allSubs" | "allSubsUnsubs";

/**
 * An XPUB socket: a Publisher that also receives the subscriptions
 * (a byte 1 or 0, then the topic).
 *
 * @example
 * ```ts
 * import { Subscriber, XPublisher } from "@zmqloop/zmq/zeromq";
 * const xpub = new XPublisher({ verbosity: "allSubs" });
 * await xpub.bind("inproc://xpub-doc");
 * const sub = new Subscriber();
 * sub.connect("inproc://xpub-doc");
 * sub.subscribe("news");
 * const [subscription] = await xpub.receive();
 * console.log(subscription![0], subscription!.subarray(1).toString()); // 1 "news"
 * xpub.close();
 * sub.close();
 * ```
 */
export class XPublisher extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<XPublisher>) {
    super(XPUB, options);
  }

  /**
   * `ZMQ_XPUB_VERBOSE` / `ZMQ_XPUB_VERBOSER` as one property (write-only):
   * `null` passes unique (un)subscriptions only, `"allSubs"` every
   * subscription, `"allSubsUnsubs"` every subscription and unsubscription.
   */
  set verbosity(value: Verbosity) {
    const raw = liveState(this, 'set option "verbosity"').raw;
    switch (value) {
      case null:
        raw.setsockopt(XPUB_VERBOSE, 0);
        break;
      case "allSubs":
        raw.setsockopt(XPUB_VERBOSE, 1);
        break;
      case "allSubsUnsubs":
        raw.setsockopt(XPUB_VERBOSER, 1);
        break;
      default:
        throw new TypeError(
          `Cannot set option "verbosity" to ${
            typeof value === "string" ? JSON.stringify(value) : describe(value)
          }: expected null, "allSubs" or "allSubsUnsubs"`,
        );
    }
  }
}
/** XPublisher sends and receives, and has these options. */
export interface XPublisher extends Readable, Writable {
  /** `ZMQ_XPUB_NODROP`: fail with EAGAIN at the HWM instead of dropping. */
  noDrop: boolean;
  /** `ZMQ_XPUB_MANUAL`: subscriptions are applied by the application. */
  manual: boolean;
  /** `ZMQ_XPUB_WELCOME_MSG`: message sent to each new subscriber. */
  welcomeMessage: string | null;
  /** `ZMQ_INVERT_MATCHING`: send to peers whose subscriptions do not match. */
  invertMatching: boolean;
}

/**
 * An XSUB socket: a Subscriber that subscribes by sending a byte 1 (or 0 to
 * unsubscribe) followed by the topic.
 *
 * @example
 * ```ts
 * import { XSubscriber } from "@zmqloop/zmq/zeromq";
 * const xsub = new XSubscriber();
 * await xsub.send(new Uint8Array([1])); // subscribe to everything
 * xsub.close();
 * ```
 */
export class XSubscriber extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<XSubscriber>) {
    super(XSUB, options);
  }
}
/** XSubscriber sends and receives. */
export interface XSubscriber extends Readable, Writable {}

/**
 * A STREAM socket: raw TCP to non-ZeroMQ peers; each message is a routing
 * id and a data part.
 *
 * @example
 * ```ts
 * import { Stream } from "@zmqloop/zmq/zeromq";
 * const stream = new Stream({ notify: true });
 * await stream.bind("tcp://127.0.0.1:*");
 * stream.close();
 * ```
 */
export class Stream extends Socket {
  /**
   * Creates the socket, setting the options given.
   *
   * @param options options and `context`
   */
  constructor(options?: SocketOptions<Stream>) {
    super(STREAM, options);
  }

  /**
   * Connects, optionally naming the peer with a routing id.
   *
   * @param address the `tcp://` endpoint
   * @param options `routingId` for this connection
   */
  override connect(address: string, options: RouterConnectOptions = {}): void {
    connectWithId(this, address, options);
  }
}
/** Stream sends and receives [routing id, data] pairs, and has this option. */
export interface Stream
  extends Readable<[Message, Message]>, Writable<[MessageLike, MessageLike]> {
  /** `ZMQ_STREAM_NOTIFY`: a zero-length message marks connects and disconnects. */
  notify: boolean;
}

// Install send/receive and the option properties on each class, per type.
const CLASSES: [new (options?: never) => Socket, number][] = [
  [Pair, PAIR],
  [Publisher, PUB],
  [Subscriber, SUB],
  [Request, REQ],
  [Reply, REP],
  [Dealer, DEALER],
  [Router, ROUTER],
  [Pull, PULL],
  [Push, PUSH],
  [XPublisher, XPUB],
  [XSubscriber, XSUB],
  [Stream, STREAM],
];

const OPTIONS_BY_TYPE = new Map<number, Map<string, CompatOption>>();

function optionProperty(option: CompatOption): PropertyDescriptor {
  const desc: PropertyDescriptor = { configurable: true };
  if (option.spec.read) {
    desc.get = function (this: Socket) {
      return readOption(
        liveState(this, `get option "${option.name}"`).raw,
        option,
      );
    };
  }
  if (option.spec.write) {
    desc.set = function (this: Socket, value: unknown) {
      const converted = optionValue(option, value);
      const state = liveState(this, `set option "${option.name}"`);
      state.raw.setsockopt(option.spec.id, converted);
      if (option.spec.id === SNDTIMEO) {
        state.io.sendTimeout = value as number;
      }
      if (option.spec.id === RCVTIMEO) {
        state.io.receiveTimeout = value as number;
      }
    };
  }
  return desc;
}

for (const [cls, type] of CLASSES) {
  BUILTIN.add(cls);
  if (WRITABLE_TYPES.includes(type)) Object.assign(cls.prototype, sendMethods);
  if (READABLE_TYPES.includes(type)) {
    Object.assign(cls.prototype, receiveMethods);
  }
  const byName = new Map<string, CompatOption>();
  for (const option of COMPAT_OPTIONS) {
    if (!option.on(type)) continue;
    byName.set(option.name, option);
    Object.defineProperty(cls.prototype, option.name, optionProperty(option));
  }
  OPTIONS_BY_TYPE.set(type, byName);
}

// ---------------------------------------------------------------- observer

/** An event's `address`. */
export interface EventAddress {
  /** The endpoint concerned. */
  address: string;
}

/** An event's reconnect `interval`. */
export interface EventInterval {
  /** The current reconnect interval (ms). */
  interval: number;
}

/** An error with zeromq.js's `code` and `errno`. */
export interface ErrnoError extends Error {
  /** The symbolic name, e.g. `"EADDRINUSE"`. */
  code: string;
  /** The error number. */
  errno: number;
}

/** The error of a `"handshake:error:auth"` event: the ZAP status code. */
export interface AuthError extends Error {
  /** 300 temporary error, 400 authentication failure, 500 internal error. */
  status: 300 | 400 | 500;
}

/** The error of a `"handshake:error:protocol"` event. */
export interface ProtoError extends Error {
  /** `"ERR_ZMTP_..."` or `"ERR_ZAP_..."`, from libzmq's protocol error. */
  code: string;
}

/** An event's `error`. */
export interface EventError<E = ErrnoError> {
  /** What went wrong. */
  error: E;
}

/** An event of type `T` with the data `D`. */
export type EventFor<T extends string, D = unknown> = { type: T } & D;

/** A socket event, as the {@linkcode Observer} gives it. */
export type Event =
  | EventFor<"accept", EventAddress>
  | EventFor<"accept:error", EventAddress & EventError>
  | EventFor<"bind", EventAddress>
  | EventFor<"bind:error", EventAddress & EventError>
  | EventFor<"connect", EventAddress>
  | EventFor<"connect:delay", EventAddress>
  | EventFor<"connect:retry", EventAddress & EventInterval>
  | EventFor<"close", EventAddress>
  | EventFor<"close:error", EventAddress & EventError>
  | EventFor<"disconnect", EventAddress>
  | EventFor<"end">
  | EventFor<"handshake", EventAddress>
  | EventFor<"handshake:error:protocol", EventAddress & EventError<ProtoError>>
  | EventFor<"handshake:error:auth", EventAddress & EventError<AuthError>>
  | EventFor<"handshake:error:other", EventAddress & EventError>
  | EventFor<"unknown">;

/** The event type names (`"bind"`, `"connect:retry"`, ...). */
export type EventType = Event["type"];

/** The event object of one event type. */
export type EventOfType<E extends EventType = EventType> = Extract<
  Event,
  { type: E }
>;

// Closes the monitor socket of an observer nobody can reach any more.
const observerFinalizer = new FinalizationRegistry<RawSocket>((pair) => {
  if (!pair.closed) pair.close(0);
});

/**
 * The events of a socket (`socket.events`): read them with `receive()` /
 * `for await`, or listen with `on()` / `off()` (not both). It ends (`"end"`)
 * when the socket closes.
 *
 * @example
 * ```ts
 * import { Pull } from "@zmqloop/zmq/zeromq";
 * const pull = new Pull();
 * const events = pull.events;
 * await pull.bind("tcp://127.0.0.1:*");
 * const event = await events.receive();
 * console.log(event.type); // "bind"
 * pull.close();
 * ```
 */
export class Observer {
  #socket: RawSocket;
  #pair: RawSocket;
  #io: SocketIo<RawEvent>;
  #closed = false;
  #listeners: Map<string, Set<(data: never) => void>> | null = null;

  /**
   * Starts observing a socket; `socket.events` is the usual way.
   *
   * @param socket the socket
   */
  constructor(socket: Socket) {
    if (!(socket instanceof Socket)) {
      throw new TypeError(
        `Cannot create an Observer: expected a socket, got ${describe(socket)}`,
      );
    }
    this.#socket = liveState(socket, "observe the socket").raw;
    this.#pair = this.#socket.getMonitorSocket(EVENT_ALL);
    this.#io = new SocketIo(this.#pair, toEvent);
    this.#io.own(this);
    observerFinalizer.register(this, this.#pair, this);
  }

  /** Whether the observer was closed (by `close()` or with its socket). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stops observing. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    observerFinalizer.unregister(this);
    if (!this.#socket.closed) this.#socket.disableMonitor();
    this.#io.close(0);
  }

  /**
   * Waits for the next event.
   *
   * @returns a promise of the event
   * @throws {Error} once `on()` was used (the observer then emits instead)
   */
  receive(): Promise<Event> {
    if (this.#listeners) {
      return Promise.reject(
        new Error(
          "Observer is in event emitter mode. After a call to events.on() it is not possible to read events with events.receive().",
        ),
      );
    }
    return this.#next();
  }

  #next(): Promise<Event> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#io.receive().then((event) => {
      if (event.type === "end") this.close();
      return event as Event;
    });
  }

  /**
   * Calls `listener` with each event of `type` (switches to emitter mode).
   *
   * @param type the event type
   * @param listener the function
   * @returns this observer
   */
  on<E extends EventType>(
    type: E,
    listener: (data: EventOfType<E>) => void,
  ): this {
    if (typeof listener !== "function") {
      throw new TypeError(
        `Cannot listen to "${type}": the listener must be a function, got ${
          describe(listener)
        }`,
      );
    }
    if (!this.#listeners) {
      this.#listeners = new Map();
      this.#emit();
    }
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, set = new Set());
    set.add(listener as (data: never) => void);
    return this;
  }

  /**
   * Removes a listener added with `on()`.
   *
   * @param type the event type
   * @param listener the function
   * @returns this observer
   */
  off<E extends EventType>(
    type: E,
    listener: (data: EventOfType<E>) => void,
  ): this {
    this.#listeners?.get(type)?.delete(listener as (data: never) => void);
    return this;
  }

  async #emit(): Promise<void> {
    while (!this.#closed) {
      let event: Event;
      try {
        event = await this.#next();
      } catch {
        return;
      }
      for (const listener of [...this.#listeners?.get(event.type) ?? []]) {
        try {
          (listener as (data: Event) => void)(event);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
  }

  /**
   * Iterates over events until the observer closes.
   *
   * @returns an async iterator
   */
  [Symbol.asyncIterator](): AsyncIterator<Event, undefined> {
    return asyncIterator.call<
      Receiver<Event>,
      [],
      AsyncIterator<Event, undefined>
    >(this);
  }
}

// ---------------------------------------------------------------- proxy

/**
 * ZeroMQ's proxy between a front-end and a back-end socket, on a native
 * thread: `run()` until `terminate()`; `pause()` and `resume()` steer it.
 * Both sockets are closed when it ends. `run()` rejects (EBUSY) while a
 * `send()` or `receive()` waits on either socket.
 *
 * @example
 * ```ts
 * import { Dealer, Proxy, Reply, Request, Router } from "@zmqloop/zmq/zeromq";
 * const proxy = new Proxy(new Router(), new Dealer());
 * await proxy.frontEnd.bind("inproc://proxy-front");
 * await proxy.backEnd.bind("inproc://proxy-back");
 * const done = proxy.run();
 * const rep = new Reply(), req = new Request();
 * rep.connect("inproc://proxy-back");
 * req.connect("inproc://proxy-front");
 * await req.send("ping");
 * await rep.send((await rep.receive())[0]!);
 * console.log((await req.receive())[0]!.toString()); // "ping"
 * proxy.terminate();
 * await done;
 * rep.close();
 * req.close();
 * ```
 */
export class Proxy<F extends Socket = Socket, B extends Socket = Socket> {
  /** The front-end socket. */
  readonly frontEnd: F;
  /** The back-end socket. */
  readonly backEnd: B;
  #running: SteerableProxy | null = null;

  /**
   * Sets up a proxy; `run()` starts it.
   *
   * @param frontEnd the socket clients talk to
   * @param backEnd the socket workers talk to
   */
  constructor(frontEnd: F, backEnd: B) {
    if (!(frontEnd instanceof Socket) || !(backEnd instanceof Socket)) {
      throw new TypeError(
        "Cannot create a Proxy: front-end and back-end must be sockets",
      );
    }
    this.frontEnd = frontEnd;
    this.backEnd = backEnd;
  }

  /**
   * Runs the proxy until `terminate()`, then closes both sockets.
   *
   * @returns a promise that resolves when the proxy has ended
   * @throws {Error} EBUSY (as a rejection) when it runs already, or a
   * `send()` or `receive()` waits on a socket (nothing is changed then)
   */
  async run(): Promise<void> {
    if (this.#running) {
      throw errnoError(ERRNO.EBUSY, "Proxy is already running");
    }
    const front = liveState(this.frontEnd, "run a proxy");
    const back = liveState(this.backEnd, "run a proxy");
    for (const [end, state] of [["front-end", front], ["back-end", back]]) {
      if ((state as SocketState).io.waiting) {
        throw errnoError(
          ERRNO.EBUSY,
          `Cannot run a proxy: a send() or receive() is waiting on its ${end} socket`,
        );
      }
    }
    // Nothing waits on either: neither refuses (a socket whose calls once
    // waited is still watched by the loop until now).
    front.io.detach();
    back.io.detach();
    this.#running = new SteerableProxy(front.raw, back.raw);
    try {
      await this.#running.done;
    } finally {
      this.#running = null;
      this.frontEnd.close();
      this.backEnd.close();
    }
  }

  #steer(what: string): SteerableProxy {
    if (!this.#running) {
      throw errnoError(ERRNO.EBADF, `Cannot ${what}: the proxy is not running`);
    }
    return this.#running;
  }

  /** Suspends forwarding until `resume()`. */
  pause(): void {
    this.#steer("pause").pause();
  }

  /** Resumes forwarding after `pause()`. */
  resume(): void {
    this.#steer("resume").resume();
  }

  /** Ends the proxy; `run()` then resolves and both sockets are closed. */
  terminate(): void {
    this.#steer("terminate").terminate();
  }
}
