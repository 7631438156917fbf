/**
 * The loop's libc: `poll()`, `epoll` (Linux), `eventfd`/`pipe` and `errno`,
 * opened once. Nothing here touches a zmq socket: waiting on an fd is
 * thread-safe, zmq sockets are not. `loop/_parker.ts` builds the loop's wait
 * on top of it.
 *
 * libc is the file `ffi/_libc.ts` found (`libcPath()`: `ZMQLOOP_LIBC` when
 * set, else the platform's usual names, glibc's and musl's among them, as
 * libzmq is found); a failure names every candidate tried.
 *
 * No variadic function is called: Deno's FFI calls every function with the
 * fixed-argument convention, which differs from the variadic one on some
 * platforms (Apple arm64 passes variadic arguments on the stack), so
 * `fcntl(fd, F_SETFL, O_NONBLOCK)` cannot be called portably. The wake pipe
 * is made with `pipe2(O_NONBLOCK | O_CLOEXEC)` where libc has it, and
 * otherwise needs no O_NONBLOCK at all (see `Waker`).
 *
 * @module
 */

import { STABLE_BYTES } from "../ffi/bytes.ts";
import { closeWithThread, forgetFd } from "../ffi/_registry.ts";
import { libcPath } from "../ffi/_libc.ts";

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
  // int epoll_create1(int flags)  (Linux only)
  epoll_create1: { parameters: ["i32"], result: "i32", optional: true },
  // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
  epoll_ctl: {
    parameters: ["i32", "i32", "i32", "buffer"],
    result: "i32",
    optional: true,
  },
  // int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
  epoll_wait: {
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    optional: true,
  },
  // the same call, on a pool thread: the loop's park
  epoll_wait_async: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
    optional: true,
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
  // int pipe2(int pipefd[2], int flags)  (Linux, the BSDs; not macOS)
  pipe2: { parameters: ["buffer", "i32"], result: "i32", optional: true },
  // int sched_yield(void): a spinning loop lets runnable threads have the core
  sched_yield: { parameters: [], result: "i32", optional: true },
  // int *__errno_location(void)  (glibc, musl)
  __errno_location: { parameters: [], result: "pointer", optional: true },
  // int *__error(void)  (macOS, FreeBSD)
  __error: { parameters: [], result: "pointer", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];

let libc: Libc | undefined;

/** libc, opened once. */
export function native(): Libc {
  if (libc) return libc;
  if (Deno.build.os === "windows") {
    throw new Error(
      "Cannot start an IOLoop on Windows yet: the native wait uses POSIX poll()",
    );
  }
  return libc = Deno.dlopen(libcPath(), symbols).symbols;
}

/** The calling thread's `errno` (read right after the failed call). */
export function errno(): number {
  const c = native();
  const ptr = c.__errno_location ? c.__errno_location() : c.__error?.();
  return ptr ? new Deno.UnsafePointerView(ptr).getInt32() : 0;
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

/**
 * A buffer that a pool thread reads while JS runs must not live on V8's
 * moving heap: at least this many bytes (ffi/bytes.ts's STABLE_BYTES).
 */
export const OFF_HEAP_MIN: number = STABLE_BYTES;

const EFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
const O_NONBLOCK = Deno.build.os === "darwin" ? 0x0004 : 0o4000;
const O_CLOEXEC = Deno.build.os === "darwin" ? 0x1000000 : 0o2000000;

/**
 * Records fds that ffi's registry wakes (8 bytes written) and closes once
 * this thread is dead: a Worker terminated while its loop is parked runs no
 * more JavaScript, and would leave them open with a pool thread waiting on
 * them. Record the wake fd first: writing it ends the wait.
 */
export class ThreadFds {
  #handles: number[] = [];

  /** Records `fd`. */
  add(fd: number): void {
    this.#handles.push(closeWithThread(fd));
  }

  /** Forgets them all (the owner closes them itself). */
  forget(): void {
    for (const handle of this.#handles) forgetFd(handle);
    this.#handles = [];
  }
}

/**
 * A wake fd: `fd` to wait on; `wake()` makes it readable; `drain()` resets
 * it. At most one wake-up is ever pending (`#pending`), so neither `write`
 * nor `read` can block even on a pipe opened without O_NONBLOCK.
 */
export class Waker {
  /** The fd to poll for reading. */
  readonly fd: number;
  #writeFd: number;
  #buf = new Uint8Array(OFF_HEAP_MIN);
  #closed = false;
  #pending = false;
  #threadFds = new ThreadFds();

  /** Opens an eventfd (Linux) or a pipe. */
  constructor() {
    const c = native();
    if (c.eventfd) {
      const fd = c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (fd < 0) {
        throw new Error(
          `Cannot create the IOLoop's wake fd (eventfd): errno ${errno()}`,
        );
      }
      this.fd = this.#writeFd = fd;
    } else {
      const fds = new Int32Array(2);
      const buf = new Uint8Array(fds.buffer);
      const rc = c.pipe2 ? c.pipe2(buf, O_NONBLOCK | O_CLOEXEC) : c.pipe(buf);
      if (rc !== 0) {
        throw new Error(
          `Cannot create the IOLoop's wake pipe: errno ${errno()}`,
        );
      }
      this.fd = fds[0]!;
      this.#writeFd = fds[1]!;
    }
    new DataView(this.#buf.buffer).setBigUint64(0, 1n, true);
    this.#threadFds.add(this.#writeFd); // (written: a waiting poll wakes)
    if (this.fd !== this.#writeFd) this.#threadFds.add(this.fd);
  }

  /** Makes `fd` readable (once until drained). */
  wake(): void {
    if (this.#closed || this.#pending) return;
    this.#pending = true;
    native().write(this.#writeFd, this.#buf, 8n);
  }

  /** Consumes a pending wake-up. */
  drain(): void {
    if (this.#closed || !this.#pending) return;
    this.#pending = false;
    native().read(this.fd, this.#buf, 8n);
  }

  /** Closes the fd(s). Only once no wait uses them. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#threadFds.forget();
    native().close(this.fd);
    if (this.#writeFd !== this.fd) native().close(this.#writeFd);
  }
}
