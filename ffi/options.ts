/**
 * Socket options of libzmq 4.3 as plain data: name, id, value type and
 * access. `Socket.setsockopt`/`getsockopt` are driven by this table, so an
 * int option given a string is a `TypeError` and a write-only option read is
 * a clear `ZMQError`.
 *
 * @module
 */

import * as IDS from "./_option_ids.ts";

export * from "./_option_ids.ts";

/** How an option's value is passed to libzmq. */
export type OptionType = "int" | "int64" | "bytes" | "string" | "fd" | "key";

/** One socket option. */
export interface OptionSpec {
  /** zmq.h name without the `ZMQ_` prefix. */
  readonly name: string;
  /** Numeric id. */
  readonly id: number;
  /** Value type. */
  readonly type: OptionType;
  /** Readable with `getsockopt`. */
  readonly read: boolean;
  /** Writable with `setsockopt`. */
  readonly write: boolean;
}

/** Whether an option is readable (`r`), writable (`w`) or both. */
export type Access = "r" | "w" | "rw";

/** The zmq.h name of a socket option, without `ZMQ_` (`"LINGER"`). */
export type OptionName = keyof typeof IDS;

/** The id of a known socket option (`typeof LINGER`, ...). */
export type OptionId = (typeof IDS)[OptionName];

/**
 * Each socket option's value type and access, keyed by its name (the ids
 * are the constants): TypeScript checks that every id has exactly one entry.
 */
export const OPTION_TABLE = {
  AFFINITY: ["int64", "rw"],
  ROUTING_ID: ["bytes", "rw"],
  SUBSCRIBE: ["bytes", "w"],
  UNSUBSCRIBE: ["bytes", "w"],
  RATE: ["int", "rw"],
  RECOVERY_IVL: ["int", "rw"],
  SNDBUF: ["int", "rw"],
  RCVBUF: ["int", "rw"],
  RCVMORE: ["int", "r"],
  FD: ["fd", "r"],
  EVENTS: ["int", "r"],
  TYPE: ["int", "r"],
  LINGER: ["int", "rw"],
  RECONNECT_IVL: ["int", "rw"],
  BACKLOG: ["int", "rw"],
  RECONNECT_IVL_MAX: ["int", "rw"],
  MAXMSGSIZE: ["int64", "rw"],
  SNDHWM: ["int", "rw"],
  RCVHWM: ["int", "rw"],
  MULTICAST_HOPS: ["int", "rw"],
  RCVTIMEO: ["int", "rw"],
  SNDTIMEO: ["int", "rw"],
  IPV4ONLY: ["int", "rw"],
  LAST_ENDPOINT: ["string", "r"],
  ROUTER_MANDATORY: ["int", "w"],
  TCP_KEEPALIVE: ["int", "rw"],
  TCP_KEEPALIVE_CNT: ["int", "rw"],
  TCP_KEEPALIVE_IDLE: ["int", "rw"],
  TCP_KEEPALIVE_INTVL: ["int", "rw"],
  TCP_ACCEPT_FILTER: ["string", "w"],
  IMMEDIATE: ["int", "rw"],
  XPUB_VERBOSE: ["int", "w"],
  ROUTER_RAW: ["int", "w"],
  IPV6: ["int", "rw"],
  MECHANISM: ["int", "r"],
  PLAIN_SERVER: ["int", "rw"],
  PLAIN_USERNAME: ["string", "rw"],
  PLAIN_PASSWORD: ["string", "rw"],
  CURVE_SERVER: ["int", "rw"],
  CURVE_PUBLICKEY: ["key", "rw"],
  CURVE_SECRETKEY: ["key", "rw"],
  CURVE_SERVERKEY: ["key", "rw"],
  PROBE_ROUTER: ["int", "w"],
  REQ_CORRELATE: ["int", "w"],
  REQ_RELAXED: ["int", "w"],
  CONFLATE: ["int", "rw"],
  ZAP_DOMAIN: ["string", "rw"],
  ROUTER_HANDOVER: ["int", "w"],
  TOS: ["int", "rw"],
  IPC_FILTER_PID: ["int", "w"],
  IPC_FILTER_UID: ["int", "w"],
  IPC_FILTER_GID: ["int", "w"],
  CONNECT_ROUTING_ID: ["bytes", "w"],
  GSSAPI_SERVER: ["int", "rw"],
  GSSAPI_PRINCIPAL: ["string", "rw"],
  GSSAPI_SERVICE_PRINCIPAL: ["string", "rw"],
  GSSAPI_PLAINTEXT: ["int", "rw"],
  HANDSHAKE_IVL: ["int", "rw"],
  SOCKS_PROXY: ["string", "rw"],
  XPUB_NODROP: ["int", "w"],
  XPUB_MANUAL: ["int", "w"],
  XPUB_WELCOME_MSG: ["bytes", "w"],
  STREAM_NOTIFY: ["int", "w"],
  INVERT_MATCHING: ["int", "rw"],
  HEARTBEAT_IVL: ["int", "rw"],
  HEARTBEAT_TTL: ["int", "rw"],
  HEARTBEAT_TIMEOUT: ["int", "rw"],
  XPUB_VERBOSER: ["int", "w"],
  CONNECT_TIMEOUT: ["int", "rw"],
  TCP_MAXRT: ["int", "rw"],
  THREAD_SAFE: ["int", "r"],
  MULTICAST_MAXTPDU: ["int", "rw"],
  VMCI_BUFFER_SIZE: ["int64", "rw"],
  VMCI_BUFFER_MIN_SIZE: ["int64", "rw"],
  VMCI_BUFFER_MAX_SIZE: ["int64", "rw"],
  VMCI_CONNECT_TIMEOUT: ["int", "rw"],
  USE_FD: ["int", "rw"],
  GSSAPI_PRINCIPAL_NAMETYPE: ["int", "rw"],
  GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: ["int", "rw"],
  BINDTODEVICE: ["string", "rw"],
} as const satisfies Record<OptionName, readonly [OptionType, Access]>;

