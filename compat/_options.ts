/**
 * zeromq.js's socket option properties, derived from our one option table
 * (`SOCKET_OPTIONS` in ffi/options.ts): that table gives each option's id,
 * value type and access; this file only says, keyed by our option names,
 * what zeromq.js calls it, whether zeromq.js shows an int as a boolean (or as
 * one of a few names), and on which socket types it exists.
 *
 * @module
 */

import { SOCKET_OPTIONS } from "../ffi/options.ts";
import type { OptionSpec } from "../ffi/options.ts";
import type { Socket as RawSocket } from "../ffi/socket.ts";
import {
  DEALER,
  PAIR,
  PUB,
  PULL,
  PUSH,
  REP,
  REQ,
  ROUTER,
  STREAM,
  SUB,
  XPUB,
  XSUB,
} from "../ffi/constants.ts";
import { describe, fromUtf8 } from "../ffi/bytes.ts";
import { has } from "../ffi/version.ts";

/** Socket types that can send (zeromq.js's `Writable`). */
export const WRITABLE_TYPES: readonly number[] = [
  PAIR,
  PUB,
  REQ,
  REP,
  DEALER,
  ROUTER,
  PUSH,
  XPUB,
  XSUB,
  STREAM,
];
/** Socket types that can receive (zeromq.js's `Readable`). */
export const READABLE_TYPES: readonly number[] = [
  PAIR,
  SUB,
  REQ,
  REP,
  DEALER,
  ROUTER,
  PULL,
  XPUB,
  XSUB,
  STREAM,
];

/** How zeromq.js shows an option's value. */
type Shape = "number" | "bool" | "text" | readonly (string | null)[];

/** On which socket types a property exists. */
type Where = "all" | "readable" | "writable" | readonly number[];

/** zeromq.js property name, shape and availability, keyed by our option name. */
const NAMES: Record<string, [name: string, shape?: Shape, where?: Where]> = {
  AFFINITY: ["affinity"],
  ROUTING_ID: ["routingId", "text", [REQ, REP, ROUTER, DEALER]],
  RATE: ["rate"],
  RECOVERY_IVL: ["recoveryInterval"],
  SNDBUF: ["sendBufferSize", "number", "writable"],
  RCVBUF: ["receiveBufferSize", "number", "readable"],
  TYPE: ["type"],
  LINGER: ["linger"],
  RECONNECT_IVL: ["reconnectInterval"],
  BACKLOG: ["backlog"],
  RECONNECT_IVL_MAX: ["reconnectMaxInterval"],
  MAXMSGSIZE: ["maxMessageSize"],
  SNDHWM: ["sendHighWaterMark", "number", "writable"],
  RCVHWM: ["receiveHighWaterMark", "number", "readable"],
  MULTICAST_HOPS: ["multicastHops", "number", "writable"],
  RCVTIMEO: ["receiveTimeout", "number", "readable"],
  SNDTIMEO: ["sendTimeout", "number", "writable"],
  LAST_ENDPOINT: ["lastEndpoint", "text"],
  ROUTER_MANDATORY: ["mandatory", "bool", [ROUTER]],
  TCP_KEEPALIVE: ["tcpKeepalive"],
  TCP_KEEPALIVE_CNT: ["tcpKeepaliveCount"],
  TCP_KEEPALIVE_IDLE: ["tcpKeepaliveIdle"],
  TCP_KEEPALIVE_INTVL: ["tcpKeepaliveInterval"],
  TCP_ACCEPT_FILTER: ["tcpAcceptFilter", "text"],
  IMMEDIATE: ["immediate", "bool"],
  IPV6: ["ipv6", "bool"],
  MECHANISM: ["securityMechanism", [null, "plain", "curve", "gssapi"]],
  PLAIN_SERVER: ["plainServer", "bool"],
  PLAIN_USERNAME: ["plainUsername", "text"],
  PLAIN_PASSWORD: ["plainPassword", "text"],
  CURVE_SERVER: ["curveServer", "bool"],
  CURVE_PUBLICKEY: ["curvePublicKey", "text"],
  CURVE_SECRETKEY: ["curveSecretKey", "text"],
  CURVE_SERVERKEY: ["curveServerKey", "text"],
  PROBE_ROUTER: ["probeRouter", "bool", [ROUTER, DEALER, REQ]],
  REQ_CORRELATE: ["correlate", "bool", [REQ]],
  REQ_RELAXED: ["relaxed", "bool", [REQ]],
  CONFLATE: ["conflate", "bool", [PULL, PUSH, SUB, PUB, DEALER]],
  ZAP_DOMAIN: ["zapDomain", "text"],
  ROUTER_HANDOVER: ["handover", "bool", [ROUTER]],
  TOS: ["typeOfService"],
  GSSAPI_SERVER: ["gssapiServer", "bool"],
  GSSAPI_PRINCIPAL: ["gssapiPrincipal", "text"],
  GSSAPI_SERVICE_PRINCIPAL: ["gssapiServicePrincipal", "text"],
  GSSAPI_PLAINTEXT: ["gssapiPlainText", "bool"],
  GSSAPI_PRINCIPAL_NAMETYPE: ["gssapiPrincipalNameType", [
    "hostBased",
    "userName",
    "krb5Principal",
  ]],
  GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: ["gssapiServicePrincipalNameType", [
    "hostBased",
    "userName",
    "krb5Principal",
  ]],
  HANDSHAKE_IVL: ["handshakeInterval"],
  SOCKS_PROXY: ["socksProxy", "text"],
  XPUB_NODROP: ["noDrop", "bool", [XPUB, PUB]],
  XPUB_MANUAL: ["manual", "bool", [XPUB]],
  XPUB_WELCOME_MSG: ["welcomeMessage", "text", [XPUB]],
  STREAM_NOTIFY: ["notify", "bool", [STREAM]],
  INVERT_MATCHING: ["invertMatching", "bool", [PUB, SUB, XPUB]],
  HEARTBEAT_IVL: ["heartbeatInterval"],
  HEARTBEAT_TTL: ["heartbeatTimeToLive"],
  HEARTBEAT_TIMEOUT: ["heartbeatTimeout"],
  CONNECT_TIMEOUT: ["connectTimeout"],
  TCP_MAXRT: ["tcpMaxRetransmitTimeout"],
  THREAD_SAFE: ["threadSafe", "bool"],
  MULTICAST_MAXTPDU: ["multicastMaxTransportDataUnit"],
  VMCI_BUFFER_SIZE: ["vmciBufferSize"],
  VMCI_BUFFER_MIN_SIZE: ["vmciBufferMinSize"],
  VMCI_BUFFER_MAX_SIZE: ["vmciBufferMaxSize"],
  VMCI_CONNECT_TIMEOUT: ["vmciConnectTimeout"],
  BINDTODEVICE: ["interface", "text"],
};

