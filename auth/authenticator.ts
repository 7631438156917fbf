/**
 * A ZAP handler (RFC 27) served by a ZMQStream on an IOLoop: PyZMQ's
 * `zmq.auth.ioloop.IOLoopAuthenticator` for Deno.
 *
 * @module
 */

import { Context } from "../ffi/context.ts";
import { ROUTER } from "../ffi/constants.ts";
import { EADDRINUSE, EINVAL } from "../ffi/errno.ts";
import { ZMQError } from "../ffi/errors.ts";
import { z85Encode } from "../ffi/z85.ts";
import { IOLoop } from "../loop/ioloop.ts";
import { ZMQStream } from "../stream/zmqstream.ts";
import { checkKey, loadCertificatesSync } from "./certs.ts";

/**
 * Accept any CURVE client key (still encrypted, not authenticated).
 *
 * @example
 * ```ts
 * import { Authenticator, Context, CURVE_ALLOW_ANY, IOLoop } from "@zmqloop/zmq";
 * using ctx = new Context();
 * const loop = new IOLoop();
 * using auth = new Authenticator(ctx, { ioLoop: loop });
 * auth.start();
 * auth.configureCurve("*", CURVE_ALLOW_ANY);
 * auth.stop();
 * loop.close();
 * ```
 */
export const CURVE_ALLOW_ANY = "*";

/** The endpoint libzmq sends ZAP requests to (RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/** Decides on a CURVE client key (Z85); may be async. */
export type CurveCallback = (
  domain: string,
  publicKey: string,
) => boolean | Promise<boolean>;

/** Options of an Authenticator. */
export interface AuthenticatorOptions {
  /** The loop serving ZAP requests. @default IOLoop.instance() */
  ioLoop?: IOLoop;
  /** Called with each decision, e.g. for logging. */
  onDecision?: (decision: AuthDecision) => void;
}

/** One ZAP decision, as given to `onDecision`. */
export interface AuthDecision {
  /** The ZAP domain of the server socket. */
  domain: string;
  /** The client's IP address. */
  address: string;
  /** `NULL`, `PLAIN` or `CURVE`. */
  mechanism: string;
  /** `200` accepted, `400` refused. */
  status: "200" | "400" | "500";
  /** Why (`OK` when accepted). */
  reason: string;
  /** The user name (PLAIN) or Z85 public key (CURVE) when accepted. */
  userId: string;
}

const VERSION = "1.0";
const decoder = new TextDecoder();
const text = (b: Uint8Array | undefined) => b ? decoder.decode(b) : "";

