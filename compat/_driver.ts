/**
 * The promise machinery behind the zeromq.js layer: one `Driver` per socket
 * turns the non-blocking `Socket.trySendMultipart` / `tryRecvMultipart` into
 * zeromq.js's `send()` / `receive()` promises.
 *
 * Fast path first, as zeromq.js does: a send the socket can take now, or a
 * receive with a message waiting, completes inside the call (the promise is
 * already settled). Only when it cannot does the driver register the socket
 * on an `IOLoop`, and it unregisters again as soon as nothing waits, so an
 * idle socket costs the loop nothing and never keeps the process alive.
 *
 * This is the internal seam the lead plans to replace with `AsyncSocket`
 * (stream/): the rest of compat/ only uses `send`, `receive`, `close` and
 * the two timeouts.
 *
 * @module
 */

import type { Socket } from "../ffi/socket.ts";
import type { Payload } from "../ffi/bytes.ts";
import { POLLIN, POLLOUT } from "../ffi/constants.ts";
import { EAGAIN, ERRNO } from "../ffi/errno.ts";
import { ZMQError } from "../ffi/errors.ts";
import { IOLoop } from "../loop/ioloop.ts";
import type { Timeout } from "../loop/timeouts.ts";

/** zeromq.js's texts for the errors it names itself. */
export const MESSAGES: Readonly<Record<string, string>> = {
  EAGAIN: "Operation was not possible or timed out",
  EBUSY: "Socket is busy",
  EBADF: "Socket is closed",
  ENOENT: "No such endpoint",
  EADDRINUSE: "Address already in use",
};

/** An `Error` with zeromq.js's `code`, `errno` and (when given) `address`. */
export function errnoError(
  errno: number,
  message?: string,
  address?: string,
): ZMQError {
  const error = new ZMQError(errno);
  const text = message ?? MESSAGES[error.code];
  if (text !== undefined) error.message = text;
  if (address !== undefined) {
    (error as ZMQError & { address?: string }).address = address;
  }
  return error;
}

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  timer: Timeout | null;
}

interface SendJob extends Pending<void> {
  parts: Payload[];
}

const DONE: Promise<void> = Promise.resolve();
// Messages moved per handler call before the loop serves other sockets.
const BATCH = 256;

let sharedLoop: IOLoop | undefined;

/** The loop that drives every zeromq.js-layer socket. */
export function compatLoop(): IOLoop {
  if (!sharedLoop || sharedLoop.closed) sharedLoop = new IOLoop();
  return sharedLoop;
}

/** Promise-based send and receive over one socket; `convert` shapes what `receive()` gives. */
export class Driver<R = Uint8Array[]> {
  /** `SNDTIMEO` as last set (ms; -1 waits forever). */
  sendTimeout = -1;
  /** `RCVTIMEO` as last set (ms; -1 waits forever). */
  receiveTimeout = -1;
  /** Kept strongly while operations are pending, so the owner is not collected. */
  #hold: object | null = null;
  #owner: WeakRef<object> | null = null;
  readonly #raw: Socket;
  #sends: SendJob[] = [];
  #head = 0;
  #reader: Pending<R> | null = null;
  readonly #convert: (msg: Uint8Array[]) => R;
  #want = 0;
  #closed = false;

  /**
   * @param raw the socket (the driver never closes it)
   * @param convert turns received parts into what `receive()` resolves with
   */
  constructor(raw: Socket, convert: (msg: Uint8Array[]) => R) {
    this.#raw = raw;
    this.#convert = convert;
  }

  /** Ties the driver to the object that must stay alive while operations wait. */
  own(owner: object): void {
    this.#owner = new WeakRef(owner);
  }

  /** Whether a receive is waiting. */
  get reading(): boolean {
    return this.#reader !== null;
  }

