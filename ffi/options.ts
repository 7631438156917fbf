/**
 * Socket options of libzmq 4.3 as plain data: name, id, value type and
 * access. `Socket.setsockopt`/`getsockopt` are driven by this table, so an
 * int option given a string is a `TypeError` and a write-only option read is
 * a clear `ZMQError`.
 *
 * @module
 */

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

const TABLE: [string, number, OptionType, "r" | "w" | "rw"][] = [
  ["AFFINITY", 4, "int64", "rw"],
  ["ROUTING_ID", 5, "bytes", "rw"],
  ["SUBSCRIBE", 6, "bytes", "w"],
  ["UNSUBSCRIBE", 7, "bytes", "w"],
  ["RATE", 8, "int", "rw"],
  ["RECOVERY_IVL", 9, "int", "rw"],
  ["SNDBUF", 11, "int", "rw"],
  ["RCVBUF", 12, "int", "rw"],
  ["RCVMORE", 13, "int", "r"],
  ["FD", 14, "fd", "r"],
  ["EVENTS", 15, "int", "r"],
  ["TYPE", 16, "int", "r"],
  ["LINGER", 17, "int", "rw"],
  ["RECONNECT_IVL", 18, "int", "rw"],
  ["BACKLOG", 19, "int", "rw"],
  ["RECONNECT_IVL_MAX", 21, "int", "rw"],
  ["MAXMSGSIZE", 22, "int64", "rw"],
  ["SNDHWM", 23, "int", "rw"],
  ["RCVHWM", 24, "int", "rw"],
  ["MULTICAST_HOPS", 25, "int", "rw"],
  ["RCVTIMEO", 27, "int", "rw"],
  ["SNDTIMEO", 28, "int", "rw"],
  ["IPV4ONLY", 31, "int", "rw"],
  ["LAST_ENDPOINT", 32, "string", "r"],
  ["ROUTER_MANDATORY", 33, "int", "w"],
  ["TCP_KEEPALIVE", 34, "int", "rw"],
  ["TCP_KEEPALIVE_CNT", 35, "int", "rw"],
  ["TCP_KEEPALIVE_IDLE", 36, "int", "rw"],
  ["TCP_KEEPALIVE_INTVL", 37, "int", "rw"],
  ["TCP_ACCEPT_FILTER", 38, "string", "w"],
  ["IMMEDIATE", 39, "int", "rw"],
  ["XPUB_VERBOSE", 40, "int", "w"],
  ["ROUTER_RAW", 41, "int", "w"],
  ["IPV6", 42, "int", "rw"],
  ["MECHANISM", 43, "int", "r"],
  ["PLAIN_SERVER", 44, "int", "rw"],
  ["PLAIN_USERNAME", 45, "string", "rw"],
  ["PLAIN_PASSWORD", 46, "string", "rw"],
  ["CURVE_SERVER", 47, "int", "rw"],
  ["CURVE_PUBLICKEY", 48, "key", "rw"],
  ["CURVE_SECRETKEY", 49, "key", "rw"],
  ["CURVE_SERVERKEY", 50, "key", "rw"],
  ["PROBE_ROUTER", 51, "int", "w"],
  ["REQ_CORRELATE", 52, "int", "w"],
  ["REQ_RELAXED", 53, "int", "w"],
  ["CONFLATE", 54, "int", "rw"],
  ["ZAP_DOMAIN", 55, "string", "rw"],
  ["ROUTER_HANDOVER", 56, "int", "w"],
  ["TOS", 57, "int", "rw"],
  ["IPC_FILTER_PID", 58, "int", "w"],
  ["IPC_FILTER_UID", 59, "int", "w"],
  ["IPC_FILTER_GID", 60, "int", "w"],
  ["CONNECT_ROUTING_ID", 61, "bytes", "w"],
  ["GSSAPI_SERVER", 62, "int", "rw"],
  ["GSSAPI_PRINCIPAL", 63, "string", "rw"],
  ["GSSAPI_SERVICE_PRINCIPAL", 64, "string", "rw"],
  ["GSSAPI_PLAINTEXT", 65, "int", "rw"],
  ["HANDSHAKE_IVL", 66, "int", "rw"],
  ["SOCKS_PROXY", 68, "string", "rw"],
  ["XPUB_NODROP", 69, "int", "w"],
  ["XPUB_MANUAL", 71, "int", "w"],
  ["XPUB_WELCOME_MSG", 72, "bytes", "w"],
  ["STREAM_NOTIFY", 73, "int", "w"],
  ["INVERT_MATCHING", 74, "int", "rw"],
  ["HEARTBEAT_IVL", 75, "int", "rw"],
  ["HEARTBEAT_TTL", 76, "int", "rw"],
  ["HEARTBEAT_TIMEOUT", 77, "int", "rw"],
  ["XPUB_VERBOSER", 78, "int", "w"],
  ["CONNECT_TIMEOUT", 79, "int", "rw"],
  ["TCP_MAXRT", 80, "int", "rw"],
  ["THREAD_SAFE", 81, "int", "r"],
  ["MULTICAST_MAXTPDU", 84, "int", "rw"],
  ["VMCI_BUFFER_SIZE", 85, "int64", "rw"],
  ["VMCI_BUFFER_MIN_SIZE", 86, "int64", "rw"],
  ["VMCI_BUFFER_MAX_SIZE", 87, "int64", "rw"],
  ["VMCI_CONNECT_TIMEOUT", 88, "int", "rw"],
  ["USE_FD", 89, "int", "rw"],
  ["GSSAPI_PRINCIPAL_NAMETYPE", 90, "int", "rw"],
  ["GSSAPI_SERVICE_PRINCIPAL_NAMETYPE", 91, "int", "rw"],
  ["BINDTODEVICE", 92, "string", "rw"],
];

