/**
 * Z85 (ZeroMQ RFC 32) in TypeScript, and CURVE key helpers from libzmq.
 *
 * @module
 */

import { lib } from "./library.ts";
import { cString, describe, readCString } from "./bytes.ts";
import { lastError, ZMQError } from "./errors.ts";
import { ENOTSUP } from "./errno.ts";

const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as Z85 text (RFC 32). The length must be a multiple of 4.
 *
 * @example
 * ```ts
 * import { z85Encode } from "@zmqloop/zmq";
 * z85Encode(new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])); // "HelloWorld"
 * ```
 *
 * @param data the bytes
 * @returns the text, 5 characters per 4 bytes
 * @throws {TypeError} when data is not a Uint8Array
 * @throws {RangeError} when its length is not a multiple of 4
 */
export function z85Encode(data: Uint8Array): string {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot Z85-encode: expected a Uint8Array, got ${describe(data)}`,
    );
  }
  if (data.length % 4 !== 0) {
    throw new RangeError(
      `Cannot Z85-encode ${data.length} bytes: the length must be a multiple of 4`,
    );
  }
  let out = "";
  for (let i = 0; i < data.length; i += 4) {
    let value = ((data[i]! << 24) >>> 0) + (data[i + 1]! << 16) +
      (data[i + 2]! << 8) + data[i + 3]!;
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[value % 85]!;
      value = Math.floor(value / 85);
    }
    out += chunk.join("");
  }
  return out;
}

/**
 * Decodes Z85 text (RFC 32). The length must be a multiple of 5.
 *
 * @example
 * ```ts
 * import { z85Decode } from "@zmqloop/zmq";
 * z85Decode("HelloWorld"); // Uint8Array [0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]
 * ```
 *
 * @param text the Z85 text
 * @returns the bytes, 4 per 5 characters
 * @throws {TypeError} when text is not a string
 * @throws {RangeError} for a wrong length, a character outside the alphabet or a group over 2^32 - 1
 */
export function z85Decode(text: string): Uint8Array {
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot Z85-decode: expected a string, got ${describe(text)}`,
    );
  }
  if (text.length % 5 !== 0) {
    throw new RangeError(
      `Cannot Z85-decode ${text.length} characters: the length must be a multiple of 5`,
    );
  }
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? DECODE[code]! : -1;
      if (digit < 0) {
        throw new RangeError(
          `Cannot Z85-decode: ${JSON.stringify(text[i + j])} at index ${
            i + j
          } is not a Z85 character`,
        );
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) {
      throw new RangeError(
        `Cannot Z85-decode: the group at index ${i} exceeds 32 bits`,
      );
    }
    out[o] = value >>> 24;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}

function requireCurve(what: string) {
  const sym = lib();
  if (!sym.zmq_curve_keypair || !sym.zmq_curve_public) {
    throw new ZMQError(
      ENOTSUP,
      `Cannot ${what}`,
      "this libzmq has no zmq_curve_keypair (older than 4.2)",
    );
  }
  return sym;
}

/**
 * Makes a new CURVE key pair, as Z85 text.
 *
 * @example
 * ```ts
 * import { curveKeypair } from "@zmqloop/zmq";
 * const [publicKey, secretKey] = curveKeypair();
 * console.log(publicKey.length, secretKey.length); // 40 40
 * ```
 *
 * @returns `[publicKey, secretKey]`, 40 characters each
 * @throws {ZMQError} ENOTSUP when libzmq was built without CURVE
 */
export function curveKeypair(): [publicKey: string, secretKey: string] {
  const sym = requireCurve("make a CURVE key pair");
  const pub = new Uint8Array(41), sec = new Uint8Array(41);
  if (sym.zmq_curve_keypair!(pub, sec) !== 0) {
    throw lastError("Cannot make a CURVE key pair");
  }
  return [readCString(pub), readCString(sec)];
}

/**
 * Derives the public key of a CURVE secret key.
 *
 * @example
 * ```ts
 * import { curveKeypair, curvePublic } from "@zmqloop/zmq";
 * const [publicKey, secretKey] = curveKeypair();
 * console.log(curvePublic(secretKey) === publicKey); // true
 * ```
 *
 * @param secretKey the secret key as 40 Z85 characters
 * @returns the public key as 40 Z85 characters
 * @throws {RangeError} when the key is not 40 Z85 characters
 */
export function curvePublic(secretKey: string): string {
  if (typeof secretKey !== "string") {
    throw new TypeError(
      `Cannot derive a CURVE public key: expected a Z85 string, got ${
        describe(secretKey)
      }`,
    );
  }
  if (secretKey.length !== 40) {
    throw new RangeError(
      `Cannot derive a CURVE public key: a Z85 secret key has 40 characters, got ${secretKey.length}`,
    );
  }
  z85Decode(secretKey); // validates the alphabet with a clear message
  const sym = requireCurve("derive a CURVE public key");
  const pub = new Uint8Array(41);
  if (sym.zmq_curve_public!(pub, cString(secretKey)) !== 0) {
    throw lastError("Cannot derive a CURVE public key");
  }
  return readCString(pub);
}
