/**
 * `ThreadAuthenticator`: ZAP served by a Worker that shares the server's
 * zmq context (PyZMQ's `zmq.auth.thread.ThreadAuthenticator`).
 *
 * @module
 */

import { Context } from "../ffi/context.ts";
import { PAIR } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import { ZMQError } from "../ffi/errors.ts";
import type { Socket } from "../ffi/socket.ts";
import { LINGER } from "../ffi/options.ts";
import { ZapPolicy, type ZapPolicySnapshot } from "./_zap_policy.ts";

const STOP_TIMEOUT = 5_000;

/** @internal The message that starts the Worker (`_zap_worker.ts`). */
export interface ZapWorkerStart {
  /** `context.underlying` of the server sockets' context. */
  address: bigint;
  /** The inproc endpoint the owner's control PAIR is bound to. */
  control: string;
  /** Set to 1 by the owner when it gives up on the Worker (checked at every wake). */
  quit: Int32Array;
}

/** @internal A message on the control PAIR (JSON). */
export type ZapControl =
  | { op: "policy"; snapshot: ZapPolicySnapshot }
  | { op: "stop" };

let nextControl = 0;

/** Options of `ThreadAuthenticator.start()`. */
export interface ThreadAuthenticatorStartOptions {
  /** Aborting rejects `start()` with the signal's reason and stops the Worker. */
  signal?: AbortSignal;
}

/**
 * Authenticates the peers of a context's secured sockets from a Worker, so
 * the thread that owns the sockets may block (`socket.recv()`,
 * `socket.send()`, `Poller.poll()`) while handshakes need a ZAP answer: the
 * loop-driven `Authenticator` cannot answer while its thread is blocked.
 * The rules are those of `Authenticator` (one implementation): `allow` /
 * `deny` by IP address, PLAIN passwords, CURVE keys (`CURVE_ALLOW_ANY`, a
 * folder of certificates, or a list of Z85 keys). A change takes effect
 * for the next handshake. CURVE callbacks (`configureCurveCallback`) stay
 * `Authenticator`-only: a JavaScript function cannot cross to the Worker.
 *
 * While it runs the Worker keeps the process alive and holds sockets in the
 * context (so `context.term()` refuses with EBUSY): `stop()` it, or use
 * `await using`.
 *
 * @example Blocking calls on a PLAIN-secured pair
 * ```ts
 * import {
 *   Context, PLAIN_PASSWORD, PLAIN_SERVER, PLAIN_USERNAME, PULL, PUSH,
 *   ThreadAuthenticator,
 * } from "@zmqloop/zmq";
 * using ctx = new Context();
 * await using auth = new ThreadAuthenticator(ctx);
 * await auth.start();
 * auth.configurePlain("*", { admin: "secret" });
 * const server = ctx.socket(PUSH);
 * server.setsockopt(PLAIN_SERVER, 1);
 * const port = server.bindToRandomPort("tcp://127.0.0.1");
 * const client = ctx.socket(PULL);
 * client.setsockopt(PLAIN_USERNAME, "admin");
 * client.setsockopt(PLAIN_PASSWORD, "secret");
 * client.connect(`tcp://127.0.0.1:${port}`);
 * server.send("Hello");             // blocks until the handshake is done
 * console.log(client.recvString()); // "Hello"
 * client.close();
 * server.close();
 * await auth.stop();
 * ```
 */
export class ThreadAuthenticator implements AsyncDisposable {
  /** The context whose ZAP requests this serves. */
  readonly context: Context;
  #policy = new ZapPolicy();
  #worker: Worker | null = null;
  #control: Socket | null = null;
  #starting: Promise<void> | null = null;
  #quit: Int32Array | null = null;

  /**
   * Creates a stopped authenticator.
   *
   * @param context the server sockets' context (default `Context.instance()`)
   */
  constructor(context?: Context) {
    if (context !== undefined && !(context instanceof Context)) {
      throw new TypeError(
        `Cannot create a ThreadAuthenticator: expected a Context, got ${typeof context}`,
      );
    }
    this.context = context ?? Context.instance();
  }

  /** Whether the Worker is serving ZAP requests (PyZMQ: `is_alive()`). */
  get running(): boolean {
    return this.#worker !== null && this.#starting === null;
  }