/** Every known socket option, by id. */
export const SOCKET_OPTIONS: ReadonlyMap<number, OptionSpec> = new Map(
  TABLE.map(([name, id, type, access]) => [id, {
    name,
    id,
    type,
    read: access !== "w",
    write: access !== "r",
  }]),
);

/** Socket option `ZMQ_AFFINITY` (int64, read/write): I/O thread affinity bitmask of new connections. */
export const AFFINITY = 4;
/** Socket option `ZMQ_ROUTING_ID` (bytes, read/write): the socket's routing id (formerly IDENTITY). */
export const ROUTING_ID = 5;
/** Socket option `ZMQ_SUBSCRIBE` (bytes, write-only): add a SUB topic filter. */
export const SUBSCRIBE = 6;
/** Socket option `ZMQ_UNSUBSCRIBE` (bytes, write-only): remove a SUB topic filter. */
export const UNSUBSCRIBE = 7;
/** Socket option `ZMQ_RATE` (int, read/write): multicast data rate in kbit/s. */
export const RATE = 8;
/** Socket option `ZMQ_RECOVERY_IVL` (int, read/write): multicast recovery interval in ms. */
export const RECOVERY_IVL = 9;
/** Socket option `ZMQ_SNDBUF` (int, read/write): kernel send buffer size. */
export const SNDBUF = 11;
/** Socket option `ZMQ_RCVBUF` (int, read/write): kernel receive buffer size. */
export const RCVBUF = 12;
/** Socket option `ZMQ_RCVMORE` (int, read-only): more parts of the message follow. */
export const RCVMORE = 13;
/** Socket option `ZMQ_FD` (fd, read-only): file descriptor signalling socket state changes. */
export const FD = 14;
/** Socket option `ZMQ_EVENTS` (int, read-only): ready events (POLLIN, POLLOUT). */
export const EVENTS = 15;
/** Socket option `ZMQ_TYPE` (int, read-only): socket type. */
export const TYPE = 16;
/** Socket option `ZMQ_LINGER` (int, read/write): ms pending messages are kept after close (-1 forever). */
export const LINGER = 17;
/** Socket option `ZMQ_RECONNECT_IVL` (int, read/write): reconnection interval in ms. */
export const RECONNECT_IVL = 18;
/** Socket option `ZMQ_BACKLOG` (int, read/write): listen backlog. */
export const BACKLOG = 19;
/** Socket option `ZMQ_RECONNECT_IVL_MAX` (int, read/write): maximum reconnection interval in ms. */
export const RECONNECT_IVL_MAX = 21;
/** Socket option `ZMQ_MAXMSGSIZE` (int64, read/write): largest inbound message in bytes (-1 no limit). */
export const MAXMSGSIZE = 22;
/** Socket option `ZMQ_SNDHWM` (int, read/write): high water mark of outbound messages. */
export const SNDHWM = 23;
/** Socket option `ZMQ_RCVHWM` (int, read/write): high water mark of inbound messages. */
export const RCVHWM = 24;
/** Socket option `ZMQ_MULTICAST_HOPS` (int, read/write): multicast hop limit. */
export const MULTICAST_HOPS = 25;
/** Socket option `ZMQ_RCVTIMEO` (int, read/write): receive timeout in ms (-1 forever). */
export const RCVTIMEO = 27;
/** Socket option `ZMQ_SNDTIMEO` (int, read/write): send timeout in ms (-1 forever). */
export const SNDTIMEO = 28;
/** Socket option `ZMQ_IPV4ONLY` (int, read/write): deprecated: use IPV6. */
export const IPV4ONLY = 31;
/** Socket option `ZMQ_LAST_ENDPOINT` (string, read-only): last endpoint bound or connected. */
export const LAST_ENDPOINT = 32;
/** Socket option `ZMQ_ROUTER_MANDATORY` (int, write-only): ROUTER reports unroutable messages (EHOSTUNREACH). */
export const ROUTER_MANDATORY = 33;
/** Socket option `ZMQ_TCP_KEEPALIVE` (int, read/write): SO_KEEPALIVE (-1 OS default). */
export const TCP_KEEPALIVE = 34;
/** Socket option `ZMQ_TCP_KEEPALIVE_CNT` (int, read/write): TCP_KEEPCNT. */
export const TCP_KEEPALIVE_CNT = 35;
/** Socket option `ZMQ_TCP_KEEPALIVE_IDLE` (int, read/write): TCP_KEEPIDLE. */
export const TCP_KEEPALIVE_IDLE = 36;
/** Socket option `ZMQ_TCP_KEEPALIVE_INTVL` (int, read/write): TCP_KEEPINTVL. */
export const TCP_KEEPALIVE_INTVL = 37;
/** Socket option `ZMQ_TCP_ACCEPT_FILTER` (string, write-only): deprecated TCP accept filter. */
export const TCP_ACCEPT_FILTER = 38;
/** Socket option `ZMQ_IMMEDIATE` (int, read/write): queue only on completed connections. */
export const IMMEDIATE = 39;
/** Socket option `ZMQ_XPUB_VERBOSE` (int, write-only): XPUB passes on every subscription. */
export const XPUB_VERBOSE = 40;
/** Socket option `ZMQ_ROUTER_RAW` (int, write-only): deprecated raw ROUTER mode. */
export const ROUTER_RAW = 41;
/** Socket option `ZMQ_IPV6` (int, read/write): enable IPv6. */
export const IPV6 = 42;
/** Socket option `ZMQ_MECHANISM` (int, read-only): security mechanism (NULL, PLAIN, CURVE). */
export const MECHANISM = 43;
/** Socket option `ZMQ_PLAIN_SERVER` (int, read/write): act as PLAIN server. */
export const PLAIN_SERVER = 44;
/** Socket option `ZMQ_PLAIN_USERNAME` (string, read/write): PLAIN user name. */
export const PLAIN_USERNAME = 45;
/** Socket option `ZMQ_PLAIN_PASSWORD` (string, read/write): PLAIN password. */
export const PLAIN_PASSWORD = 46;
/** Socket option `ZMQ_CURVE_SERVER` (int, read/write): act as CURVE server. */
export const CURVE_SERVER = 47;
/** Socket option `ZMQ_CURVE_PUBLICKEY` (key, read/write): CURVE public key (Z85 text or 32 bytes). */
export const CURVE_PUBLICKEY = 48;
/** Socket option `ZMQ_CURVE_SECRETKEY` (key, read/write): CURVE secret key (Z85 text or 32 bytes). */
export const CURVE_SECRETKEY = 49;
/** Socket option `ZMQ_CURVE_SERVERKEY` (key, read/write): CURVE server's public key (Z85 text or 32 bytes). */
export const CURVE_SERVERKEY = 50;
/** Socket option `ZMQ_PROBE_ROUTER` (int, write-only): send an empty message on connect. */
export const PROBE_ROUTER = 51;
/** Socket option `ZMQ_REQ_CORRELATE` (int, write-only): REQ matches replies to requests. */
export const REQ_CORRELATE = 52;
/** Socket option `ZMQ_REQ_RELAXED` (int, write-only): REQ may send again before a reply. */
export const REQ_RELAXED = 53;
/** Socket option `ZMQ_CONFLATE` (int): keep only the last message. */
export const CONFLATE = 54;
/** Socket option `ZMQ_ZAP_DOMAIN` (string, read/write): RFC 27 authentication domain. */
export const ZAP_DOMAIN = 55;
/** Socket option `ZMQ_ROUTER_HANDOVER` (int, write-only): ROUTER hands a routing id over to a new peer. */
export const ROUTER_HANDOVER = 56;
/** Socket option `ZMQ_TOS` (int, read/write): IP type of service. */
export const TOS = 57;
/** Socket option `ZMQ_IPC_FILTER_PID` (int, write-only): deprecated ipc peer filter. */
export const IPC_FILTER_PID = 58;
/** Socket option `ZMQ_IPC_FILTER_UID` (int, write-only): deprecated ipc peer filter. */
export const IPC_FILTER_UID = 59;
/** Socket option `ZMQ_IPC_FILTER_GID` (int, write-only): deprecated ipc peer filter. */
export const IPC_FILTER_GID = 60;
/** Socket option `ZMQ_CONNECT_ROUTING_ID` (bytes, write-only): routing id for the next connect. */
export const CONNECT_ROUTING_ID = 61;
/** Socket option `ZMQ_GSSAPI_SERVER` (int, read/write): act as GSSAPI server. */
export const GSSAPI_SERVER = 62;
/** Socket option `ZMQ_GSSAPI_PRINCIPAL` (string, read/write): GSSAPI principal. */
export const GSSAPI_PRINCIPAL = 63;
/** Socket option `ZMQ_GSSAPI_SERVICE_PRINCIPAL` (string, read/write): GSSAPI service principal. */
export const GSSAPI_SERVICE_PRINCIPAL = 64;
/** Socket option `ZMQ_GSSAPI_PLAINTEXT` (int, read/write): GSSAPI without encryption. */
export const GSSAPI_PLAINTEXT = 65;
/** Socket option `ZMQ_HANDSHAKE_IVL` (int, read/write): handshake timeout in ms. */
export const HANDSHAKE_IVL = 66;
/** Socket option `ZMQ_SOCKS_PROXY` (string, read/write): SOCKS5 proxy address. */
export const SOCKS_PROXY = 68;
/** Socket option `ZMQ_XPUB_NODROP` (int, write-only): XPUB fails with EAGAIN at the HWM. */
export const XPUB_NODROP = 69;
/** Socket option `ZMQ_XPUB_MANUAL` (int, write-only): XPUB subscriptions handled by the application. */
export const XPUB_MANUAL = 71;
/** Socket option `ZMQ_XPUB_WELCOME_MSG` (bytes, write-only): message sent to new subscribers. */
export const XPUB_WELCOME_MSG = 72;
/** Socket option `ZMQ_STREAM_NOTIFY` (int, write-only): STREAM reports connects and disconnects. */
export const STREAM_NOTIFY = 73;
/** Socket option `ZMQ_INVERT_MATCHING` (int, read/write): invert topic matching. */
export const INVERT_MATCHING = 74;
/** Socket option `ZMQ_HEARTBEAT_IVL` (int): ZMTP heartbeat interval in ms. */
export const HEARTBEAT_IVL = 75;
/** Socket option `ZMQ_HEARTBEAT_TTL` (int): ZMTP heartbeat time to live in ms. */
export const HEARTBEAT_TTL = 76;
/** Socket option `ZMQ_HEARTBEAT_TIMEOUT` (int): ZMTP heartbeat timeout in ms. */
export const HEARTBEAT_TIMEOUT = 77;
/** Socket option `ZMQ_XPUB_VERBOSER` (int, write-only): XPUB passes on every (un)subscription. */
export const XPUB_VERBOSER = 78;
/** Socket option `ZMQ_CONNECT_TIMEOUT` (int, read/write): TCP connect timeout in ms. */
export const CONNECT_TIMEOUT = 79;
/** Socket option `ZMQ_TCP_MAXRT` (int, read/write): TCP retransmit timeout in ms. */
export const TCP_MAXRT = 80;
/** Socket option `ZMQ_THREAD_SAFE` (int, read-only): the socket is thread-safe. */
export const THREAD_SAFE = 81;
/** Socket option `ZMQ_MULTICAST_MAXTPDU` (int, read/write): largest multicast datagram. */
export const MULTICAST_MAXTPDU = 84;
/** Socket option `ZMQ_VMCI_BUFFER_SIZE` (int64, read/write): VMCI buffer size. */
export const VMCI_BUFFER_SIZE = 85;
/** Socket option `ZMQ_VMCI_BUFFER_MIN_SIZE` (int64, read/write): VMCI minimum buffer size. */
export const VMCI_BUFFER_MIN_SIZE = 86;
/** Socket option `ZMQ_VMCI_BUFFER_MAX_SIZE` (int64, read/write): VMCI maximum buffer size. */
export const VMCI_BUFFER_MAX_SIZE = 87;
/** Socket option `ZMQ_VMCI_CONNECT_TIMEOUT` (int, read/write): VMCI connect timeout in ms. */
export const VMCI_CONNECT_TIMEOUT = 88;
/** Socket option `ZMQ_USE_FD` (int, read/write): use a pre-bound file descriptor. */
export const USE_FD = 89;
/** Socket option `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` (int, read/write): GSSAPI principal name type. */
export const GSSAPI_PRINCIPAL_NAMETYPE = 90;
/** Socket option `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE` (int, read/write): GSSAPI service principal name type. */
export const GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = 91;
/** Socket option `ZMQ_BINDTODEVICE` (string, read/write): SO_BINDTODEVICE interface name. */
export const BINDTODEVICE = 92;
/** Old name of {@linkcode ROUTING_ID}. */
export const IDENTITY: number = ROUTING_ID;
/** Old name of {@linkcode CONNECT_ROUTING_ID}. */
export const CONNECT_RID: number = CONNECT_ROUTING_ID;
/** Old name of {@linkcode IMMEDIATE}. */
export const DELAY_ATTACH_ON_CONNECT: number = IMMEDIATE;
/** Old name of {@linkcode ROUTER_MANDATORY}. */
export const FAIL_UNROUTABLE: number = ROUTER_MANDATORY;
