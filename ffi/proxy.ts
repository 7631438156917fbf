/**
 * ZeroMQ's built-in proxy (`zmq_proxy_steerable`) on its own native thread,
 * so the JavaScript thread and its loop keep running.
 *
 * @module
 */

import { PAIR, PULL, SOCKET_TYPE_NAMES, SUB } from "./constants.ts";
import { ENOTSUP } from "./errno.ts";
import { describe } from "./bytes.ts";
import { BusyError, ZMQError } from "./errors.ts";
import { lib } from "./library.ts";
import { kGiveBack, kLend, kTouched, Socket } from "./socket.ts";

let nextProxyId = 0;

/**
 * A running `zmq_proxy_steerable` between a frontend and a backend socket
 * (and optionally a capture socket that gets a copy of every message). It
 * runs on a native thread; `pause()`, `resume()` and `terminate()` steer it
 * through a control socket. While it runs, the sockets belong to it: using,
 * closing them, or destroying their context throws EBUSY.
 *
 * @example A ROUTER/DEALER broker
 * ```ts
 * import { Context, DEALER, REP, REQ, ROUTER, SteerableProxy } from "@zmqloop/zmq";
 * using ctx = new Context();
 * const frontend = ctx.socket(ROUTER);
 * frontend.bind("inproc://front");
 * const backend = ctx.socket(DEALER);
 * backend.bind("inproc://back");
 * const proxy = new SteerableProxy(frontend, backend);
 *
 * const worker = ctx.socket(REP);
 * worker.connect("inproc://back");
 * const client = ctx.socket(REQ);
 * client.connect("inproc://front");
 * client.send("ping");
 * worker.send(worker.recv()); // the proxy thread carries both ways
 * console.log(client.recvString()); // "ping"
 *
 * await proxy.terminate();
 * for (const s of [client, worker, frontend, backend]) s.close();
 * ```
 */
export class SteerableProxy implements AsyncDisposable {
  /** Settles when the proxy has ended and given its sockets back. */
  readonly done: Promise<void>;
  #command: Socket;
  #ended = false;

  /**
   * Starts the proxy on its own thread.
   *
   * @param frontend the socket clients talk to
   * @param backend the socket workers talk to
   * @param capture gets a copy of every message (PUB, PUSH, ...)
   * @throws {ZMQError} ENOTSOCK for a closed socket, EBUSY for one in use
   */
  constructor(frontend: Socket, backend: Socket, capture?: Socket | null) {
    for (const [role, s] of [["frontend", frontend], ["backend", backend]]) {
      if (!(s instanceof Socket)) {
        throw new TypeError(
          `Cannot start a proxy: the ${role} must be a Socket, got ${
            describe(s)
          }`,
        );
      }
    }
    if (capture !== undefined && capture !== null) {
      if (!(capture instanceof Socket)) {
        throw new TypeError(
          `Cannot start a proxy: the capture must be a Socket or null, got ${
            describe(capture)
          }`,
        );
      }
      if (capture === frontend || capture === backend) {
        throw new TypeError(
          "Cannot start a proxy: the capture socket must differ from the frontend and the backend",
        );
      }
      if (capture.type === SUB || capture.type === PULL) {
        // libzmq would start, then fail on the proxy's thread at the first
        // message, where its errno cannot be read: refuse it here instead.
        throw new ZMQError(
          ENOTSUP,
          "Cannot start a proxy",
          `a ${
            SOCKET_TYPE_NAMES[capture.type]
          } socket cannot send, so it cannot be the capture`,
        );
      }
    }
    // frontend === backend is an echo device (PyZMQ's ThreadDevice(..., -1)).
    const sockets = [...new Set([frontend, backend, capture ?? frontend])];
    for (const s of sockets) {
      s.unsafeHandle("start a proxy");
      // A loop watching the socket (a ZMQStream, an AsyncSocket, a handler)
      // would meet EBUSY at each look while the proxy's thread owns it.
      if (s[kTouched] !== null) {
        throw new BusyError(
          "Cannot start a proxy",
          "one of its sockets is driven by an IOLoop (a ZMQStream, an AsyncSocket or a handler); close that or remove the handler first",
        );
      }
    }
    const ctx = frontend.context;
    const endpoint = `inproc://zmqloop.proxy.${nextProxyId++}`;
    const control = new Socket(ctx, PAIR);
    const command = new Socket(ctx, PAIR);
    control.bind(endpoint);
    command.connect(endpoint);
    this.#command = command;
    const who = "a running proxy";
    const handles = new Map(sockets.map((s) => [s, s[kLend](who)]));
    const [f, b, c, k] = [
      handles.get(frontend)!,
      handles.get(backend)!,
      capture ? handles.get(capture)! : null,
      control[kLend](who),
    ];
    const call = lib().zmq_proxy_steerable(f, b, c, k) as Promise<number>;
    this.done = call.then((rc) => {
      this.#ended = true;
      for (const s of [...sockets, control]) s[kGiveBack]();
      control.close(0);
      command.close(0);
      if (rc !== 0) {
        // libzmq's errno is thread-local and stayed on the proxy's thread.
        throw new Error(
          `The proxy ended with an error: zmq_proxy_steerable returned ${rc} on its own thread, where libzmq's errno cannot be read`,
        );
      }
    });
    // Whoever awaits `done` sees the rejection; nobody awaiting it must not
    // take the process down.
    this.done.catch(() => {});
  }