/** One zeromq.js option property. */
export interface CompatOption {
  /** zeromq.js's property name. */
  readonly name: string;
  /** Our table's entry (id, value type, access). */
  readonly spec: OptionSpec;
  /** How the value is shown. */
  readonly shape: Shape;
  /** Whether it exists on a socket of this type. */
  on(type: number): boolean;
}

const byName = new Map<string, OptionSpec>(
  [...SOCKET_OPTIONS.values()].map((spec) => [spec.name, spec]),
);

function availability(where: Where): (type: number) => boolean {
  if (where === "all") return () => true;
  const list = where === "readable"
    ? READABLE_TYPES
    : where === "writable"
    ? WRITABLE_TYPES
    : where;
  return (type) => list.includes(type);
}

/** Every option property zeromq.js has that our table and this libzmq know. */
export const COMPAT_OPTIONS: readonly CompatOption[] = Object.entries(NAMES)
  .flatMap(([ours, [name, shape, where]]) => {
    const spec = byName.get(ours);
    if (!spec) throw new Error(`Option ${ours} is missing from SOCKET_OPTIONS`);
    if (ours.startsWith("GSSAPI") && !has("gssapi")) return [];
    const numeric = spec.type === "int" || spec.type === "int64" ||
      spec.type === "fd";
    return [{
      name,
      spec,
      shape: shape ?? (numeric ? "number" : "text"),
      on: availability(where ?? "all"),
    }];
  });

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function show(value: unknown): string {
  return typeof value === "string"
    ? JSON.stringify(value)
    : typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : describe(value);
}

/** Reads an option as zeromq.js shows it. */
export function readOption(raw: RawSocket, option: CompatOption): unknown {
  const value = raw.getsockopt(option.spec.id);
  const shape = option.shape;
  if (shape === "bool") return value !== 0;
  if (shape === "number") {
    return typeof value === "bigint" ? Number(value) : value;
  }
  if (shape === "text") {
    const text = value instanceof Uint8Array ? fromUtf8(value) : String(value);
    return text === "" ? null : text;
  }
  return shape[value as number] ?? null;
}

/**
 * Checks a value against the zeromq.js shape (before anything is set) and
 * converts it for `setsockopt`.
 */
export function optionValue(
  option: CompatOption,
  value: unknown,
): number | string | Uint8Array {
  const shape = option.shape;
  const what = `Cannot set option "${option.name}" to ${show(value)}`;
  if (shape === "bool") {
    if (typeof value !== "boolean") {
      throw new TypeError(`${what}: expected a boolean`);
    }
    return value ? 1 : 0;
  }
  if (shape === "number") {
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new TypeError(`${what}: expected a number`);
    }
    return value;
  }
  if (shape === "text") {
    if (value === null) return EMPTY;
    if (typeof value === "string") {
      return option.spec.type === "key" ? value : encoder.encode(value);
    }
    if (value instanceof Uint8Array) return value;
    throw new TypeError(`${what}: expected a string, a Uint8Array or null`);
  }
  const index = shape.indexOf(value as string | null);
  if (index < 0) {
    throw new TypeError(
      `${what}: expected one of ${shape.map((v) => show(v)).join(", ")}`,
    );
  }
  return index;
}
