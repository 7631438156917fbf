/**
 * A ZAP handler (RFC 27) served by a ZMQStream on an IOLoop: PyZMQ's
 * `zmq.auth.ioloop.IOLoopAuthenticator` for Deno.
 *
 * @module
 */

import { Context } from "../ffi/context.ts";
import { ROUTER } from "../ffi/constants.ts";
import { EADDRINUSE } from "../ffi/errno.ts";
import { ZMQError } from "../ffi/errors.ts";
import { IOLoop } from "../loop/ioloop.ts";
import { ZMQStream } from "../stream/zmqstream.ts";
import {
  type AuthDecision,
  type CurveCallback,
  ZAP_ENDPOINT,
  ZapPolicy,
  zapReply,
} from "./_zap_policy.ts";

export {
  type AuthDecision,
  CURVE_ALLOW_ANY,
  type CurveCallback,
  ZAP_ENDPOINT,
} from "./_zap_policy.ts";

/** Options of an Authenticator. */
export interface AuthenticatorOptions {
  /** The loop serving ZAP requests. @default IOLoop.instance() */
  ioLoop?: IOLoop;
  /** Called with each decision, e.g. for logging. */
  onDecision?: (decision: AuthDecision) => void;
}

/**
 * Authenticates the peers of every socket of a context that uses a
 * security mechanism (or sets `ZAP_DOMAIN` with NULL). Start it before
 * binding the server sockets.
 *
 * Rules follow PyZMQ: `allow` and `deny` filter by IP address first (an
 * allow list refuses every other address; the two cannot be mixed); NULL is
 * then accepted; PLAIN checks user name and password for the domain (`"*"`
 * matches any); CURVE accepts any key (`CURVE_ALLOW_ANY`), the keys of a
 * certificate folder or list, or asks a callback. Replies carry `User-Id`:
 * the PLAIN user name, or the CURVE client's Z85 public key, readable on the
 * server as `frame.get("User-Id")`.
 *
 * @example PLAIN
 * ```ts
 * import {
 *   Authenticator, Context, IOLoop, PLAIN_PASSWORD, PLAIN_SERVER,
 *   PLAIN_USERNAME, PULL, PUSH, ZMQStream,
 * } from "@zmqloop/zmq";
 * using ctx = new Context();
 * const loop = new IOLoop();
 * const auth = new Authenticator(ctx, { ioLoop: loop });
 * auth.start();
 * auth.configurePlain("*", { admin: "secret" });
 *
 * const server = ctx.socket(PULL);
 * server.setsockopt(PLAIN_SERVER, 1);
 * const port = server.bindToRandomPort("tcp://127.0.0.1");
 * const client = ctx.socket(PUSH);
 * client.setsockopt(PLAIN_USERNAME, "admin");
 * client.setsockopt(PLAIN_PASSWORD, "secret");
 * client.connect(`tcp://127.0.0.1:${port}`);
 * client.send("hi");
 *
 * const stream = new ZMQStream(server, loop);
 * const [msg] = await new Promise<Uint8Array[]>((resolve) => {
 *   stream.onRecv(resolve);
 *   loop.start();
 * });
 * console.log(new TextDecoder().decode(msg)); // "hi"
 * loop.stop();
 * stream.close();
 * client.close();
 * auth.stop();
 * loop.close();
 * ```
 */
export class Authenticator implements Disposable {
  /** The context whose ZAP requests this serves. */
  readonly context: Context;
  /** The loop serving them. */
  readonly ioLoop: IOLoop;
  #stream: ZMQStream | null = null;
  #policy = new ZapPolicy();
  #onDecision: ((decision: AuthDecision) => void) | undefined;

  /**
   * Creates a stopped authenticator.
   *
   * @param context the server sockets' context (default `Context.instance()`)
   * @param options the loop, and a decision hook
   */
  constructor(context?: Context, options: AuthenticatorOptions = {}) {
    this.context = context ?? Context.instance();
    this.ioLoop = options.ioLoop ?? IOLoop.instance();
    this.#onDecision = options.onDecision;
  }

  /** Whether it is serving ZAP requests. */
  get running(): boolean {
    return this.#stream !== null;
  }

