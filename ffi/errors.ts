/**
 * Errors raised by zmqloop, and the one checkpoint that turns a failed libzmq
 * call into a typed error.
 *
 * @module
 */

import { lib } from "./library.ts";
import { EAGAIN, EINTR, ERRNO, errnoName, ETERM } from "./errno.ts";

/** libzmq's text for an errno (`zmq_strerror`), or its symbolic name. */
export function strerror(errno: number): string {
  try {
    const ptr = lib().zmq_strerror(errno);
    if (ptr) return Deno.UnsafePointerView.getCString(ptr);
  } catch {
    // The library is not loadable: fall back to the code's name.
  }
  return errnoName(errno);
}

/**
 * An error reported by libzmq (or a misuse zmqloop detects with the same
 * codes). `code` is the symbolic name, `errno` the running OS's number.
 *
 * @example Catching a bad endpoint
 * ```ts
 * import { Context, PUB, ZMQError } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const sock = ctx.socket(PUB);
 * try {
 *   sock.bind("tcp://127.0.0.1:notaport");
 * } catch (error) {
 *   if (error instanceof ZMQError) console.log(error.code); // "EINVAL"
 * } finally {
 *   sock.close();
 *   ctx.term();
 * }
 * ```
 */
export class ZMQError extends Error {
  /** The error number on the running OS. */
  readonly errno: number;
  /** The symbolic name, e.g. `"EAGAIN"`. */
  readonly code: string;

  /**
   * Creates the error for an errno.
   *
   * @param errno the error number (as `zmq_errno()` returns it)
   * @param what what was being done, prefixed to libzmq's text
   * @param detail replaces libzmq's text when given
   */
  constructor(errno: number, what?: string, detail?: string) {
    const text = detail ?? strerror(errno);
    super(what ? `${what}: ${text}` : text);
    this.errno = errno;
    this.code = errnoName(errno);
    this.name = "ZMQError";
  }
}

/**
 * A non-blocking operation could not complete now (`EAGAIN`).
 *
 * @example
 * ```ts
 * import { Again, Context, NOBLOCK, PULL } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const pull = ctx.socket(PULL);
 * try {
 *   pull.recv(NOBLOCK);
 * } catch (error) {
 *   console.log(error instanceof Again); // true
 * }
 * ctx.destroy();
 * ```
 */
export class Again extends ZMQError {
  /**
   * Creates the error.
   *
   * @param what what was being done
   */
  constructor(what?: string) {
    super(EAGAIN, what);
    this.name = "Again";
  }
}

/**
 * The socket's context was terminated (`ETERM`).
 *
 * @example
 * ```ts
 * import { Context, ContextTerminated } from "@zmqloop/zmq";
 * const ctx = new Context();
 * ctx.term();
 * try {
 *   ctx.socket(1);
 * } catch (error) {
 *   console.log(error instanceof ContextTerminated); // true
 * }
 * ```
 */
export class ContextTerminated extends ZMQError {
  /**
   * Creates the error.
   *
   * @param what what was being done
   */
  constructor(what?: string) {
    super(ETERM, what);
    this.name = "ContextTerminated";
  }
}

/**
 * A resource is in use and cannot be used or released now (`EBUSY`): a
 * socket lent to a running proxy, a context whose sockets are still open.
 * zmqloop raises it; libzmq does not.
 *
 * @example
 * ```ts
 * import { BusyError, Context, PUSH } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const s = ctx.socket(PUSH);
 * try {
 *   ctx.term(); // a socket is still open
 * } catch (error) {
 *   console.log(error instanceof BusyError, (error as BusyError).code); // true "EBUSY"
 * }
 * s.close();
 * ctx.term();
 * ```
 */
export class BusyError extends ZMQError {
  /**
   * Creates the error.
   *
   * @param what what was being done
   * @param why what holds the resource
   */
  constructor(what: string, why: string) {
    super(ERRNO.EBUSY, what, why);
    this.name = "BusyError";
  }
}

/** Builds the typed error for an errno. */
export function errorFor(errno: number, what?: string): ZMQError {
  if (errno === EAGAIN) return new Again(what);
  if (errno === ETERM) return new ContextTerminated(what);
  return new ZMQError(errno, what);
}

/**
 * The checkpoint every failed libzmq call goes through. Call it after a
 * call returned a negative result, with the same call as a function: it is
 * run again while a signal interrupted it (EINTR: libzmq processes its
 * mailbox in most calls, so any signal delivered to this thread can surface
 * there). Returns the first result >= 0; -1 when `soft` accepts the errno
 * (EAGAIN for a non-blocking try, say); otherwise throws the typed error.
 *
 * Hot paths call libzmq directly and reach this only on failure, so the
 * closure is made only then; they read the errno first (`first`), before
 * anything is allocated: an allocation may run the garbage collector, whose
 * system calls can overwrite the thread's errno.
 *
 * @param call the libzmq call, again
 * @param what what was being done, for the error
 * @param soft errnos that are not errors here
 * @param first the errno of the failed call, read right after it
 * @returns the call's result, or -1 for a soft errno
 */
export function recover(
  call: () => number,
  what: string,
  soft?: (errno: number) => boolean,
  first: number = lib().zmq_errno(),
): number {
  const sym = lib();
  for (let errno = first;; errno = sym.zmq_errno()) {
    if (errno !== EINTR) {
      if (soft?.(errno)) return -1;
      throw errorFor(errno, what);
    }
    const rc = call();
    if (rc >= 0) return rc;
  }
}

/**
 * Runs a libzmq call that returns an int and throws its typed error when it
 * fails, after `recover`'s EINTR retries.
 *
 * @param call the libzmq call
 * @param what what was being done, for the error
 * @returns the call's result (>= 0)
 */
export function check(call: () => number, what: string): number {
  const rc = call();
  return rc >= 0 ? rc : recover(call, what);
}

/** The typed error for the last failed libzmq call (no retry). */
export function lastError(what?: string): ZMQError {
  return errorFor(lib().zmq_errno(), what);
}

/**
 * Runs a libzmq call again while EINTR interrupts it and returns its last
 * result, leaving other errors for `lastError()` (an older form of `check`).
 *
 * @param call the libzmq call
 * @returns its result
 */
export function retryEintr(call: () => number): number {
  const rc = call();
  return rc >= 0 ? rc : recover(call, "", () => true);
}