/** The option table's type: each option name's `[type, access]`. */
export type OptionTable = typeof OPTION_TABLE;

/** Every known socket option, by id. */
export const SOCKET_OPTIONS: ReadonlyMap<number, OptionSpec> = new Map(
  (Object.keys(OPTION_TABLE) as OptionName[]).map((name) => {
    const [type, access] = OPTION_TABLE[name];
    const id: number = IDS[name];
    return [id, {
      name,
      id,
      type,
      read: access !== "w",
      write: access !== "r",
    }];
  }),
);

/** The JavaScript value of an option type, as `getsockopt` returns it. */
export type OptionTypeValue<T extends OptionType> = T extends "int" | "fd"
  ? number
  : T extends "int64" ? number | bigint
  : T extends "bytes" ? Uint8Array
  : string;

/** The name of an option id (`NameOf<typeof LINGER>` is `"LINGER"`). */
export type NameOf<I extends number> = {
  [N in OptionName]: (typeof IDS)[N] extends I ? N : never;
}[OptionName];

/** What `getsockopt` returns for an option id that is not known statically. */
export type AnyOptionValue = number | bigint | string | Uint8Array;

/**
 * The value type of an option id: `OptionValue<typeof LINGER>` is `number`,
 * `OptionValue<typeof LAST_ENDPOINT>` is `string`; a plain `number` gives
 * the union of all.
 */
export type OptionValue<I extends number> = number extends I ? AnyOptionValue
  : I extends OptionId ? OptionTypeValue<OptionTable[NameOf<I>][0]>
  : AnyOptionValue;

/** `"KEEPALIVE_CNT"` -> `"KeepaliveCnt"` (for option property names). */
export type Pascal<S extends string> = S extends `${infer H}_${infer T}`
  ? `${Capitalize<Lowercase<H>>}${Pascal<T>}`
  : Capitalize<Lowercase<S>>;

/** An option's property name: `LAST_ENDPOINT` -> `lastEndpoint` (PyZMQ's attribute, in lowerCamelCase). */
export type OptionProperty<N extends string> = N extends `${infer H}_${infer T}`
  ? `${Lowercase<H>}${Pascal<T>}`
  : Lowercase<N>;

/**
 * The property name of an option (`"LAST_ENDPOINT"` -> `"lastEndpoint"`).
 *
 * @param name the option's zmq.h name without `ZMQ_`
 * @returns its property name
 *
 * @example
 * ```ts
 * import { optionProperty } from "@zmqloop/zmq";
 * console.log(optionProperty("ROUTING_ID")); // "routingId"
 * ```
 */
export function optionProperty(name: string): string {
  const [first = "", ...rest] = name.toLowerCase().split("_");
  return first +
    rest.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
}

/** Options a `Socket` already has a member for (`type`, `events`, `fd`, `rcvmore`, `subscribe()`, `unsubscribe()`). */
export type OptionsWithMembers =
  | "TYPE"
  | "EVENTS"
  | "FD"
  | "RCVMORE"
  | "SUBSCRIBE"
  | "UNSUBSCRIBE";

/** The options that are properties of `Socket`. */
export type PropertyOptions = Exclude<OptionName, OptionsWithMembers>;

/**
 * Every other option as a typed property of `Socket` (`socket.linger = 0`,
 * `socket.lastEndpoint`): reading one calls `getsockopt`, setting one
 * `setsockopt` (so a write-only option throws on read, a read-only one is
 * `readonly`).
 */
export type OptionProperties =
  & {
    -readonly [
      N in PropertyOptions as OptionTable[N][1] extends "r" ? never
        : OptionProperty<N>
    ]: OptionTypeValue<OptionTable[N][0]>;
  }
  & {
    readonly [
      N in PropertyOptions as OptionTable[N][1] extends "r" ? OptionProperty<N>
        : never
    ]: OptionTypeValue<OptionTable[N][0]>;
  };

/** Old name of {@linkcode ROUTING_ID}. */
export const IDENTITY: number = IDS.ROUTING_ID;
/** Old name of {@linkcode CONNECT_ROUTING_ID}. */
export const CONNECT_RID: number = IDS.CONNECT_ROUTING_ID;
/** Old name of {@linkcode IMMEDIATE}. */
export const DELAY_ATTACH_ON_CONNECT: number = IDS.IMMEDIATE;
/** Old name of {@linkcode ROUTER_MANDATORY}. */
export const FAIL_UNROUTABLE: number = IDS.ROUTER_MANDATORY;
