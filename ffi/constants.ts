/**
 * libzmq's numeric constants (zmq.h of libzmq 4.3): socket types, flags, poll
 * and monitor events, context options, security mechanisms and errno values.
 * Socket options live in `options.ts`, with their value types.
 *
 * @module
 */

// ---- Socket types ----
/** Exclusive pair socket type (`ZMQ_PAIR`). */
export const PAIR = 0;
/** Publisher socket type (`ZMQ_PUB`). */
export const PUB = 1;
/** Subscriber socket type (`ZMQ_SUB`). */
export const SUB = 2;
/** Request socket type (`ZMQ_REQ`). */
export const REQ = 3;
/** Reply socket type (`ZMQ_REP`). */
export const REP = 4;
/** Dealer socket type (`ZMQ_DEALER`, formerly XREQ). */
export const DEALER = 5;
/** Router socket type (`ZMQ_ROUTER`, formerly XREP). */
export const ROUTER = 6;
/** Pipeline receiver socket type (`ZMQ_PULL`). */
export const PULL = 7;
/** Pipeline sender socket type (`ZMQ_PUSH`). */
export const PUSH = 8;
/** Raw publisher that sees subscriptions (`ZMQ_XPUB`). */
export const XPUB = 9;
/** Raw subscriber that sends subscriptions (`ZMQ_XSUB`). */
export const XSUB = 10;
/** Raw TCP socket type (`ZMQ_STREAM`). */
export const STREAM = 11;
/** Old name of {@linkcode DEALER}. */
export const XREQ: number = DEALER;
/** Old name of {@linkcode ROUTER}. */
export const XREP: number = ROUTER;

/** Socket type names by number, for messages and inspection. */
export const SOCKET_TYPE_NAMES: Readonly<Record<number, string>> = {
  [PAIR]: "PAIR",
  [PUB]: "PUB",
  [SUB]: "SUB",
  [REQ]: "REQ",
  [REP]: "REP",
  [DEALER]: "DEALER",
  [ROUTER]: "ROUTER",
  [PULL]: "PULL",
  [PUSH]: "PUSH",
  [XPUB]: "XPUB",
  [XSUB]: "XSUB",
  [STREAM]: "STREAM",
};

// ---- Send/recv flags and message properties ----
/** Non-blocking send or receive (`ZMQ_DONTWAIT`). */
export const DONTWAIT = 1;
/** PyZMQ's name for {@linkcode DONTWAIT}. */
export const NOBLOCK: number = DONTWAIT;
/** More parts of this message follow (`ZMQ_SNDMORE`). */
export const SNDMORE = 2;
/** Message property: more parts follow (`ZMQ_MORE`). */
export const MORE = 1;
/** Message property: the payload is shared (`ZMQ_SHARED`). */
export const SHARED = 3;

// ---- Poll events ----
/** Readable: at least one message can be received (`ZMQ_POLLIN`). */
export const POLLIN = 1;
/** Writable: at least one message can be sent (`ZMQ_POLLOUT`). */
export const POLLOUT = 2;
/** Error condition, raw file descriptors only (`ZMQ_POLLERR`). */
export const POLLERR = 4;
/** Priority data, raw file descriptors only (`ZMQ_POLLPRI`). */
export const POLLPRI = 8;

// ---- Context options ----
/** Context option: number of I/O threads (`ZMQ_IO_THREADS`). */
export const IO_THREADS = 1;
/** Context option: maximum number of sockets (`ZMQ_MAX_SOCKETS`). */
export const MAX_SOCKETS = 2;
/** Context option (read): largest `MAX_SOCKETS` allowed (`ZMQ_SOCKET_LIMIT`). */
export const SOCKET_LIMIT = 3;
/** Context option (write): I/O thread priority (`ZMQ_THREAD_PRIORITY`). */
export const THREAD_PRIORITY = 3;
/** Context option: I/O thread scheduling policy (`ZMQ_THREAD_SCHED_POLICY`). */
export const THREAD_SCHED_POLICY = 4;
/** Context option: largest message size (`ZMQ_MAX_MSGSZ`). */
export const MAX_MSGSZ = 5;
/** Context option (read): `sizeof(zmq_msg_t)` (`ZMQ_MSG_T_SIZE`). */
export const MSG_T_SIZE = 6;
/** Context option: add a CPU to the I/O threads' affinity. */
export const THREAD_AFFINITY_CPU_ADD = 7;
/** Context option: remove a CPU from the I/O threads' affinity. */
export const THREAD_AFFINITY_CPU_REMOVE = 8;
/** Context option: I/O thread name prefix. */
export const THREAD_NAME_PREFIX = 9;
/** Context option: sockets default to `LINGER` -1 when 1 (`ZMQ_BLOCKY`). */
export const BLOCKY = 70;

