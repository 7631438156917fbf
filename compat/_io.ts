/**
 * zeromq.js's `send()` / `receive()` promises over one socket, on
 * `AsyncSocket`: every wait (queued sends in order, the pending receive,
 * `sendTimeout`/`receiveTimeout`, the rejection on close, what keeps the
 * process alive) is the `AsyncSocket`'s, on its `ZMQStream`'s one queue.
 * This adapter only adds what zeromq.js has and AsyncSocket has not:
 *
 * - Received parts are converted (to `Buffer`s, or to an `Event`) before
 *   the promise settles, and a message waiting in libzmq is taken inside
 *   the call, as in zeromq.js: the try is made here, so the promise is
 *   settled with the converted value at once, without a `.then` (a promise
 *   and a microtask per message) behind AsyncSocket's own settled promise.
 *   Only when a call must wait does it go to the `AsyncSocket`.
 * - A timeout of 0 rejects at once when the call cannot complete now
 *   (AsyncSocket starts a 0 ms timer).
 * - Errors are zeromq.js's: EAGAIN "Operation was not possible or timed
 *   out" for a timeout, EAGAIN "Socket was closed" for a close, EBUSY for a
 *   second concurrent receive.
 * - The `AsyncSocket` (and its loop registration) is made on the first
 *   call that has to wait, and `detach()` ends it again when nothing waits:
 *   a `Proxy` can take only a socket that no loop watches.
 * - While a call waits, the zeromq.js socket object is held, so it is not
 *   collected (and closed by its finalizer) under the call.
 *
 * @module
 */

import type { Socket } from "../ffi/socket.ts";
import type { Payload } from "../ffi/bytes.ts";
import { EAGAIN, ENOTSOCK, ERRNO } from "../ffi/errno.ts";
import { ZMQError } from "../ffi/errors.ts";
import { IOLoop } from "../loop/ioloop.ts";
import { AsyncSocket } from "../stream/async_socket.ts";
import { kDetach } from "../stream/zmqstream.ts";
import { streamOf, type ZMQStream } from "../stream/zmqstream.ts";
import { errnoError } from "./_errors.ts";

const DONE: Promise<void> = Promise.resolve();

let sharedLoop: IOLoop | undefined;

/** The loop that serves every zeromq.js-layer socket's waiting calls. */
export function compatLoop(): IOLoop {
  if (!sharedLoop || sharedLoop.closed) sharedLoop = new IOLoop();
  return sharedLoop;
}

/** An `AsyncSocket` rejection in zeromq.js's terms. */
function compatError(error: unknown): unknown {
  if (!(error instanceof ZMQError)) return error;
  if (error.errno === EAGAIN) return errnoError(EAGAIN); // a timeout
  if (error.errno === ENOTSOCK) return errnoError(EAGAIN, "Socket was closed");
  return error;
}

/** zeromq.js's send and receive over one socket; `convert` shapes what `receive()` gives. */
export class SocketIo<R = Uint8Array[]> {
  /** `SNDTIMEO` as last set (ms; -1 waits forever): 0 rejects at once. */
  sendTimeout = -1;
  /** `RCVTIMEO` as last set (ms; -1 waits forever): 0 rejects at once. */
  receiveTimeout = -1;
  readonly #raw: Socket;
  readonly #convert: (msg: Uint8Array[]) => R;
  #async: AsyncSocket | null = null;
  #stream: ZMQStream | undefined;
  #owner: WeakRef<object> | null = null;
  /** The owner, kept strongly while calls wait. */
  #hold: object | null = null;
  #waiting = 0;
  #reading = false;

  /**
   * @param raw the socket (closed by `close()`)
   * @param convert turns received parts into what `receive()` resolves with
   */
  constructor(raw: Socket, convert: (msg: Uint8Array[]) => R) {
    this.#raw = raw;
    this.#convert = convert;
  }

  /** Ties the calls to the object that must stay alive while they wait. */
  own(owner: object): void {
    this.#owner = new WeakRef(owner);
  }

  /** Whether a call waits now (a `Proxy` cannot take the socket then). */
  get waiting(): boolean {
    return this.#waiting > 0;
  }

  /**
   * Stops the loop watching the socket, so a `Proxy` can take it; false,
   * with nothing changed, while a call waits. The next call that must wait
   * watches it again.
   */
  detach(): boolean {
    if (this.#async === null) return true;
    if (this.#waiting > 0 || !this.#async[kDetach]()) return false;
    this.#async = null;
    this.#stream = undefined;
    return true;
  }

  /**
   * Sends a whole message; concurrent sends are queued in order (in the
   * AsyncSocket's stream).
   *
   * @param parts checked parts
   * @returns a promise settled when libzmq has taken the message
   */
  send(parts: Payload[]): Promise<void> {
    if (this.#stream === undefined || !this.#stream.sending()) {
      try {
        if (this.#raw.trySendMultipart(parts) !== false) return DONE;
      } catch (error) {
        return Promise.reject(error);
      }
      if (this.sendTimeout === 0) return Promise.reject(errnoError(EAGAIN));
    }
    this.#wait(1);
    return this.#socket().sendMultipart(parts).then(this.#sent, this.#unsent);
  }

  /**
   * Receives the next whole message. One receive may wait at a time.
   *
   * @returns what `convert` made of the parts
   */
  receive(): Promise<R> {
    if (this.#reading) {
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
      if (msg) return Promise.resolve(this.#convert(msg));
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.receiveTimeout === 0) return Promise.reject(errnoError(EAGAIN));
    this.#reading = true;
    this.#wait(1);
    return this.#socket().recvMultipart().then(
      this.#received,
      this.#unreceived,
    );
  }

  /**
   * Closes the socket (with its `LINGER`); what waits rejects with EAGAIN
   * "Socket was closed". Idempotent.
   *
   * @param linger `LINGER` for the close @default the socket's
   */
  close(linger?: number): void {
    if (this.#async) this.#async.close(linger);
    else if (!this.#raw.closed) this.#raw.close(linger);
  }

  #socket(): AsyncSocket {
    if (this.#async === null) {
      this.#async = new AsyncSocket(this.#raw, compatLoop());
      this.#stream = streamOf(this.#raw);
    }
    return this.#async;
  }

  #wait(delta: 1 | -1): void {
    this.#waiting += delta;
    this.#hold = this.#waiting ? this.#owner?.deref() ?? null : null;
  }

  #sent = (): void => {
    this.#wait(-1);
  };

  #unsent = (error: unknown): never => {
    this.#wait(-1);
    throw compatError(error);
  };

  #received = (msg: Uint8Array[]): R => {
    this.#reading = false;
    this.#wait(-1);
    return this.#convert(msg);
  };

  #unreceived = (error: unknown): never => {
    this.#reading = false;
    this.#wait(-1);
    throw compatError(error);
  };
}
