/**
 * The loop's readiness source and wait, behind one small interface:
 *
 * - `watch(fd, events)` / `unwatch(fd)`: the fds to watch, with ZeroMQ event
 *   bits (`POLLIN`, `POLLOUT`). A socket's `ZMQ_FD` is watched for `POLLIN`.
 * - `check()`: which watched fds are ready now (a zero-timeout wait on this
 *   thread); `park(ms)`: the same, waiting up to `ms` (-1: no limit) on
 *   Deno's blocking thread pool, ended early by `wake()`. Both leave the
 *   ready fds in `fds[0..n)` and their events (ZeroMQ bits, `POLLERR` for
 *   errors and hang-ups) in `revents[0..n)`, and never report the wake fd.
 *
 * Two implementations: `EpollParker` (Linux: one epoll set, level-triggered,
 * holding every fd and the wake fd, so a wait costs the same with 10 or
 * 10,000 fds) and `PollParker` (other POSIX systems: `poll()` on every fd).
 * `newParker()` picks one. Level-triggered is deliberate: a `ZMQ_FD` stays
 * readable until libzmq processes the socket's commands, so an fd the loop
 * has not yet looked at is reported again; the loop resets it by reading
 * `ZMQ_EVENTS`.
 *
 * @module
 */

import { POLLERR, POLLIN, POLLOUT } from "../ffi/constants.ts";
import {
  errno,
  native,
  OFF_HEAP_MIN,
  POLLFD_SIZE,
  SYS_POLLERR,
  SYS_POLLHUP,
  SYS_POLLIN,
  SYS_POLLNVAL,
  SYS_POLLOUT,
  ThreadFds,
  Waker,
} from "./native.ts";

/** The loop's wait (see the module doc). */
export interface Parker {
  /** Which kind: "epoll" or "poll". */
  readonly kind: "epoll" | "poll";
  /** Ready fds of the last `check()` or `park()`. */
  readonly fds: Int32Array;
  /** Their events, ZeroMQ bits. */
  readonly revents: Int32Array;
  /** Watches `fd` for `events` (replacing what it watched); throws for a bad fd. */
  watch(fd: number, events: number): void;
  /** Stops watching `fd`; an fd already closed is fine. */
  unwatch(fd: number): void;
  /** Ready fds now; returns how many. */
  check(): number;
  /** Waits for readiness, `wake()` or `timeoutMs`; resolves with how many are ready. */
  park(timeoutMs: number): Promise<number>;
  /** Ends a `park()` early (or the next one, at once). */
  wake(): void;
  /** Releases the fds; only once no `park()` is pending. */
  close(): void;
}

/** Turns ZeroMQ event bits into libc poll bits. */
export function toSys(events: number): number {
  return ((events & POLLIN) ? SYS_POLLIN : 0) |
    ((events & POLLOUT) ? SYS_POLLOUT : 0);
}

/** Turns libc poll (or epoll: the same values) bits into ZeroMQ bits. */
export function fromSys(revents: number): number {
  return ((revents & SYS_POLLIN) ? POLLIN : 0) |
    ((revents & SYS_POLLOUT) ? POLLOUT : 0) |
    ((revents & (SYS_POLLERR | SYS_POLLHUP | SYS_POLLNVAL)) ? POLLERR : 0);
}

/** Packs `struct pollfd`s: fds with ZeroMQ event bits. */
export function packPollfds(
  fds: ArrayLike<number>,
  events: ArrayLike<number>,
  extra = 0,
): Uint8Array {
  const n = fds.length;
  const buf = new Uint8Array(Math.max((n + extra) * POLLFD_SIZE, OFF_HEAP_MIN));
  const view = new DataView(buf.buffer);
  for (let i = 0; i < n; i++) {
    view.setInt32((i + extra) * POLLFD_SIZE, fds[i]!, true);
    view.setInt16((i + extra) * POLLFD_SIZE + 4, toSys(events[i]!), true);
  }
  return buf;
}

/** The ZeroMQ-bit revents of pollfd `i` of a packed buffer. */
export function pollfdRevents(buf: Uint8Array, i: number): number {
  return fromSys(
    new DataView(buf.buffer).getInt16(i * POLLFD_SIZE + 6, true),
  );
}

/**
 * A zero-timeout `poll()` of some fds right now, on this thread: their
 * ZeroMQ-bit revents (`POLLERR` for a closed fd).
 */
export function pollNow(
  fds: ArrayLike<number>,
  events: ArrayLike<number>,
): Int32Array {
  const out = new Int32Array(fds.length);
  if (fds.length === 0) return out;
  const buf = packPollfds(fds, events);
  if (native().poll(buf, BigInt(fds.length), 0) > 0) {
    for (let i = 0; i < fds.length; i++) out[i] = pollfdRevents(buf, i);
  }
  return out;
}

