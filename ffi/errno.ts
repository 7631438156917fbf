/**
 * Error numbers as libzmq reports them on each OS. POSIX numbers differ
 * between Linux, macOS and Windows (MSVC's POSIX supplement), so each OS has
 * its own table; libzmq's own codes (EFSM, ETERM, ...) sit above
 * `ZMQ_HAUSNUMERO` everywhere.
 *
 * @module
 */

const HAUSNUMERO = 156384712;

/** Errno numbers by symbolic name, for one OS. */
export type ErrnoTable = Readonly<Record<ErrnoName, number>>;

/** The symbolic errno names zmqloop knows. */
export type ErrnoName =
  | "EPERM"
  | "ESRCH"
  | "EIO"
  | "ENXIO"
  | "EBADF"
  | "EEXIST"
  | "ENODEV"
  | "ENOTDIR"
  | "EISDIR"
  | "ENFILE"
  | "ENOSPC"
  | "EPIPE"
  | "ENAMETOOLONG"
  | "ENOSYS"
  | "EPROTO"
  | "ENOENT"
  | "EINTR"
  | "EAGAIN"
  | "ENOMEM"
  | "EACCES"
  | "EFAULT"
  | "EBUSY"
  | "EINVAL"
  | "EMFILE"
  | "EDEADLK"
  | "ENOTSUP"
  | "EPROTONOSUPPORT"
  | "ENOBUFS"
  | "ENETDOWN"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ECONNREFUSED"
  | "EINPROGRESS"
  | "ENOTSOCK"
  | "EMSGSIZE"
  | "EAFNOSUPPORT"
  | "ENETUNREACH"
  | "ECONNABORTED"
  | "ECONNRESET"
  | "ENOTCONN"
  | "ETIMEDOUT"
  | "EHOSTUNREACH"
  | "ENETRESET"
  | "EFSM"
  | "ENOCOMPATPROTO"
  | "ETERM"
  | "EMTHREAD";

const ZMQ_OWN = {
  EFSM: HAUSNUMERO + 51,
  ENOCOMPATPROTO: HAUSNUMERO + 52,
  ETERM: HAUSNUMERO + 53,
  EMTHREAD: HAUSNUMERO + 54,
} as const;

const LINUX: ErrnoTable = {
  EPERM: 1,
  ESRCH: 3,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  ENFILE: 23,
  ENOSPC: 28,
  EPIPE: 32,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  EPROTO: 71,
  ENOENT: 2,
  EINTR: 4,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EINVAL: 22,
  EMFILE: 24,
  EDEADLK: 35,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  ENOTSUP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EINPROGRESS: 115,
  ENOTSOCK: 88,
  ...ZMQ_OWN,
};

const DARWIN: ErrnoTable = {
  EPERM: 1,
  ESRCH: 3,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  ENFILE: 23,
  ENOSPC: 28,
  EPIPE: 32,
  ENAMETOOLONG: 63,
  ENOSYS: 78,
  EPROTO: 100,
  ENOENT: 2,
  EINTR: 4,
  EAGAIN: 35,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EINVAL: 22,
  EMFILE: 24,
  EDEADLK: 11,
  EINPROGRESS: 36,
  ENOTSOCK: 38,
  EMSGSIZE: 40,
  EPROTONOSUPPORT: 43,
  ENOTSUP: 45,
  EAFNOSUPPORT: 47,
  EADDRINUSE: 48,
  EADDRNOTAVAIL: 49,
  ENETDOWN: 50,
  ENETUNREACH: 51,
  ENETRESET: 52,
  ECONNABORTED: 53,
  ECONNRESET: 54,
  ENOBUFS: 55,
  ENOTCONN: 57,
  ETIMEDOUT: 60,
  ECONNREFUSED: 61,
  EHOSTUNREACH: 65,
  ...ZMQ_OWN,
};

const WINDOWS: ErrnoTable = {
  EPERM: 1,
  ESRCH: 3,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  ENFILE: 23,
  ENOSPC: 28,
  EPIPE: 32,
  ENAMETOOLONG: 38,
  ENOSYS: 40,
  EPROTO: 134,
  ENOENT: 2,
  EINTR: 4,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EINVAL: 22,
  EMFILE: 24,
  EDEADLK: 36,
  EADDRINUSE: 100,
  EADDRNOTAVAIL: 101,
  EAFNOSUPPORT: 102,
  ECONNABORTED: 106,
  ECONNREFUSED: 107,
  ECONNRESET: 108,
  EHOSTUNREACH: 110,
  EINPROGRESS: 112,
  EMSGSIZE: 115,
  ENETDOWN: 116,
  ENETRESET: 117,
  ENETUNREACH: 118,
  ENOBUFS: 119,
  ENOTCONN: 126,
  ENOTSOCK: 128,
  ENOTSUP: 129,
  EPROTONOSUPPORT: 135,
  ETIMEDOUT: 138,
  ...ZMQ_OWN,
};

