/**
 * The id of every socket option of libzmq 4.3, under its zmq.h name without
 * the `ZMQ_` prefix: the one place an option id is written. Its value type
 * and access are in the option table (`options.ts`), keyed by these names.
 *
 * @module
 */

/** Socket option `ZMQ_AFFINITY`: I/O thread affinity bitmask of new connections. */
export const AFFINITY = 4;
/** Socket option `ZMQ_ROUTING_ID`: the socket's routing id (formerly IDENTITY). */
export const ROUTING_ID = 5;
/** Socket option `ZMQ_SUBSCRIBE`: add a SUB topic filter. */
export const SUBSCRIBE = 6;
/** Socket option `ZMQ_UNSUBSCRIBE`: remove a SUB topic filter. */
export const UNSUBSCRIBE = 7;
/** Socket option `ZMQ_RATE`: multicast data rate in kbit/s. */
export const RATE = 8;
/** Socket option `ZMQ_RECOVERY_IVL`: multicast recovery interval in ms. */
export const RECOVERY_IVL = 9;
/** Socket option `ZMQ_SNDBUF`: kernel send buffer size. */
export const SNDBUF = 11;
/** Socket option `ZMQ_RCVBUF`: kernel receive buffer size. */
export const RCVBUF = 12;
/** Socket option `ZMQ_RCVMORE`: more parts of the message follow. */
export const RCVMORE = 13;
/** Socket option `ZMQ_FD`: file descriptor signalling socket state changes. */
export const FD = 14;
/** Socket option `ZMQ_EVENTS`: ready events (POLLIN, POLLOUT). */
export const EVENTS = 15;
/** Socket option `ZMQ_TYPE`: socket type. */
export const TYPE = 16;
/** Socket option `ZMQ_LINGER`: ms pending messages are kept after close (-1 forever). */
export const LINGER = 17;
/** Socket option `ZMQ_RECONNECT_IVL`: reconnection interval in ms. */
export const RECONNECT_IVL = 18;
/** Socket option `ZMQ_BACKLOG`: listen backlog. */
export const BACKLOG = 19;
/** Socket option `ZMQ_RECONNECT_IVL_MAX`: maximum reconnection interval in ms. */
export const RECONNECT_IVL_MAX = 21;
/** Socket option `ZMQ_MAXMSGSIZE`: largest inbound message in bytes (-1 no limit). */
export const MAXMSGSIZE = 22;
/** Socket option `ZMQ_SNDHWM`: high water mark of outbound messages. */
export const SNDHWM = 23;
/** Socket option `ZMQ_RCVHWM`: high water mark of inbound messages. */
export const RCVHWM = 24;
/** Socket option `ZMQ_MULTICAST_HOPS`: multicast hop limit. */
export const MULTICAST_HOPS = 25;
/** Socket option `ZMQ_RCVTIMEO`: receive timeout in ms (-1 forever). */
export const RCVTIMEO = 27;
/** Socket option `ZMQ_SNDTIMEO`: send timeout in ms (-1 forever). */
export const SNDTIMEO = 28;
/** Socket option `ZMQ_IPV4ONLY`: deprecated: use IPV6. */
export const IPV4ONLY = 31;
/** Socket option `ZMQ_LAST_ENDPOINT`: last endpoint bound or connected. */
export const LAST_ENDPOINT = 32;
/** Socket option `ZMQ_ROUTER_MANDATORY`: ROUTER reports unroutable messages (EHOSTUNREACH). */
export const ROUTER_MANDATORY = 33;
/** Socket option `ZMQ_TCP_KEEPALIVE`: SO_KEEPALIVE (-1 OS default). */
export const TCP_KEEPALIVE = 34;
/** Socket option `ZMQ_TCP_KEEPALIVE_CNT`: TCP_KEEPCNT. */
export const TCP_KEEPALIVE_CNT = 35;
/** Socket option `ZMQ_TCP_KEEPALIVE_IDLE`: TCP_KEEPIDLE. */
export const TCP_KEEPALIVE_IDLE = 36;
/** Socket option `ZMQ_TCP_KEEPALIVE_INTVL`: TCP_KEEPINTVL. */
export const TCP_KEEPALIVE_INTVL = 37;
/** Socket option `ZMQ_TCP_ACCEPT_FILTER`: deprecated TCP accept filter. */
export const TCP_ACCEPT_FILTER = 38;
/** Socket option `ZMQ_IMMEDIATE`: queue only on completed connections. */
export const IMMEDIATE = 39;
/** Socket option `ZMQ_XPUB_VERBOSE`: XPUB passes on every subscription. */
export const XPUB_VERBOSE = 40;
/** Socket option `ZMQ_ROUTER_RAW`: deprecated raw ROUTER mode. */
export const ROUTER_RAW = 41;
/** Socket option `ZMQ_IPV6`: enable IPv6. */
export const IPV6 = 42;
/** Socket option `ZMQ_MECHANISM`: security mechanism (NULL, PLAIN, CURVE). */
export const MECHANISM = 43;
/** Socket option `ZMQ_PLAIN_SERVER`: act as PLAIN server. */
export const PLAIN_SERVER = 44;
/** Socket option `ZMQ_PLAIN_USERNAME`: PLAIN user name. */
export const PLAIN_USERNAME = 45;
/** Socket option `ZMQ_PLAIN_PASSWORD`: PLAIN password. */
export const PLAIN_PASSWORD = 46;
/** Socket option `ZMQ_CURVE_SERVER`: act as CURVE server. */
export const CURVE_SERVER = 47;
/** Socket option `ZMQ_CURVE_PUBLICKEY`: CURVE public key (Z85 text or 32 bytes). */
export const CURVE_PUBLICKEY = 48;
/** Socket option `ZMQ_CURVE_SECRETKEY`: CURVE secret key (Z85 text or 32 bytes). */
export const CURVE_SECRETKEY = 49;
/** Socket option `ZMQ_CURVE_SERVERKEY`: CURVE server's public key (Z85 text or 32 bytes). */
export const CURVE_SERVERKEY = 50;
/** Socket option `ZMQ_PROBE_ROUTER`: send an empty message on connect. */
export const PROBE_ROUTER = 51;
/** Socket option `ZMQ_REQ_CORRELATE`: REQ matches replies to requests. */
export const REQ_CORRELATE = 52;
/** Socket option `ZMQ_REQ_RELAXED`: REQ may send again before a reply. */
export const REQ_RELAXED = 53;
/** Socket option `ZMQ_CONFLATE`: keep only the last message. */
export const CONFLATE = 54;
/** Socket option `ZMQ_ZAP_DOMAIN`: RFC 27 authentication domain. */
export const ZAP_DOMAIN = 55;
/** Socket option `ZMQ_ROUTER_HANDOVER`: ROUTER hands a routing id over to a new peer. */
export const ROUTER_HANDOVER = 56;
/** Socket option `ZMQ_TOS`: IP type of service. */
export const TOS = 57;
/** Socket option `ZMQ_IPC_FILTER_PID`: deprecated ipc peer filter. */
export const IPC_FILTER_PID = 58;
/** Socket option `ZMQ_IPC_FILTER_UID`: deprecated ipc peer filter. */
export const IPC_FILTER_UID = 59;
/** Socket option `ZMQ_IPC_FILTER_GID`: deprecated ipc peer filter. */
export const IPC_FILTER_GID = 60;
/** Socket option `ZMQ_CONNECT_ROUTING_ID`: routing id for the next connect. */
export const CONNECT_ROUTING_ID = 61;
/** Socket option `ZMQ_GSSAPI_SERVER`: act as GSSAPI server. */
export const GSSAPI_SERVER = 62;
/** Socket option `ZMQ_GSSAPI_PRINCIPAL`: GSSAPI principal. */
export const GSSAPI_PRINCIPAL = 63;
/** Socket option `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: GSSAPI service principal. */
export const GSSAPI_SERVICE_PRINCIPAL = 64;
/** Socket option `ZMQ_GSSAPI_PLAINTEXT`: GSSAPI without encryption. */
export const GSSAPI_PLAINTEXT = 65;
/** Socket option `ZMQ_HANDSHAKE_IVL`: handshake timeout in ms. */
export const HANDSHAKE_IVL = 66;
/** Socket option `ZMQ_SOCKS_PROXY`: SOCKS5 proxy address. */
export const SOCKS_PROXY = 68;
/** Socket option `ZMQ_XPUB_NODROP`: XPUB fails with EAGAIN at the HWM. */
export const XPUB_NODROP = 69;
/** Socket option `ZMQ_XPUB_MANUAL`: XPUB subscriptions handled by the application. */
export const XPUB_MANUAL = 71;
/** Socket option `ZMQ_XPUB_WELCOME_MSG`: message sent to new subscribers. */
export const XPUB_WELCOME_MSG = 72;
/** Socket option `ZMQ_STREAM_NOTIFY`: STREAM reports connects and disconnects. */
export const STREAM_NOTIFY = 73;
/** Socket option `ZMQ_INVERT_MATCHING`: invert topic matching. */
export const INVERT_MATCHING = 74;
/** Socket option `ZMQ_HEARTBEAT_IVL`: ZMTP heartbeat interval in ms. */
export const HEARTBEAT_IVL = 75;
/** Socket option `ZMQ_HEARTBEAT_TTL`: ZMTP heartbeat time to live in ms. */
export const HEARTBEAT_TTL = 76;
/** Socket option `ZMQ_HEARTBEAT_TIMEOUT`: ZMTP heartbeat timeout in ms. */
export const HEARTBEAT_TIMEOUT = 77;
/** Socket option `ZMQ_XPUB_VERBOSER`: XPUB passes on every (un)subscription. */
export const XPUB_VERBOSER = 78;
/** Socket option `ZMQ_CONNECT_TIMEOUT`: TCP connect timeout in ms. */
export const CONNECT_TIMEOUT = 79;
/** Socket option `ZMQ_TCP_MAXRT`: TCP retransmit timeout in ms. */
export const TCP_MAXRT = 80;
/** Socket option `ZMQ_THREAD_SAFE`: the socket is thread-safe. */
export const THREAD_SAFE = 81;
/** Socket option `ZMQ_MULTICAST_MAXTPDU`: largest multicast datagram. */
export const MULTICAST_MAXTPDU = 84;
/** Socket option `ZMQ_VMCI_BUFFER_SIZE`: VMCI buffer size. */
export const VMCI_BUFFER_SIZE = 85;
/** Socket option `ZMQ_VMCI_BUFFER_MIN_SIZE`: VMCI minimum buffer size. */
export const VMCI_BUFFER_MIN_SIZE = 86;
/** Socket option `ZMQ_VMCI_BUFFER_MAX_SIZE`: VMCI maximum buffer size. */
export const VMCI_BUFFER_MAX_SIZE = 87;
/** Socket option `ZMQ_VMCI_CONNECT_TIMEOUT`: VMCI connect timeout in ms. */
export const VMCI_CONNECT_TIMEOUT = 88;
/** Socket option `ZMQ_USE_FD`: use a pre-bound file descriptor. */
export const USE_FD = 89;
/** Socket option `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE`: GSSAPI principal name type. */
export const GSSAPI_PRINCIPAL_NAMETYPE = 90;
/** Socket option `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE`: GSSAPI service principal name type. */
export const GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = 91;
/** Socket option `ZMQ_BINDTODEVICE`: SO_BINDTODEVICE interface name. */
export const BINDTODEVICE = 92;
