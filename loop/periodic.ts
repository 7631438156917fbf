/**
 * `PeriodicCallback`: calls a function every `callbackTime` ms on an IOLoop,
 * on a fixed grid (missed slots are skipped, not caught up), tornado style.
 *
 * @module
 */

import { describe } from "../ffi/bytes.ts";
import { IOLoop } from "./ioloop.ts";
import type { Timeout } from "./timeouts.ts";

/** Options of a `PeriodicCallback`. */
export interface PeriodicCallbackOptions {
  /**
   * Randomises each period by `period × (1 + jitter × (random − 0.5))`.
   * @default 0
   */
  jitter?: number;
  /** The loop to run on. @default IOLoop.instance() */
  ioLoop?: IOLoop;
}

/**
 * Calls `callback` every `callbackTime` ms once started. The first call comes
 * one period after `start()`. A callback that returns a Promise is awaited
 * before the next run is scheduled, so runs never overlap. A callback that
 * throws is reported by the loop and the schedule goes on.
 *
 * @example A heartbeat
 * ```ts
 * import { IOLoop, PeriodicCallback } from "@zmqloop/zmq";
 * const loop = new IOLoop();
 * let beats = 0;
 * const heartbeat = new PeriodicCallback(() => {
 *   if (++beats === 3) loop.stop();
 * }, 10, { ioLoop: loop });
 * heartbeat.start();
 * await loop.start();
 * heartbeat.stop();
 * loop.close();
 * console.log(beats); // 3
 * ```
 */
export class PeriodicCallback {
  #callback: () => unknown;
  #period: number;
  #jitter: number;
  #loop: IOLoop;
  #running = false;
  #next = 0;
  #timeout: Timeout | null = null;

  /**
   * Creates a stopped periodic callback.
   *
   * @param callback the function to call
   * @param callbackTime the period in ms (> 0)
   * @param options jitter and the loop
   * @throws {TypeError} when callback is not a function
   * @throws {RangeError} when callbackTime is not a positive number
   */
  constructor(
    callback: () => unknown,
    callbackTime: number,
    options: PeriodicCallbackOptions = {},
  ) {
    if (typeof callback !== "function") {
      throw new TypeError(
        `Cannot create a PeriodicCallback: expected a function, got ${
          describe(callback)
        }`,
      );
    }
    if (
      typeof callbackTime !== "number" || !(callbackTime > 0) ||
      !Number.isFinite(callbackTime)
    ) {
      throw new RangeError(
        `Cannot create a PeriodicCallback: callbackTime must be a positive number of ms, got ${
          String(callbackTime)
        }`,
      );
    }
    const jitter = options.jitter ?? 0;
    if (typeof jitter !== "number" || !(jitter >= 0)) {
      throw new RangeError(
        `Cannot create a PeriodicCallback: jitter must be a number >= 0, got ${
          String(jitter)
        }`,
      );
    }
    this.#callback = callback;
    this.#period = callbackTime;
    this.#jitter = jitter;
    this.#loop = options.ioLoop ?? IOLoop.instance();
  }

  /** Starts calling; a no-op when running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#next = this.#loop.time();
    this.#scheduleNext();
  }

  /** Stops calling; a no-op when stopped. */
  stop(): void {
    this.#running = false;
    if (this.#timeout) {
      if (!this.#loop.closed) this.#loop.removeTimeout(this.#timeout);
      this.#timeout = null;
    }
  }

  /** Whether it is started. */
  isRunning(): boolean {
    return this.#running;
  }

  #run = (): void => {
    this.#timeout = null;
    if (!this.#running) return;
    let result: unknown;
    try {
      result = this.#callback();
    } catch (error) {
      this.#scheduleNext();
      throw error; // the loop reports it
    }
    if (result instanceof Promise) {
      result.then(
        () => this.#scheduleNext(),
        (error) => {
          this.#scheduleNext();
          if (!this.#loop.closed) this.#loop.errorHandler(error);
        },
      );
    } else this.#scheduleNext();
  };

  #scheduleNext(): void {
    if (!this.#running || this.#loop.closed) return;
    const now = this.#loop.time();
    let period = this.#period;
    if (this.#jitter) period *= 1 + this.#jitter * (Math.random() - 0.5);
    if (this.#next <= now) {
      // Skip the slots missed, land on the grid after now.
      this.#next += (Math.floor((now - this.#next) / period) + 1) * period;
    } else {
      this.#next += period; // the clock went backwards: keep going
    }
    this.#timeout = this.#loop.callAt(this.#next, this.#run);
  }
}