/**
 * The errno table of an OS (errno numbers differ between Linux, macOS and
 * Windows; libzmq's own codes are the same everywhere).
 *
 * @example
 * ```ts
 * import { errnoTable } from "@zmqloop/zmq";
 * console.log(errnoTable("linux").EAGAIN, errnoTable("darwin").EAGAIN); // 11 35
 * ```
 */
export function errnoTable(os: typeof Deno.build.os): ErrnoTable {
  return os === "darwin" ? DARWIN : os === "windows" ? WINDOWS : LINUX;
}

/** The running OS's errno numbers. */
export const ERRNO: ErrnoTable = errnoTable(Deno.build.os);

const NAMES = new Map<number, ErrnoName>(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([k, v]) => [v, k]),
);

/**
 * The symbolic name of an errno on the running OS (`"E123"` if unknown).
 *
 * @example
 * ```ts
 * import { EAGAIN, errnoName } from "@zmqloop/zmq";
 * console.log(errnoName(EAGAIN)); // "EAGAIN"
 * ```
 */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** `EAGAIN` on the running OS: the operation would block. */
export const EAGAIN: number = ERRNO.EAGAIN;
/** `EBUSY` on the running OS: the resource is in use (see `BusyError`). */
export const EBUSY: number = ERRNO.EBUSY;
/** `EINVAL` on the running OS: invalid argument. */
export const EINVAL: number = ERRNO.EINVAL;
/** `ENOTSOCK` on the running OS: not a socket (or a closed one). */
export const ENOTSOCK: number = ERRNO.ENOTSOCK;
/** `ENOTSUP` on the running OS: operation not supported. */
export const ENOTSUP: number = ERRNO.ENOTSUP;
/** `EPROTONOSUPPORT` on the running OS: unknown transport. */
export const EPROTONOSUPPORT: number = ERRNO.EPROTONOSUPPORT;
/** `ENOBUFS` on the running OS: no buffer space. */
export const ENOBUFS: number = ERRNO.ENOBUFS;
/** `ENETDOWN` on the running OS: network is down. */
export const ENETDOWN: number = ERRNO.ENETDOWN;
/** `EADDRINUSE` on the running OS: address already in use. */
export const EADDRINUSE: number = ERRNO.EADDRINUSE;
/** `EADDRNOTAVAIL` on the running OS: address not available. */
export const EADDRNOTAVAIL: number = ERRNO.EADDRNOTAVAIL;
/** `ECONNREFUSED` on the running OS: connection refused. */
export const ECONNREFUSED: number = ERRNO.ECONNREFUSED;
/** `EINPROGRESS` on the running OS: operation in progress. */
export const EINPROGRESS: number = ERRNO.EINPROGRESS;
/** `EMSGSIZE` on the running OS: message too long. */
export const EMSGSIZE: number = ERRNO.EMSGSIZE;
/** `EAFNOSUPPORT` on the running OS: address family not supported. */
export const EAFNOSUPPORT: number = ERRNO.EAFNOSUPPORT;
/** `ENETUNREACH` on the running OS: network unreachable. */
export const ENETUNREACH: number = ERRNO.ENETUNREACH;
/** `ECONNABORTED` on the running OS: connection aborted. */
export const ECONNABORTED: number = ERRNO.ECONNABORTED;
/** `ECONNRESET` on the running OS: connection reset. */
export const ECONNRESET: number = ERRNO.ECONNRESET;
/** `ENOTCONN` on the running OS: not connected. */
export const ENOTCONN: number = ERRNO.ENOTCONN;
/** `ETIMEDOUT` on the running OS: timed out. */
export const ETIMEDOUT: number = ERRNO.ETIMEDOUT;
/** `EHOSTUNREACH` on the running OS: no route to the peer. */
export const EHOSTUNREACH: number = ERRNO.EHOSTUNREACH;
/** `ENETRESET` on the running OS: connection reset by the network. */
export const ENETRESET: number = ERRNO.ENETRESET;
/** `EINTR` on the running OS: interrupted. */
export const EINTR: number = ERRNO.EINTR;
/** `EFAULT` on the running OS: bad address. */
export const EFAULT: number = ERRNO.EFAULT;
/** `ENOMEM` on the running OS: out of memory. */
export const ENOMEM: number = ERRNO.ENOMEM;
/** `EMFILE` on the running OS: too many open files. */
export const EMFILE: number = ERRNO.EMFILE;
/** `EDEADLK` on the running OS: the call would deadlock. */
export const EDEADLK: number = ERRNO.EDEADLK;
/** `EFSM`: the operation is not allowed in the socket's current state. */
export const EFSM: number = ERRNO.EFSM;
/** `ENOCOMPATPROTO`: the transport is incompatible with the socket type. */
export const ENOCOMPATPROTO: number = ERRNO.ENOCOMPATPROTO;
/** `ETERM`: the context was terminated. */
export const ETERM: number = ERRNO.ETERM;
/** `EMTHREAD`: no I/O thread available. */
export const EMTHREAD: number = ERRNO.EMTHREAD;