  /**
   * Sends a whole message; concurrent sends are queued in order.
   *
   * @param parts checked parts
   * @returns a promise settled when libzmq has taken the message
   */
  send(parts: Payload[]): Promise<void> {
    if (this.#head === this.#sends.length) {
      try {
        if (this.#raw.trySendMultipart(parts) !== false) return DONE;
      } catch (error) {
        return Promise.reject(error);
      }
      if (this.sendTimeout === 0) return Promise.reject(errnoError(EAGAIN));
    }
    return new Promise<void>((resolve, reject) => {
      const job: SendJob = { parts, resolve, reject, timer: null };
      if (this.sendTimeout > 0) {
        job.timer = compatLoop().callLater(this.sendTimeout, () => {
          const i = this.#sends.indexOf(job, this.#head);
          if (i < 0) return;
          this.#sends.splice(i, 1);
          reject(errnoError(EAGAIN));
          this.#rebuild();
        });
      }
      this.#sends.push(job);
      this.#rebuild();
    });
  }

  /**
   * Receives the next whole message. One receive may wait at a time.
   *
   * @returns the parts
   */
  receive(): Promise<R> {
    if (this.#reader) {
      return Promise.reject(
        errnoError(
          ERRNO.EBUSY,
          "Socket is busy reading; only one receive operation may be in progress at any time",
        ),
      );
    }
    let msg: Uint8Array[] | null;
    try {
      msg = this.#raw.tryRecvMultipart(true) as Uint8Array[] | null;
    } catch (error) {
      return Promise.reject(error);
    }
    if (msg) {
      try {
        return Promise.resolve(this.#convert(msg));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.receiveTimeout === 0) return Promise.reject(errnoError(EAGAIN));
    return new Promise<R>((resolve, reject) => {
      const reader: Pending<R> = { resolve, reject, timer: null };
      if (this.receiveTimeout > 0) {
        reader.timer = compatLoop().callLater(this.receiveTimeout, () => {
          if (this.#reader !== reader) return;
          this.#reader = null;
          reject(errnoError(EAGAIN));
          this.#rebuild();
        });
      }
      this.#reader = reader;
      this.#rebuild();
    });
  }

  /**
   * Rejects every pending operation with `error` (EAGAIN "Socket was
   * closed" in zeromq.js) and unregisters. Idempotent. Call it before
   * closing the socket.
   */
  close(error: unknown = errnoError(EAGAIN, "Socket was closed")): void {
    if (this.#closed) return;
    this.#closed = true;
    const reader = this.#reader;
    const sends = this.#sends.slice(this.#head);
    this.#reader = null;
    this.#sends = [];
    this.#head = 0;
    this.#rebuild();
    if (reader) this.#settle(reader, false, error);
    for (const job of sends) this.#settle(job, false, error);
  }

  #settle<T>(p: Pending<T>, ok: boolean, value: unknown): void {
    if (p.timer) compatLoop().removeTimeout(p.timer);
    if (ok) p.resolve(value as T);
    else p.reject(value);
  }

  /** Derives the loop registration from what waits: the one place that does. */
  #rebuild(): void {
    const want = this.#closed ? 0 : (this.#reader ? POLLIN : 0) |
      (this.#head < this.#sends.length ? POLLOUT : 0);
    if (want === this.#want) return;
    const loop = compatLoop();
    if (want === 0) loop.removeHandler(this.#raw);
    else if (this.#want === 0) loop.addHandler(this.#raw, this.#handle, want);
    else loop.updateHandler(this.#raw, want);
    this.#want = want;
    this.#hold = want ? this.#owner?.deref() ?? null : null;
  }

  #handle = (_raw: Socket, events: number): boolean => {
    let moved = 0;
    if (this.#raw.closed) {
      this.close(errnoError(ERRNO.EBADF));
      return false;
    }
    if (events & POLLIN && this.#reader) {
      try {
        const msg = this.#raw.tryRecvMultipart(true) as Uint8Array[] | null;
        if (msg) {
          const reader = this.#reader;
          this.#reader = null;
          this.#settle(reader, true, this.#convert(msg));
          moved++;
        }
      } catch (error) {
        const reader = this.#reader!;
        this.#reader = null;
        this.#settle(reader, false, error);
      }
    }
    if (events & POLLOUT) {
      while (this.#head < this.#sends.length && moved < BATCH) {
        const job = this.#sends[this.#head]!;
        let sent: boolean;
        try {
          sent = this.#raw.trySendMultipart(job.parts) !== false;
        } catch (error) {
          this.#shift();
          this.#settle(job, false, error);
          continue;
        }
        if (!sent) break;
        this.#shift();
        this.#settle(job, true, undefined);
        moved++;
      }
    }
    this.#rebuild();
    return moved > 0;
  };

  #shift(): void {
    this.#sends[this.#head++] = undefined as unknown as SendJob;
    if (this.#head === this.#sends.length) {
      this.#sends = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#sends.length) {
      this.#sends = this.#sends.slice(this.#head);
      this.#head = 0;
    }
  }
}