  /** Whether it still runs (the opposite of `ended`). */
  get running(): boolean {
    return !this.#ended;
  }

  /** Whether it has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  #send(command: "PAUSE" | "RESUME" | "TERMINATE"): void {
    if (this.#ended) return;
    this.#command.send(command);
  }

  /** Stops forwarding (messages wait in the sockets' queues). */
  pause(): void {
    this.#send("PAUSE");
  }

  /** Forwards again after `pause()`. */
  resume(): void {
    this.#send("RESUME");
  }

  /**
   * Ends the proxy; resolves once its thread has returned the sockets.
   * Idempotent.
   */
  terminate(): Promise<void> {
    try {
      this.#send("TERMINATE");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.done;
  }

  /** Same as `terminate()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }
}

/**
 * Runs `zmq_proxy` between two sockets on a native thread; the Promise
 * settles when it ends, which is when `signal` aborts (ZeroMQ's own proxy
 * only ends with its context, which a running proxy keeps alive). Pass a
 * signal, or use `SteerableProxy` to pause and resume.
 *
 * @param frontend the socket clients talk to
 * @param backend the socket workers talk to
 * @param capture gets a copy of every message
 * @param options `signal` ends the proxy
 * @returns a Promise that settles when the proxy has ended
 *
 * @example
 * ```ts
 * import { Context, proxy, PULL, PUSH } from "@zmqloop/zmq";
 * using ctx = new Context();
 * const [inbox, outbox] = [ctx.socket(PULL), ctx.socket(PUSH)];
 * inbox.bind("inproc://in");
 * outbox.bind("inproc://out");
 * const stop = new AbortController();
 * const running = proxy(inbox, outbox, null, { signal: stop.signal });
 * const [producer, consumer] = [ctx.socket(PUSH), ctx.socket(PULL)];
 * producer.connect("inproc://in");
 * consumer.connect("inproc://out");
 * producer.send("through the proxy");
 * console.log(consumer.recvString()); // "through the proxy"
 * stop.abort();
 * await running;
 * for (const s of [producer, consumer, inbox, outbox]) s.close();
 * ```
 */
export function proxy(
  frontend: Socket,
  backend: Socket,
  capture?: Socket | null,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  let running: SteerableProxy;
  try {
    options.signal?.throwIfAborted();
    running = new SteerableProxy(frontend, backend, capture);
  } catch (error) {
    return Promise.reject(error);
  }
  const stop = () => running.terminate();
  options.signal?.addEventListener("abort", stop, { once: true });
  return running.done.finally(() =>
    options.signal?.removeEventListener("abort", stop)
  );
}