const failures = new WeakMap<Parker, number>();

/**
 * Tracks failed waits. errno lives on the pool thread that waited, so a
 * single failure (EINTR, most likely) just ends the wait; three in a row
 * throw, for the loop to report.
 */
function failed(parker: Parker, rc: number, call: string): void {
  if (rc >= 0) {
    failures.delete(parker);
    return;
  }
  const count = (failures.get(parker) ?? 0) + 1;
  failures.set(parker, count);
  if (count >= 3) {
    failures.delete(parker);
    throw new Error(
      `Cannot wait in ${call}: it failed ${count} times in a row`,
    );
  }
}

/** The best parker for this system: epoll on Linux, else poll(). */
export function newParker(): Parker {
  const c = native();
  if (c.epoll_create1 && c.epoll_ctl && c.epoll_wait && c.epoll_wait_async) {
    return new EpollParker();
  }
  return new PollParker();
}

const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
const EPOLL_CLOEXEC = 0o2000000;
const ENOENT = 2, EBADF = 9, EEXIST = 17, EPERM = 1;
// struct epoll_event { uint32_t events; epoll_data_t data; }: packed (12
// bytes) on x86-64, 16 bytes with the data at offset 8 elsewhere.
const EV_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const EV_DATA = Deno.build.arch === "x86_64" ? 4 : 8;
/** Events per epoll_wait: starts small (a loop is cheap), doubles when full. */
const MIN_EVENTS = 64, MAX_EVENTS = 4096;

/** Linux: one level-triggered epoll set with every fd and the wake fd. */
export class EpollParker implements Parker {
  readonly kind = "epoll" as const;
  fds: Int32Array = new Int32Array(MIN_EVENTS);
  revents: Int32Array = new Int32Array(MIN_EVENTS);
  #ep: number;
  #waker: Waker;
  #ctl = new Uint8Array(OFF_HEAP_MIN);
  #ctlView = new DataView(this.#ctl.buffer);
  #capacity = MIN_EVENTS;
  #now = new Uint8Array(MIN_EVENTS * EV_SIZE);
  #parked = new Uint8Array(MIN_EVENTS * EV_SIZE);
  #nowView = new DataView(this.#now.buffer);
  #parkedView = new DataView(this.#parked.buffer);
  /** Fds epoll refuses (regular files, EPERM): always ready, as poll() says. */
  #always = new Map<number, number>();
  #closed = false;
  #threadFds = new ThreadFds();

  /** Opens the epoll set and the wake fd. */
  constructor() {
    const c = native();
    this.#ep = c.epoll_create1!(EPOLL_CLOEXEC);
    if (this.#ep < 0) {
      throw new Error(`Cannot create the IOLoop's epoll set: errno ${errno()}`);
    }
    this.#waker = new Waker(); // recorded with its thread before the set
    this.#threadFds.add(this.#ep);
    this.#ctlOp(EPOLL_CTL_ADD, this.#waker.fd, SYS_POLLIN);
  }

  #ctlOp(op: number, fd: number, sys: number): number {
    this.#ctlView.setUint32(0, sys, true);
    this.#ctlView.setBigUint64(EV_DATA, BigInt(fd), true);
    return native().epoll_ctl!(this.#ep, op, fd, this.#ctl) === 0 ? 0 : errno();
  }

  watch(fd: number, events: number): void {
    const sys = toSys(events);
    // ADD, or MOD when present. A number whose old file was closed (and
    // so left the set by itself) may be a new file now: ADD takes it.
    let err = this.#ctlOp(EPOLL_CTL_ADD, fd, sys);
    if (err === EEXIST) err = this.#ctlOp(EPOLL_CTL_MOD, fd, sys);
    if (err === 0) {
      this.#always.delete(fd);
      return;
    }
    if (err === EPERM) { // a regular file: always ready
      this.#always.set(fd, events);
      return;
    }
    throw new RangeError(
      `Cannot watch fd ${fd}: ${
        err === EBADF ? "not an open file descriptor (EBADF)" : `errno ${err}`
      }`,
    );
  }

