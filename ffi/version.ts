/**
 * Which libzmq is loaded and what it can do.
 *
 * @module
 */

import { lib, libraryVersion } from "./library.ts";
import { cString, describe } from "./bytes.ts";

/**
 * The loaded libzmq's version.
 *
 * @example
 * ```ts
 * import { zmqVersion } from "@zmqloop/zmq";
 * console.log(zmqVersion()); // e.g. "4.3.4"
 * ```
 *
 * @returns `"major.minor.patch"`
 */
export function zmqVersion(): string {
  return libraryVersion().join(".");
}

/**
 * The loaded libzmq's version as numbers.
 *
 * @example
 * ```ts
 * import { zmqVersionInfo } from "@zmqloop/zmq";
 * const [major, minor] = zmqVersionInfo();
 * console.log(major >= 4); // true
 * ```
 *
 * @returns `[major, minor, patch]`
 */
export function zmqVersionInfo(): [number, number, number] {
  return libraryVersion();
}

/**
 * Whether libzmq supports a capability (`zmq_has`): `"ipc"`, `"pgm"`,
 * `"tipc"`, `"norm"`, `"curve"`, `"gssapi"`, `"draft"`.
 *
 * @example
 * ```ts
 * import { has } from "@zmqloop/zmq";
 * if (!has("curve")) console.log("no CURVE security in this libzmq");
 * ```
 *
 * @param capability the capability name
 * @returns true when supported
 */
export function has(capability: string): boolean {
  if (typeof capability !== "string") {
    throw new TypeError(
      `Cannot check a capability: expected a string, got ${
        describe(capability)
      }`,
    );
  }
  const fn = lib().zmq_has;
  return fn ? fn(cString(capability)) === 1 : false;
}