  /**
   * Binds `inproc://zeromq.zap.01` in the context and starts serving.
   * A no-op when running.
   *
   * @throws {ZMQError} EADDRINUSE when another authenticator runs on the context
   */
  start(): void {
    if (this.#stream) return;
    const socket = this.context.socket(ROUTER);
    try {
      socket.bind(ZAP_ENDPOINT);
    } catch (error) {
      socket.close(0);
      if (error instanceof ZMQError && error.errno === EADDRINUSE) {
        throw new ZMQError(
          EADDRINUSE,
          "Cannot start an Authenticator",
          `another one already serves ${ZAP_ENDPOINT} in this context`,
        );
      }
      throw error;
    }
    const stream = new ZMQStream(socket, this.ioLoop);
    stream.onRecv((msg) => {
      this.#handle(stream, msg).catch((error) =>
        this.ioLoop.errorHandler(error)
      );
    });
    this.#stream = stream;
  }

  /** Stops serving and unbinds. Idempotent. */
  stop(): void {
    const stream = this.#stream;
    if (!stream) return;
    this.#stream = null;
    // Unbind now: closing alone frees the inproc name only once libzmq's
    // reaper gets to it, so a start() right after would meet EADDRINUSE.
    if (!stream.isClosed) {
      try {
        stream.unbind(ZAP_ENDPOINT);
      } catch {
        // already unbound (e.g. the socket was closed underneath)
      }
    }
    stream.close(0);
  }

  /** Same as `stop()`. */
  [Symbol.dispose](): void {
    this.stop();
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
  }

  /**
   * Refuses connections from these IP addresses.
   *
   * @param addresses IP addresses
   * @throws {ZMQError} EINVAL when `allow` was used
   */
  deny(...addresses: string[]): void {
    this.#policy.deny(...addresses);
  }

  /**
   * Sets the PLAIN user names and passwords of a domain.
   *
   * @param domain the ZAP domain (`"*"`: any)
   * @param passwords user name → password
   */
  configurePlain(
    domain = "*",
    passwords: Record<string, string> = {},
  ): void {
    this.#policy.configurePlain(domain, passwords);
  }

  /**
   * Sets which CURVE clients a domain accepts: any (`CURVE_ALLOW_ANY`), the
   * public certificates (`*.key`) of a folder, or a list of Z85 public keys.
   *
   * @param domain the ZAP domain (`"*"`: any)
   * @param location `CURVE_ALLOW_ANY`, a folder, or Z85 public keys
   * @throws {CertificateError} for a missing folder or a bad certificate in it
   * @throws {RangeError} for a key that is not 40 Z85 characters
   */
  configureCurve(domain = "*", location: string | string[] = ""): void {
    this.#policy.configureCurve(domain, location);
  }

  /**
   * Lets a callback decide on each CURVE client of every domain (`"*"`).
   *
   * @param callback `(domain, publicKey) => boolean | Promise<boolean>`
   */
  configureCurveCallback(callback: CurveCallback): void;
  /**
   * Lets a callback decide on each CURVE client of one domain.
   *
   * @param domain the ZAP domain (`"*"`: any)
   * @param callback `(domain, publicKey) => boolean | Promise<boolean>`
   */
  configureCurveCallback(domain: string, callback: CurveCallback): void;
  configureCurveCallback(
    domainOrCallback: string | CurveCallback,
    callback?: CurveCallback,
  ): void {
    this.#policy.configureCurveCallback(domainOrCallback, callback);
  }

  async #handle(stream: ZMQStream, msg: Uint8Array[]): Promise<void> {
    // ROUTER envelope: [peer, "", ...request]
    const envelope = msg.slice(0, 2);
    const request = msg.slice(2);
    const reply = (
      requestId: Uint8Array | string,
      decision: Omit<AuthDecision, "status"> & {
        status: AuthDecision["status"];
      },
    ) => {
      // Reply first: a hook that throws must not leave a client hanging.
      if (!stream.isClosed) {
        stream.sendMultipart(zapReply(envelope, { requestId, ...decision }));
      }
      const hook = this.#onDecision;
      if (!hook) return;
      try {
        const result: unknown = hook(decision);
        if (result instanceof Promise) {
          result.catch((error) => this.ioLoop.errorHandler(error));
        }
      } catch (error) {
        this.ioLoop.errorHandler(error);
      }
    };
    if (envelope.length < 2) {
      reply(request[1] ?? "", {
        domain: "",
        address: "",
        mechanism: "",
        userId: "",
        status: "400",
        reason:
          `Malformed ZAP request: ${request.length} frames, expected 6 or more`,
      });
      return;
    }
    const { requestId, ...decision } = await this.#policy.decide(
      request,
      (error) => this.ioLoop.errorHandler(error),
    );
    reply(requestId, decision);
  }
}