  unwatch(fd: number): void {
    if (this.#always.delete(fd)) return;
    const err = this.#ctlOp(EPOLL_CTL_DEL, fd, 0);
    if (err !== 0 && err !== ENOENT && err !== EBADF) {
      throw new Error(`Cannot stop watching fd ${fd}: errno ${err}`);
    }
  }

  #collect(buf: Uint8Array, rc: number): number {
    let n = 0;
    if (rc > this.fds.length) this.#grow();
    if (rc > 0) {
      const view = buf === this.#now
        ? this.#nowView
        : buf === this.#parked
        ? this.#parkedView
        : new DataView(buf.buffer);
      const wakeFd = this.#waker.fd;
      for (let i = 0; i < rc; i++) {
        // (the data is the fd, stored as a u64: its low half, no BigInt)
        const fd = view.getInt32(i * EV_SIZE + EV_DATA, true);
        if (fd === wakeFd) {
          this.#waker.drain();
          continue;
        }
        this.fds[n] = fd;
        this.revents[n++] = fromSys(view.getUint32(i * EV_SIZE, true));
      }
    }
    if (this.#always.size === 0) return n;
    for (const [fd, events] of this.#always) {
      if (n === this.fds.length) this.#grow();
      this.fds[n] = fd;
      this.revents[n++] = events & (POLLIN | POLLOUT);
    }
    return n;
  }

  #grow(): void {
    const fds = new Int32Array(Math.max(this.fds.length * 2, this.#capacity));
    fds.set(this.fds);
    const revents = new Int32Array(fds.length);
    revents.set(this.revents);
    this.fds = fds;
    this.revents = revents;
  }

  /** A full buffer means more may be waiting: take more next time. */
  #widen(rc: number): void {
    if (rc < this.#capacity || this.#capacity >= MAX_EVENTS) return;
    this.#capacity *= 2;
    this.#now = new Uint8Array(this.#capacity * EV_SIZE);
    this.#parked = new Uint8Array(this.#capacity * EV_SIZE);
    this.#nowView = new DataView(this.#now.buffer);
    this.#parkedView = new DataView(this.#parked.buffer);
  }

  check(): number {
    const buf = this.#now;
    const rc = native().epoll_wait!(this.#ep, buf, this.#capacity, 0);
    const n = this.#collect(buf, rc);
    this.#widen(rc);
    return n;
  }

  async park(timeoutMs: number): Promise<number> {
    const buf = this.#parked;
    const rc = await native().epoll_wait_async!(
      this.#ep,
      buf,
      buf.length / EV_SIZE,
      this.#always.size ? 0 : timeoutMs,
    );
    failed(this, rc, "epoll_wait");
    if (this.#closed) return 0;
    const n = this.#collect(buf, rc);
    this.#widen(rc);
    return n;
  }

  wake(): void {
    this.#waker.wake();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#threadFds.forget();
    native().close(this.#ep);
    this.#waker.close();
  }
}

/** Other POSIX systems: `poll()` on every watched fd plus the wake fd. */
export class PollParker implements Parker {
  readonly kind = "poll" as const;
  fds: Int32Array = new Int32Array(64);
  revents: Int32Array = new Int32Array(64);
  #watched = new Map<number, number>();
  #waker = new Waker();
  /** Packed pollfds (wake fd first), rebuilt when the set changes. */
  #packed: Uint8Array | null = null;
  #order: number[] = [];
  #closed = false;

  watch(fd: number, events: number): void {
    this.#watched.set(fd, events);
    this.#packed = null;
  }

  unwatch(fd: number): void {
    if (this.#watched.delete(fd)) this.#packed = null;
  }

  /** A fresh buffer whenever the set changed: a pending park may read the old one. */
  #pack(): Uint8Array {
    if (this.#packed) return this.#packed;
    this.#order = [this.#waker.fd, ...this.#watched.keys()];
    const events = [POLLIN, ...this.#watched.values()];
    return this.#packed = packPollfds(this.#order, events);
  }

  #collect(buf: Uint8Array, order: number[], rc: number): number {
    if (rc <= 0) return 0;
    if (this.fds.length < order.length) {
      this.fds = new Int32Array(order.length);
      this.revents = new Int32Array(order.length);
    }
    let n = 0;
    for (let i = 0; i < order.length; i++) {
      const ev = pollfdRevents(buf, i);
      if (!ev) continue;
      if (i === 0) this.#waker.drain();
      else {
        this.fds[n] = order[i]!;
        this.revents[n++] = ev;
      }
    }
    return n;
  }

  check(): number {
    const buf = this.#pack(), order = this.#order;
    return this.#collect(
      buf,
      order,
      native().poll(buf, BigInt(order.length), 0),
    );
  }

  async park(timeoutMs: number): Promise<number> {
    const buf = this.#pack(), order = this.#order;
    const rc = await native().poll_async(buf, BigInt(order.length), timeoutMs);
    failed(this, rc, "poll");
    return this.#closed ? 0 : this.#collect(buf, order, rc);
  }

  wake(): void {
    this.#waker.wake();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waker.close();
  }
}
