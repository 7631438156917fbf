/**
 * The loop's native wait: libc `poll()` on raw file descriptors, run on
 * Deno's blocking thread pool (`nonblocking: true`) so the JS thread stays
 * free, plus a wake fd (Linux `eventfd`, a pipe elsewhere) that JS writes to
 * end a wait early. Nothing here touches a zmq socket: polling an fd is
 * thread-safe, zmq sockets are not.
 *
 * @module
 */

const symbols = {
  // int poll(struct pollfd *fds, nfds_t nfds, int timeout)
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  // the same call, on a pool thread; resolves when poll returns
  poll_async: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // ssize_t read(int fd, void *buf, size_t count)
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // ssize_t write(int fd, const void *buf, size_t count)
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // int eventfd(unsigned int initval, int flags)  (Linux only)
  eventfd: { parameters: ["u32", "i32"], result: "i32", optional: true },
  // int pipe(int pipefd[2])
  pipe: { parameters: ["buffer"], result: "i32" },
  // int fcntl(int fd, int cmd, ...)  (F_SETFL, O_NONBLOCK)
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];

let libc: Libc | undefined;

/** libc, opened once. */
export function native(): Libc {
  if (libc) return libc;
  const os = Deno.build.os;
  if (os === "windows") {
    throw new Error(
      "Cannot start an IOLoop on Windows yet: the native wait uses POSIX poll()",
    );
  }
  const path = os === "darwin" ? "libSystem.B.dylib" : "libc.so.6";
  libc = Deno.dlopen(path, symbols).symbols;
  return libc;
}

/** libc `poll()` event bits (they differ from ZeroMQ's). */
export const SYS_POLLIN = 0x001;
/** libc POLLOUT. */
export const SYS_POLLOUT = 0x004;
/** libc POLLERR. */
export const SYS_POLLERR = 0x008;
/** libc POLLHUP. */
export const SYS_POLLHUP = 0x010;
/** libc POLLNVAL. */
export const SYS_POLLNVAL = 0x020;

/** Bytes of one `struct pollfd { int fd; short events; short revents; }`. */
export const POLLFD_SIZE = 8;

const EFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
const F_SETFL = 4;
const O_NONBLOCK = Deno.build.os === "darwin" ? 0x0004 : 0o4000;

/** A wake fd: `fd` to poll; `wake()` makes it readable; `drain()` resets it. */
export class Waker {
  /** The fd to poll for reading. */
  readonly fd: number;
  #writeFd: number;
  #buf = new Uint8Array(72);
  #closed = false;
  #pending = false;

  /** Opens an eventfd (Linux) or a non-blocking pipe. */
  constructor() {
    const c = native();
    if (c.eventfd) {
      const fd = c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (fd < 0) {
        throw new Error("Cannot create the IOLoop's wake fd (eventfd)");
      }
      this.fd = this.#writeFd = fd;
    } else {
      const fds = new Int32Array(2);
      if (c.pipe(new Uint8Array(fds.buffer)) !== 0) {
        throw new Error("Cannot create the IOLoop's wake pipe");
      }
      c.fcntl(fds[0]!, F_SETFL, O_NONBLOCK);
      c.fcntl(fds[1]!, F_SETFL, O_NONBLOCK);
      this.fd = fds[0]!;
      this.#writeFd = fds[1]!;
    }
  }

  /** Makes `fd` readable (once until drained). */
  wake(): void {
    if (this.#closed || this.#pending) return;
    this.#pending = true;
    new DataView(this.#buf.buffer).setBigUint64(0, 1n, true);
    native().write(this.#writeFd, this.#buf, 8n);
  }

  /** Consumes pending wake-ups. */
  drain(): void {
    if (this.#closed || !this.#pending) return;
    this.#pending = false;
    native().read(this.fd, this.#buf, 64n);
  }

  /** Closes the fd(s). Only once no poll uses them. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    native().close(this.fd);
    if (this.#writeFd !== this.fd) native().close(this.#writeFd);
  }
}
