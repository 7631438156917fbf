/**
 * The ZAP policy (RFC 27) shared by `Authenticator` (on an IOLoop) and
 * `ThreadAuthenticator` (on a Worker): the allow/deny lists, PLAIN
 * passwords and CURVE keys, and the decision for one ZAP request. Pure: no
 * sockets, no loop.
 *
 * @module
 */

import { describe } from "../ffi/bytes.ts";
import { EINVAL } from "../ffi/errno.ts";
import { ZMQError } from "../ffi/errors.ts";
import { z85Encode } from "../ffi/z85.ts";
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

/** Decides on a CURVE client key (Z85); may be async. */
export type CurveCallback = (
  domain: string,
  publicKey: string,
) => boolean | Promise<boolean>;

/** One ZAP decision, as given to `onDecision`. */
export interface AuthDecision {
  /** The ZAP domain of the server socket. */
  domain: string;
  /** The client's IP address. */
  address: string;
  /** `NULL`, `PLAIN` or `CURVE`. */
  mechanism: string;
  /** `200` accepted, `400` refused. */
  status: "200" | "400";
  /** Why (`OK` when accepted). */
  reason: string;
  /** The user name (PLAIN) or Z85 public key (CURVE) when accepted. */
  userId: string;
}

/** A decision and the request id its reply must carry. */
export interface ZapVerdict extends AuthDecision {
  /** The request's id frame, echoed in the reply. */
  requestId: Uint8Array | string;
}

/** The endpoint libzmq sends ZAP requests to (RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/** The ZAP version zmqloop speaks. */
export const ZAP_VERSION = "1.0";
const decoder = new TextDecoder();
const text = (b: Uint8Array | undefined) => b ? decoder.decode(b) : "";

/** How a domain decides on CURVE clients: one entry per domain. */
type CurvePolicy =
  | { kind: "any" }
  | { kind: "keys"; keys: Record<string, true> }
  | { kind: "callback"; callback: CurveCallback };

/**
 * The ZAP reply frames (RFC 27) for a request's ROUTER envelope and its
 * verdict: the one place a reply is encoded.
 *
 * @param envelope the ROUTER envelope (peer id and the empty delimiter)
 * @param verdict the decision
 * @returns the frames to send
 */
export function zapReply(
  envelope: Uint8Array[],
  verdict: Pick<ZapVerdict, "requestId" | "status" | "reason" | "userId">,
): (Uint8Array | string)[] {
  return [
    ...envelope,
    ZAP_VERSION,
    verdict.requestId,
    verdict.status,
    verdict.reason,
    verdict.userId,
    "",
  ];
}

/** A policy's rules as plain data (structured-cloneable), CURVE callbacks left out. */
export interface ZapPolicySnapshot {
  allow: string[];
  deny: string[];
  passwords: [string, Record<string, string>][];
  certs: [string, Record<string, true> | typeof CURVE_ALLOW_ANY][];
}

