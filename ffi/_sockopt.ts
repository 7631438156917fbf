/**
 * Socket option values to and from libzmq's bytes, driven by the option
 * table (`OptionSpec.type`): one place decides how each type is checked,
 * encoded and decoded.
 *
 * @module
 */

import type { ZmqSymbols } from "./symbols.ts";
import { cString, describe, readCString } from "./bytes.ts";
import { check, recover, ZMQError } from "./errors.ts";
import { EINVAL } from "./errno.ts";
import { type OptionSpec, SOCKET_OPTIONS } from "./options.ts";

/** A value `setsockopt` accepts. */
export type OptionInput = number | bigint | string | Uint8Array | boolean;
/** A value `getsockopt` returns. */
export type OptionOutput = number | bigint | string | Uint8Array;

// Scratch for values and lengths (over 64 bytes: off V8's moving heap).
const VALUE = new Uint8Array(1024);
const VIEW = new DataView(VALUE.buffer);
const LEN = new BigUint64Array(16);
// their addresses, taken at the first read (needs --allow-ffi, unlike import)
let VALUE_AT: Deno.PointerValue = null, LEN_AT: Deno.PointerValue = null;
const INT = new Int32Array(VALUE.buffer, 0, 1);
const encoder = new TextEncoder();

/** Bytes to ask for when reading an option of each type. */
const READ_SIZE = {
  int: 4,
  int64: 8,
  fd: 8,
  key: 41,
  bytes: 255,
  string: VALUE.length,
} as const;

/**
 * The table entry of an option id, or a `ZMQError` EINVAL naming it.
 *
 * @param option the id
 * @param verb "set" or "get", for the error
 * @returns the entry
 */
export function specOf(option: number, verb: "set" | "get"): OptionSpec {
  const spec = SOCKET_OPTIONS.get(option);
  if (!spec) {
    throw new ZMQError(
      EINVAL,
      `Cannot ${verb} socket option ${describe(option)}`,
      "unknown option",
    );
  }
  return spec;
}

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : describe(value);
}

/**
 * Checks and encodes a value for `zmq_setsockopt`; nothing is sent to
 * libzmq when it does not fit the option.
 *
 * @returns the bytes and their length
 * @throws {TypeError} when the value's type does not fit
 * @throws {RangeError} when a number is out of the option's range
 * @throws {ZMQError} EINVAL for a read-only option or a key of the wrong size
 */
export function encodeOption(
  spec: OptionSpec,
  value: OptionInput,
): [Uint8Array, number] {
  const what = `Cannot set socket option ${spec.name} to ${shown(value)}`;
  if (!spec.write) throw new ZMQError(EINVAL, what, "the option is read-only");
  switch (spec.type) {
    case "int":
    case "fd": {
      const n = typeof value === "boolean" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        throw new TypeError(`${what}: expected an integer`);
      }
      if (n < -2147483648 || n > 2147483647) {
        throw new RangeError(`${what}: out of the 32-bit range`);
      }
      VIEW.setInt32(0, n, true);
      return [VALUE, 4];
    }
    case "int64": {
      let n: bigint;
      if (typeof value === "number" && Number.isInteger(value)) {
        n = BigInt(value);
      } else if (typeof value === "bigint") n = value;
      else throw new TypeError(`${what}: expected an integer or a bigint`);
      if (n < -(2n ** 63n) || n >= 2n ** 63n) {
        throw new RangeError(`${what}: out of the 64-bit range`);
      }
      VIEW.setBigInt64(0, n, true);
      return [VALUE, 8];
    }
    case "key": {
      if (typeof value === "string") {
        if (value.length !== 40) {
          throw new ZMQError(
            EINVAL,
            what,
            `a Z85 key has 40 characters, got ${value.length}`,
          );
        }
        return [cString(value), 41];
      }
      if (value instanceof Uint8Array) {
        if (value.length !== 32) {
          throw new ZMQError(
            EINVAL,
            what,
            `a binary key has 32 bytes, got ${value.length}`,
          );
        }
        return [value, 32];
      }
      throw new TypeError(`${what}: expected a Z85 string or 32 bytes`);
    }
    default: {
      if (typeof value === "string") {
        const buf = encoder.encode(value);
        return [buf, buf.length];
      }
      if (value instanceof Uint8Array) return [value, value.length];
      throw new TypeError(`${what}: expected a string or a Uint8Array`);
    }
  }
}

/**
 * Sets an option on a native socket (the value already encoded).
 *
 * @param sym libzmq's symbols
 * @param h the socket
 * @param spec the option
 * @param value the value given, for the error
 */
export function setOption(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  spec: OptionSpec,
  value: OptionInput,
): void {
  const [buf, len] = encodeOption(spec, value);
  const size = BigInt(len);
  check(
    () => sym.zmq_setsockopt(h, spec.id, buf, size),
    `Cannot set socket option ${spec.name} to ${shown(value)}`,
  );
}

/**
 * Reads an option of a native socket, decoded by its type: `number` for int
 * options (int64 too, `bigint` beyond 2^53), `string` for text options and
 * CURVE keys (Z85), `Uint8Array` for bytes.
 *
 * @throws {ZMQError} EINVAL for a write-only option
 */
export function getOption(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  spec: OptionSpec,
): OptionOutput {
  const what = `Cannot get socket option ${spec.name}`;
  if (!spec.read) throw new ZMQError(EINVAL, what, "the option is write-only");
  if (spec.type === "int") return getInt(sym, h, spec.id, what);
  const size = BigInt(READ_SIZE[spec.type]);
  LEN[0] = size;
  VIEW.setBigInt64(0, 0n, true);
  const read = () => sym.zmq_getsockopt(h, spec.id, VALUE, LEN);
  if (read() !== 0) {
    const errno = sym.zmq_errno(); // before the closure below is allocated
    recover(
      () => {
        LEN[0] = size;
        return read();
      },
      what,
      undefined,
      errno,
    );
  }
  const len = Number(LEN[0]);
  switch (spec.type) {
    case "fd":
      return len === 4
        ? VIEW.getInt32(0, true)
        : Number(VIEW.getBigInt64(0, true));
    case "int64": {
      const v = VIEW.getBigInt64(0, true);
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    }
    case "bytes":
      return VALUE.slice(0, len);
    default:
      return readCString(VALUE, len);
  }
}

/**
 * Reads an int option: the hot path of event loops (`ZMQ_EVENTS`), no
 * allocation.
 */
export function getInt(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  option: number,
  what: string,
): number {
  if (LEN_AT === null) {
    VALUE_AT = Deno.UnsafePointer.of(VALUE);
    LEN_AT = Deno.UnsafePointer.of(LEN);
  }
  LEN[0] = 4n;
  if (sym.zmq_getsockopt_at(h, option, VALUE_AT, LEN_AT) !== 0) {
    getIntFailed(sym, h, option, what, sym.zmq_errno());
  }
  return INT[0]!; // host order, as libzmq wrote it
}

// Apart from getInt: a closure there would cost the hot EVENTS read a V8
// context allocation on every call.
function getIntFailed(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  option: number,
  what: string,
  errno: number,
): void {
  recover(
    () => {
      LEN[0] = 4n;
      return sym.zmq_getsockopt(h, option, VALUE, LEN);
    },
    what,
    undefined,
    errno,
  );
}