  /**
   * Starts the Worker, which binds `inproc://zeromq.zap.01` in the context;
   * resolves once it serves. A no-op when running.
   *
   * @param options an AbortSignal
   * @throws {ZMQError} EADDRINUSE when another authenticator serves the context
   */
  start(options: ThreadAuthenticatorStartOptions = {}): Promise<void> {
    if (this.#starting) return this.#starting;
    if (this.#worker) return Promise.resolve();
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const endpoint =
      `inproc://zmqloop.zap.control.${Deno.pid}.${nextControl++}`;
    const control = this.context.socket(PAIR);
    control.setsockopt(LINGER, 0);
    control.bind(endpoint);
    const worker = new Worker(
      new URL("./_zap_worker.ts", import.meta.url).href,
      {
        type: "module",
      },
    );
    this.#worker = worker;
    this.#control = control;
    const quit = this.#quit = new Int32Array(new SharedArrayBuffer(4));
    this.#starting = new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => {
        cleanup();
        this.#teardown();
        reject(error);
      };
      const onAbort = () => fail(signal!.reason);
      const onError = (event: ErrorEvent) => {
        event.preventDefault();
        fail(
          new Error(
            `Cannot start the ThreadAuthenticator: its Worker failed: ${event.message}`,
          ),
        );
      };
      const onMessage = (event: MessageEvent) => {
        const data = event.data as {
          ready?: boolean;
          error?: string;
          code?: string;
        };
        if (data.ready) {
          cleanup();
          this.#starting = null;
          this.#send({ op: "policy", snapshot: this.#policy.snapshot() });
          resolve();
        } else if (data.error !== undefined) {
          const errno = data.code && data.code in ERRNO
            ? ERRNO[data.code as keyof typeof ERRNO]
            : ERRNO.EINVAL;
          fail(
            new ZMQError(
              errno,
              "Cannot start the ThreadAuthenticator",
              data.error,
            ),
          );
        }
      };
      const cleanup = () => {
        signal?.removeEventListener("abort", onAbort);
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
    });
    const start: ZapWorkerStart = {
      address: this.context.underlying,
      control: endpoint,
      quit,
    };
    worker.postMessage(start);
    return this.#starting;
  }

  /**
   * Stops the Worker and waits for it to close its sockets. Idempotent.
   * A handshake in progress gets no ZAP answer and fails.
   */
  async stop(): Promise<void> {
    const found = this.#worker;
    if (!found) return;
    if (this.#starting) {
      await this.#starting.catch(() => {});
      if (this.#worker !== found) return;
    }
    const worker: Worker = found;
    const stopped = new Promise<void>((resolve) => {
      const timer = setTimeout(done, STOP_TIMEOUT);
      function done() {
        clearTimeout(timer);
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        resolve();
      }
      const onMessage = (event: MessageEvent) => {
        if ((event.data as { stopped?: boolean }).stopped) done();
      };
      const onError = (event: ErrorEvent) => {
        event.preventDefault();
        done();
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
    });
    if (this.#control?.closed === false) {
      this.#send({ op: "stop" });
      await stopped;
    } // else the context was destroyed under it: the Worker can only be terminated
    this.#teardown();
  }

  /** Same as `stop()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #teardown(): void {
    // A Worker terminated before it ran may still start serving; the flag
    // makes it stop by itself and close its sockets (within its wake time).
    if (this.#quit) Atomics.store(this.#quit, 0, 1);
    this.#quit = null;
    this.#worker?.terminate();
    this.#worker = null;
    this.#starting = null;
    this.#control?.close(0);
    this.#control = null;
  }

  #send(message: ZapControl): void {
    this.#control?.sendString(JSON.stringify(message));
  }

  /** Hands the current rules to the Worker (they decide the next handshake). */
  #changed(): void {
    if (this.#worker && !this.#starting) {
      this.#send({ op: "policy", snapshot: this.#policy.snapshot() });
    }
  }

  /**
   * Accepts connections only from these IP addresses (every other address
   * is refused, whatever the mechanism).
   *
   * @param addresses IP addresses, e.g. `"127.0.0.1"`
   * @throws {ZMQError} EINVAL when `deny` was used
   */
  allow(...addresses: string[]): void {
    this.#policy.allow(...addresses);
    this.#changed();
  }

  /**
   * Refuses connections from these IP addresses.
   *
   * @param addresses IP addresses
   * @throws {ZMQError} EINVAL when `allow` was used
   */
  deny(...addresses: string[]): void {
    this.#policy.deny(...addresses);
    this.#changed();
  }

  /**
   * Sets the PLAIN user names and passwords of a domain.
   *
   * @param domain the ZAP domain (`"*"`: any)
   * @param passwords user name → password
   */
  configurePlain(domain = "*", passwords: Record<string, string> = {}): void {
    this.#policy.configurePlain(domain, passwords);
    this.#changed();
  }

  /**
   * Sets which CURVE clients a domain accepts: any (`CURVE_ALLOW_ANY`), the
   * public certificates (`*.key`) of a folder (read now, on this thread), or
   * a list of Z85 public keys.
   *
   * @param domain the ZAP domain (`"*"`: any)
   * @param location `CURVE_ALLOW_ANY`, a folder, or Z85 public keys
   * @throws {CertificateError} for a missing folder or a bad certificate in it
   * @throws {RangeError} for a key that is not 40 Z85 characters
   */
  configureCurve(domain = "*", location: string | string[] = ""): void {
    this.#policy.configureCurve(domain, location);
    this.#changed();
  }
}