// ---- Security mechanisms (values of the MECHANISM option) ----
/** No security (`ZMQ_NULL`). */
export const NULL = 0;
/** Clear-text user name and password (`ZMQ_PLAIN`). */
export const PLAIN = 1;
/** CurveZMQ encryption and authentication (`ZMQ_CURVE`). */
export const CURVE = 2;
/** Kerberos (`ZMQ_GSSAPI`). */
export const GSSAPI = 3;

// ---- Socket monitor events ----
/** Monitor event: connection established. */
export const EVENT_CONNECTED = 0x0001;
/** Monitor event: synchronous connect failed, retrying asynchronously. */
export const EVENT_CONNECT_DELAYED = 0x0002;
/** Monitor event: asynchronous connect retried. */
export const EVENT_CONNECT_RETRIED = 0x0004;
/** Monitor event: socket bound and listening. */
export const EVENT_LISTENING = 0x0008;
/** Monitor event: bind failed. */
export const EVENT_BIND_FAILED = 0x0010;
/** Monitor event: connection accepted. */
export const EVENT_ACCEPTED = 0x0020;
/** Monitor event: accepting a connection failed. */
export const EVENT_ACCEPT_FAILED = 0x0040;
/** Monitor event: connection closed. */
export const EVENT_CLOSED = 0x0080;
/** Monitor event: closing a connection failed. */
export const EVENT_CLOSE_FAILED = 0x0100;
/** Monitor event: session disconnected. */
export const EVENT_DISCONNECTED = 0x0200;
/** Monitor event: the monitor was stopped. */
export const EVENT_MONITOR_STOPPED = 0x0400;
/** Monitor event: handshake failed, no detail. */
export const EVENT_HANDSHAKE_FAILED_NO_DETAIL = 0x0800;
/** Monitor event: security handshake succeeded. */
export const EVENT_HANDSHAKE_SUCCEEDED = 0x1000;
/** Monitor event: handshake failed on a protocol error. */
export const EVENT_HANDSHAKE_FAILED_PROTOCOL = 0x2000;
/** Monitor event: handshake failed on authentication. */
export const EVENT_HANDSHAKE_FAILED_AUTH = 0x4000;
/** Monitor mask: every event. */
export const EVENT_ALL = 0xffff;

/** Monitor event names by number (without the `EVENT_` prefix). */
export const EVENT_NAMES: Readonly<Record<number, string>> = {
  [EVENT_CONNECTED]: "CONNECTED",
  [EVENT_CONNECT_DELAYED]: "CONNECT_DELAYED",
  [EVENT_CONNECT_RETRIED]: "CONNECT_RETRIED",
  [EVENT_LISTENING]: "LISTENING",
  [EVENT_BIND_FAILED]: "BIND_FAILED",
  [EVENT_ACCEPTED]: "ACCEPTED",
  [EVENT_ACCEPT_FAILED]: "ACCEPT_FAILED",
  [EVENT_CLOSED]: "CLOSED",
  [EVENT_CLOSE_FAILED]: "CLOSE_FAILED",
  [EVENT_DISCONNECTED]: "DISCONNECTED",
  [EVENT_MONITOR_STOPPED]: "MONITOR_STOPPED",
  [EVENT_HANDSHAKE_FAILED_NO_DETAIL]: "HANDSHAKE_FAILED_NO_DETAIL",
  [EVENT_HANDSHAKE_SUCCEEDED]: "HANDSHAKE_SUCCEEDED",
  [EVENT_HANDSHAKE_FAILED_PROTOCOL]: "HANDSHAKE_FAILED_PROTOCOL",
  [EVENT_HANDSHAKE_FAILED_AUTH]: "HANDSHAKE_FAILED_AUTH",
};