/** The rules, and the decision for a request (see `Authenticator`). */
export class ZapPolicy {
  #allow = new Set<string>();
  #deny = new Set<string>();
  #passwords = new Map<string, Record<string, string>>();
  #curvePolicies = new Map<string, CurvePolicy>();

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
      this.#curvePolicies.set(domain, { kind: "keys", keys });
    } else if (location === CURVE_ALLOW_ANY) {
      this.#curvePolicies.set(domain, { kind: "any" });
    } else if (typeof location === "string" && location) {
      this.#curvePolicies.set(domain, {
        kind: "keys",
        keys: loadCertificatesSync(location),
      });
    } else {
      throw new TypeError(
        `Cannot configure CURVE for domain "${domain}": location must be CURVE_ALLOW_ANY, a folder or a list of keys, got ${
          describe(location)
        }`,
      );
    }
  }

  /**
   * Lets a callback decide on each CURVE client of a domain.
   *
   * @param domain the ZAP domain (`"*"`: any)
   * @param callback `(domain, publicKey) => boolean | Promise<boolean>`
   */
  configureCurveCallback(
    domainOrCallback: string | CurveCallback,
    callback?: CurveCallback,
  ): void {
    const [domain, fn] = typeof domainOrCallback === "function"
      ? ["*", domainOrCallback]
      : [domainOrCallback, callback];
    if (typeof domain !== "string") {
      throw new TypeError(
        `Cannot configure CURVE: expected a domain string or a callback, got ${
          describe(domainOrCallback)
        }`,
      );
    }
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot configure CURVE for domain "${domain}": expected a callback, got ${
          describe(fn)
        }`,
      );
    }
    this.#curvePolicies.set(domain, { kind: "callback", callback: fn });
  }

  /**
   * Decides on one ZAP request (the frames after the ROUTER envelope).
   * Synchronous unless a CURVE callback has to be asked.
   *
   * @param request the ZAP request frames
   * @param onCallbackError told when a callback throws (the client is refused)
   */
  decide(
    request: Uint8Array[],
    onCallbackError: (error: unknown) => void,
  ): ZapVerdict | Promise<ZapVerdict> {
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
      requestId: requestId ?? "",
      domain: text(domainB),
      address: text(addressB),
      mechanism: text(mechanismB),
      userId: "",
    };
    if (request.length < 6) {
      return {
        ...base,
        status: "400",
        reason:
          `Malformed ZAP request: ${request.length} frames, expected 6 or more`,
      };
    }
    if (text(version) !== ZAP_VERSION) {
      return {
        ...base,
        status: "400",
        reason: `Unsupported ZAP version "${text(version)}"`,
      };
    }
    // Addresses first: an allow list refuses every other address.
    let denied = "";
    if (this.#allow.size) {
      if (!this.#allow.has(base.address)) denied = "Address not allowed";
    } else if (this.#deny.has(base.address)) denied = "Address denied";
    const verdict = (ok: boolean, why: string, userId = ""): ZapVerdict => ({
      ...base,
      status: ok ? "200" : "400",
      reason: ok ? "OK" : why,
      userId: ok ? userId : "",
    });
    if (denied) return verdict(false, denied);
    switch (base.mechanism) {
      case "NULL":
        return verdict(true, "OK");
      case "PLAIN": {
        if (credentials.length !== 2) {
          return verdict(false, "Invalid PLAIN credentials");
        }
        const user = text(credentials[0]);
        const [ok, why] = this.#plain(base.domain, user, text(credentials[1]));
        return verdict(ok, why, user);
      }
      case "CURVE": {
        if (credentials.length !== 1 || credentials[0]!.length !== 32) {
          return verdict(false, "Invalid CURVE credentials");
        }
        const key = z85Encode(credentials[0]!);
        const callback = this.#curveCallback(base.domain);
        if (!callback) {
          const [ok, why] = this.#curve(base.domain, key);
          return verdict(ok, why, key);
        }
        return (async () => {
          try {
            return (await callback(base.domain, key))
              ? verdict(true, "OK", key)
              : verdict(false, "Refused by the callback");
          } catch (error) {
            // A callback that throws refuses the client and is reported.
            onCallbackError(error);
            return verdict(false, "Authentication callback failed");
          }
        })();
      }
      default:
        return verdict(false, `Unsupported mechanism "${base.mechanism}"`);
    }
  }

  /** The rules as plain data, e.g. to hand to another thread. */
  snapshot(): ZapPolicySnapshot {
    return {
      allow: [...this.#allow],
      deny: [...this.#deny],
      passwords: [...this.#passwords].map(([d, p]) => [d, { ...p }]),
      certs: [...this.#curvePolicies].flatMap(
        ([d, c]): ZapPolicySnapshot["certs"] =>
          c.kind === "any"
            ? [[d, CURVE_ALLOW_ANY]]
            : c.kind === "keys"
            ? [[d, { ...c.keys }]]
            : [], // a callback cannot cross threads
      ),
    };
  }

  /** Replaces every rule with a snapshot's. */
  restore(snapshot: ZapPolicySnapshot): void {
    this.#allow = new Set(snapshot.allow);
    this.#deny = new Set(snapshot.deny);
    this.#passwords = new Map(snapshot.passwords);
    this.#curvePolicies = new Map(
      snapshot.certs.map(([d, c]) => [
        d,
        c === CURVE_ALLOW_ANY ? { kind: "any" } : { kind: "keys", keys: c },
      ]),
    );
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

  #curveCallback(domain: string): CurveCallback | undefined {
    const policy = this.#lookup(this.#curvePolicies, domain);
    return policy?.kind === "callback" ? policy.callback : undefined;
  }

  #curve(domain: string, key: string): [boolean, string] {
    const policy = this.#lookup(this.#curvePolicies, domain);
    if (!policy) return [false, `No CURVE keys for domain "${domain}"`];
    if (policy.kind === "any") return [true, "OK"];
    if (policy.kind === "callback") return [false, "Refused by the callback"];
    return Object.hasOwn(policy.keys, key)
      ? [true, "OK"]
      : [false, "Unknown key"];
  }
}
