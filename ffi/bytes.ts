/**
 * Payload conversion shared by every send path: strings become UTF-8,
 * anything else that is not bytes is a `TypeError` before anything is sent.
 *
 * @module
 */

/** What a send accepts as one message part. */
export type Payload = Uint8Array | string;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Decodes UTF-8 bytes. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** A NUL-terminated copy of a string, for C string parameters. */
export function cString(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3 + 1);
  const { written } = encoder.encodeInto(text, out);
  return out.subarray(0, written + 1);
}

/** Reads a NUL-terminated string out of a byte buffer. */
export function readCString(bytes: Uint8Array, max = bytes.length): string {
  let end = bytes.indexOf(0);
  if (end < 0 || end > max) end = max;
  return decoder.decode(bytes.subarray(0, end));
}

/** Describes a value for an error message: its type, briefly. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    return `an object (${value.constructor?.name ?? "Object"})`;
  }
  if (value === undefined) return "undefined";
  if (typeof value === "function" || typeof value === "symbol") {
    return `a ${typeof value}`;
  }
  const shown = typeof value === "string"
    ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
    : String(value);
  return `a ${typeof value} (${shown}${typeof value === "bigint" ? "n" : ""})`;
}

/**
 * The smallest typed array V8 allocates off its moving heap (it keeps 64
 * bytes or less inline): memory libzmq or a pool thread may hold a pointer
 * into must be at least this long.
 */
export const STABLE_BYTES = 72;

/**
 * Checks that a payload is bytes or text; returns it as bytes (strings are
 * encoded). Throws `TypeError` for anything else.
 */
export function toBytes(data: unknown, what: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  throw new TypeError(
    `Cannot ${what}: expected a Uint8Array or a string, got ${describe(data)}`,
  );
}

/** Checks that a value is a payload, without converting it. */
export function checkPayload(data: unknown, what: string): void {
  if (
    typeof data !== "string" && !(data instanceof Uint8Array) &&
    !(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)
  ) {
    throw new TypeError(
      `Cannot ${what}: expected a Uint8Array or a string, got ${
        describe(data)
      }`,
    );
  }
}

/** Checks that a multipart message is a non-empty array of payloads. */
export function checkParts(parts: unknown, what: string): void {
  if (!Array.isArray(parts)) {
    throw new TypeError(
      `Cannot ${what}: expected an array of message parts, got ${
        describe(parts)
      }`,
    );
  }
  if (parts.length === 0) {
    throw new RangeError(`Cannot ${what}: the message has no parts`);
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    // The message is only formatted on failure: this runs for every send.
    if (typeof part !== "string" && !(part instanceof Uint8Array)) {
      checkPayload(part, `${what} (part ${i})`);
    }
  }
}

/** Serialises a value for `sendJson`; a value JSON cannot encode is a `TypeError`. */
export function jsonBytes(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(
      `Cannot ${what}: the value is not JSON-serialisable (${
        (error as Error).message
      })`,
    );
  }
  if (text === undefined) {
    throw new TypeError(
      `Cannot ${what}: ${describe(value)} has no JSON representation`,
    );
  }
  return text;
}
