/**
 * Internal helpers shared by the loop and the layers above it (stream/):
 * calling user code so that a throw *or* a rejected Promise reaches the
 * loop's `errorHandler`, and learning when a loop closes. Not exported from
 * mod.ts.
 *
 * - `callUser(loop, fn, ...args)`: call a user function; a synchronous throw
 *   and an asynchronous rejection both go to `loop.errorHandler` (never an
 *   unhandled rejection). Returns fn's result (undefined when it threw).
 * - `reportError(loop, error)`: hand an error to `loop.errorHandler`, guarded
 *   (an error handler that throws is printed, not propagated).
 * - `addCloseListener(loop, fn)`: run `fn()` once when `loop.close()` runs
 *   (after the loop has dropped its handlers, callbacks and timeouts);
 *   returns a function that removes the listener. On a closed loop, `fn` is
 *   called at once.
 * - `checkFunction(fn, what)`, `checkOptionsObject(options, what)`: the
 *   argument checks the loop's constructors and methods share.
 *
 * @module
 */

import type { IOLoop } from "./ioloop.ts";
import { describe } from "../ffi/bytes.ts";

/** Throws a TypeError ("Cannot <what>: expected a function") unless `fn` is one. */
export function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot ${what}: expected a function, got ${describe(fn)}`,
    );
  }
}

/** Throws a TypeError unless `options` is an object (not null). */
export function checkOptionsObject(options: unknown, what: string): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${what}: expected an options object, got ${describe(options)}`,
    );
  }
}

/**
 * Hands `error` to the loop's `errorHandler`; an error handler that throws
 * is printed with `console.error`, never propagated.
 */
export function reportError(loop: IOLoop, error: unknown): void {
  try {
    loop.errorHandler(error);
  } catch (inner) {
    console.error("IOLoop: the error handler threw:", inner, error);
  }
}

/**
 * Calls a user function on behalf of `loop`: a throw, and a rejection of a
 * returned Promise (or thenable), go to the loop's `errorHandler`.
 *
 * @returns fn's result; undefined when it threw
 */
export function callUser<A extends unknown[]>(
  loop: IOLoop,
  fn: (...args: A) => unknown,
  ...args: A
): unknown {
  let result: unknown;
  try {
    result = fn(...args);
  } catch (error) {
    reportError(loop, error);
    return undefined;
  }
  if (result !== null && typeof result === "object") watch(loop, result);
  return result;
}

/** Reports a rejection of `result`, when it is a thenable. */
export function watch(loop: IOLoop, result: object): void {
  if (result instanceof Promise) {
    result.then(undefined, (error) => reportError(loop, error));
    return;
  }
  try {
    const then = (result as { then?: unknown }).then;
    if (typeof then === "function") {
      then.call(
        result,
        undefined,
        (error: unknown) => reportError(loop, error),
      );
    }
  } catch (error) {
    reportError(loop, error);
  }
}

const closeListeners = new WeakMap<IOLoop, Set<() => void>>();

/**
 * Runs `fn` once when `loop` closes (at once when it already is).
 *
 * @returns removes the listener
 */
export function addCloseListener(loop: IOLoop, fn: () => void): () => void {
  if (loop.closed) {
    callUser(loop, fn);
    return () => {};
  }
  let set = closeListeners.get(loop);
  if (!set) closeListeners.set(loop, set = new Set());
  const entry = () => fn();
  set.add(entry);
  return () => void set.delete(entry);
}

/** Called by `IOLoop.close()`: runs and forgets the close listeners. */
export function runCloseListeners(loop: IOLoop): void {
  const set = closeListeners.get(loop);
  if (!set) return;
  closeListeners.delete(loop);
  for (const fn of set) callUser(loop, fn);
}

const drainers = new WeakMap<IOLoop, Set<() => Promise<void>>>();

/**
 * Registers what `await using loop` waits for before it closes: a stream's
 * queued sends being written (each drainer bounds its own wait).
 *
 * @returns removes the drainer
 */
export function addDrainer(loop: IOLoop, fn: () => Promise<void>): () => void {
  let set = drainers.get(loop);
  if (!set) drainers.set(loop, set = new Set());
  set.add(fn);
  return () => void set.delete(fn);
}

/** Waits for every drainer of `loop` (their errors are reported, not thrown). */
export async function drainAll(loop: IOLoop): Promise<void> {
  const set = drainers.get(loop);
  if (!set) return;
  await Promise.all(
    [...set].map((fn) => fn().catch((error) => reportError(loop, error))),
  );
}