function describe(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : String(value);
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
  #allow = new Set<string>();
  #deny = new Set<string>();
  #passwords = new Map<string, Record<string, string>>();
  #certs = new Map<string, Record<string, true> | typeof CURVE_ALLOW_ANY>();
  #callbacks = new Map<string, CurveCallback>();
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
    if (!stream.closed()) {
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
    this.#addresses("allow", addresses, this.#allow, this.#deny);
  }

  /**
   * Refuses connections from these IP addresses.
   *
   * @param addresses IP addresses
   * @throws {ZMQError} EINVAL when `allow` was used
   */
  deny(...addresses: string[]): void {
    this.#addresses("deny", addresses, this.#deny, this.#allow);
  }

  #addresses(
    what: string,
    addresses: string[],
    into: Set<string>,
    other: Set<string>,
  ): void {
    for (const a of addresses) {
      if (typeof a !== "string" || !a) {
        throw new TypeError(
          `Cannot ${what} ${describe(a)}: expected an IP address string`,
        );
      }
    }
    if (other.size) {
      throw new ZMQError(
        EINVAL,
        `Cannot ${what} ${addresses.join(", ")}`,
        `${
          what === "allow" ? "deny" : "allow"
        }() was used already; use an allow list or a deny list, not both`,
      );
    }
    for (const a of addresses) into.add(a);
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
    if (typeof passwords !== "object" || passwords === null) {
      throw new TypeError(
        `Cannot configure PLAIN for domain "${domain}": passwords must be an object, got ${
          describe(passwords)
        }`,
      );
    }
    this.#passwords.set(domain, { ...passwords });
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
    if (Array.isArray(location)) {
      const keys: Record<string, true> = {};
      for (const key of location) {
        keys[checkKey(key, "a CURVE public key")] = true;
      }
      this.#certs.set(domain, keys);
    } else if (location === CURVE_ALLOW_ANY) {
      this.#certs.set(domain, CURVE_ALLOW_ANY);
    } else if (typeof location === "string" && location) {
      this.#certs.set(domain, loadCertificatesSync(location));
    } else {
      throw new TypeError(
        `Cannot configure CURVE for domain "${domain}": location must be CURVE_ALLOW_ANY, a folder or a list of keys, got ${
          describe(location)
        }`,
      );
    }
    this.#callbacks.delete(domain);
  }

  /**
   * Lets a callback decide on each CURVE client of a domain.
   *
   * @param domain the ZAP domain (`"*"`: any)
   * @param callback `(domain, publicKey) => boolean | Promise<boolean>`
   */
  configureCurveCallback(domain = "*", callback: CurveCallback): void {
    if (typeof callback !== "function") {
      throw new TypeError(
        `Cannot configure CURVE for domain "${domain}": expected a callback, got ${
          describe(callback)
        }`,
      );
    }
    this.#callbacks.set(domain, callback);
    this.#certs.delete(domain);
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
      if (!stream.closed()) {
        stream.sendMultipart([
          ...envelope,
          VERSION,
          requestId,
          decision.status,
          decision.reason,
          decision.userId,
          "",
        ]);
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
    const [
      version,
      requestId,
      domainB,
      addressB,
      ,
      mechanismB,
      ...credentials
    ] = request;
    const base = {
      domain: text(domainB),
      address: text(addressB),
      mechanism: text(mechanismB),
      userId: "",
    };
    if (envelope.length < 2 || request.length < 6) {
      reply(requestId ?? "", {
        ...base,
        status: "400",
        reason:
          `Malformed ZAP request: ${request.length} frames, expected 6 or more`,
      });
      return;
    }
    if (text(version) !== VERSION) {
      reply(requestId!, {
        ...base,
        status: "400",
        reason: `Unsupported ZAP version "${text(version)}"`,
      });
      return;
    }
    let [allowed, reason] = [false, "No access"];
    let denied = false;
    if (this.#allow.size) {
      if (this.#allow.has(base.address)) allowed = true;
      else [denied, reason] = [true, "Address not allowed"];
    } else if (this.#deny.size) {
      if (this.#deny.has(base.address)) {
        [denied, reason] = [true, "Address denied"];
      } else allowed = true;
    }
    let userId = "";
    if (!denied) {
      try {
        switch (base.mechanism) {
          case "NULL":
            allowed = true;
            reason = "OK";
            break;
          case "PLAIN": {
            if (credentials.length !== 2) {
              [allowed, reason] = [false, "Invalid PLAIN credentials"];
              break;
            }
            const user = text(credentials[0]);
            [allowed, reason] = this.#plain(
              base.domain,
              user,
              text(credentials[1]),
            );
            if (allowed) userId = user;
            break;
          }
          case "CURVE": {
            if (credentials.length !== 1 || credentials[0]!.length !== 32) {
              [allowed, reason] = [false, "Invalid CURVE credentials"];
              break;
            }
            const key = z85Encode(credentials[0]!);
            [allowed, reason] = await this.#curve(base.domain, key);
            if (allowed) userId = key;
            break;
          }
          default:
            [allowed, reason] = [
              false,
              `Unsupported mechanism "${base.mechanism}"`,
            ];
        }
      } catch (error) {
        // A callback that throws refuses the client and is reported.
        this.ioLoop.errorHandler(error);
        [allowed, reason] = [false, "Authentication callback failed"];
      }
    }
    reply(requestId!, {
      ...base,
      status: allowed ? "200" : "400",
      reason: allowed ? "OK" : reason,
      userId,
    });
  }

  #lookup<T>(map: Map<string, T>, domain: string): T | undefined {
    return map.get(domain || "*") ?? map.get("*");
  }

  #plain(domain: string, user: string, password: string): [boolean, string] {
    const passwords = this.#lookup(this.#passwords, domain);
    if (!passwords) return [false, `No passwords for domain "${domain}"`];
    return Object.hasOwn(passwords, user) && passwords[user] === password
      ? [true, "OK"]
      : [false, "Invalid user name or password"];
  }

  async #curve(domain: string, key: string): Promise<[boolean, string]> {
    const callback = this.#lookup(this.#callbacks, domain);
    if (callback && !this.#certs.has(domain)) {
      return (await callback(domain, key))
        ? [true, "OK"]
        : [false, "Refused by the callback"];
    }
    const certs = this.#lookup(this.#certs, domain);
    if (!certs) return [false, `No CURVE keys for domain "${domain}"`];
    if (certs === CURVE_ALLOW_ANY) return [true, "OK"];
    return Object.hasOwn(certs, key) ? [true, "OK"] : [false, "Unknown key"];
  }
}
