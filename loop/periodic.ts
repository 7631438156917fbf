/**
 * `PeriodicCallback`: calls a function every `callbackTime` ms on an IOLoop,
 * on a fixed grid (missed slots are skipped, not caught up), tornado style.
 *
 * @module
 */

import { describe } from "../ffi/bytes.ts";
import { IOLoop, LoopClosedError } from "./ioloop.ts";
import type { Timeout } from "./timeouts.ts";
import { checkFunction, checkOptionsObject, reportError } from "./_internal.ts";

/** Options of a `PeriodicCallback`. */
export interface PeriodicCallbackOptions {
  /**
   * Randomises each period by `period × (1 + jitter × (random − 0.5))`; a
   * finite number from 0 to 1 (0.1 is ±5%).
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
 * throws, or whose Promise rejects, is reported to the loop's
 * `errorHandler` and the schedule goes on.
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
   * @param callbackTime the period in ms (> 0 and finite; 3e9, about 35
   * days, is fine)
   * @param options jitter and the loop
   * @throws {TypeError} when callback is not a function, options not an
   * object or ioLoop not an IOLoop
   * @throws {RangeError} when callbackTime is not a positive finite number
   * or jitter not a number from 0 to 1
   */
  constructor(
    callback: () => unknown,
    callbackTime: number,
    options: PeriodicCallbackOptions = {},
  ) {
    checkFunction(callback, "create a PeriodicCallback");
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
    checkOptionsObject(options, "create a PeriodicCallback");
    const jitter = options.jitter ?? 0;
    if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
      throw new RangeError(
        `Cannot create a PeriodicCallback: jitter must be a number from 0 to 1, got ${
          typeof jitter === "number" ? jitter : describe(jitter)
        }`,
      );
    }
    if (options.ioLoop !== undefined && !(options.ioLoop instanceof IOLoop)) {
      throw new TypeError(
        `Cannot create a PeriodicCallback: ioLoop must be an IOLoop, got ${
          describe(options.ioLoop)
        }`,
      );
    }
    this.#callback = callback;
    this.#period = callbackTime;
    this.#jitter = jitter;
    this.#loop = options.ioLoop ?? IOLoop.instance();
  }

  /**
   * Starts calling; a no-op when running.
   *
   * @throws {LoopClosedError} when its loop is closed (nothing changes)
   */
  start(): void {
    if (this.#running) return;
    if (this.#loop.closed) {
      throw new LoopClosedError("start a PeriodicCallback");
    }
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

  /** Whether it is started (false once its loop has closed). */
  isRunning(): boolean {
    if (this.#running && this.#loop.closed) this.stop();
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
    if (
      result !== null && typeof result === "object" &&
      typeof (result as { then?: unknown }).then === "function"
    ) {
      // Await it (runs never overlap); a rejection is reported.
      Promise.resolve(result).then(
        () => this.#scheduleNext(),
        (error) => {
          this.#scheduleNext();
          reportError(this.#loop, error);
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
